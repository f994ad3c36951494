"""A plan's calls as the wire parameters they are sent as: the seam tests assert on."""

from __future__ import annotations

from eci_provider.cloud.wire import encode_update
from eci_provider.planning import Plan


def wire_calls(p: Plan) -> list[dict[str, str]]:
    """Each UpdateCall of ``p``, encoded as UpdateContainerGroup parameters (secrets revealed)."""
    return [encode_update(call.update_type, call.fields)[0] for call in p.calls]
