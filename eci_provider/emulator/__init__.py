"""A faithful local emulator of the ECI 2018-08-08 RPC API (see docs/emulator.md).

Use it over real HTTP (:func:`serve`, or ``eci-provider emulator``) or in process
(:func:`embedded_transport`, or ``httpx.WSGITransport(app=Emulator().wsgi_app)``).  It checks
V1 and V3 signatures, implements Create/Describe/Update/Delete/RestartContainerGroup with the
update model of docs/update-rules.md, simulates the instance lifecycle from stored timestamps, and
injects faults on demand.  Standard library only (plus ``httpx`` for the embedded transport).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Credential, EmulatorConfig
from .core import Emulator
from .faults import DroppedResponse, Faults
from .server import RunningServer, serve

if TYPE_CHECKING:
    import httpx

__all__ = [
    "Credential",
    "DroppedResponse",
    "Emulator",
    "EmulatorConfig",
    "Faults",
    "RunningServer",
    "embedded_transport",
    "serve",
]


def embedded_transport(spec: str) -> httpx.BaseTransport:
    """An httpx transport to the process-wide embedded emulator for ``PATH[?options]``."""
    from .embedded import embedded_transport as _embedded

    return _embedded(spec)
