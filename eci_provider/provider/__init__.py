"""Pulumi glue: the dynamic provider and the ``ContainerGroup`` resource.

``eci_provider.provider.ContainerGroupProvider`` is the import path that every resource's state
written by version 0.1.0 pickles (dill stores the provider by reference); it must keep working.
"""

from .dynamic import ContainerGroup, ContainerGroupProvider, Settings, desired_spec

__all__ = ["ContainerGroup", "ContainerGroupProvider", "Settings", "desired_spec"]
