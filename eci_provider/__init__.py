"""eci-provider: a declarative reconciler for Alibaba Cloud ECI container groups.

The public surface, importable from here:

* the spec: :class:`ContainerGroupSpec` (validate plain data into it first);
* the decision: :func:`plan`, which returns a :class:`Plan`, and :func:`applied_record`, the
  record of write-only values a plan compares against;
* the cloud: :class:`EciClient`;
* Pulumi: the :class:`ContainerGroup` resource (its dynamic provider is
  ``eci_provider.provider.ContainerGroupProvider``);
* the local cloud: :class:`Emulator`, :class:`EmulatorConfig`, :func:`serve` and
  :func:`embedded_transport`.

The layers behind it (``spec`` → ``planning`` → ``cloud``, and ``provider``, ``review``,
``emulator``) are described in docs/architecture.md.  ``ContainerGroup`` is imported on first
use, so that a program that only plans does not load the Pulumi SDK.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .cloud.client import EciClient
from .emulator import Emulator, EmulatorConfig, embedded_transport, serve
from .planning import Plan, applied_record, plan
from .spec import ContainerGroupSpec

if TYPE_CHECKING:
    from .provider import ContainerGroup

__all__ = [
    "ContainerGroup",
    "ContainerGroupSpec",
    "EciClient",
    "Emulator",
    "EmulatorConfig",
    "Plan",
    "applied_record",
    "embedded_transport",
    "plan",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name == "ContainerGroup":
        from .provider import ContainerGroup

        return ContainerGroup
    raise AttributeError(f"module 'eci_provider' has no attribute {name!r}")
