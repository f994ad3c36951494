"""eci-provider: a declarative reconciler for Alibaba Cloud ECI container groups.

The public surface is small: the spec models (``eci_provider.spec``), the planner
(``eci_provider.plan.plan``), the client (``eci_provider.client.EciClient``) and, for Pulumi
programs, the resource (``eci_provider.provider.ContainerGroup``).  The planner function is not
re-exported here, because it would shadow its own module (``import eci_provider.plan``).
"""

from .plan import Plan
from .spec import ContainerGroupSpec

__all__ = ["ContainerGroupSpec", "Plan"]
