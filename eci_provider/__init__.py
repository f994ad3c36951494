"""eci-provider: a declarative reconciler for Alibaba Cloud ECI container groups."""

from .spec import ContainerGroupSpec

__all__ = ["ContainerGroupSpec"]
