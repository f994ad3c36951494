"""Pulumi glue: the dynamic provider and the ``ContainerGroup`` resource, over one state contract.

``eci_provider.provider.ContainerGroupProvider`` is the import path that every resource's state
written by version 0.1.0 pickles (dill stores the provider by reference); it must keep working.
"""

from .dynamic import ContainerGroupProvider
from .resource import ContainerGroup, UnknownInputs, provider_size
from .settings import Settings

__all__ = ["ContainerGroup", "ContainerGroupProvider", "Settings", "UnknownInputs", "provider_size"]
