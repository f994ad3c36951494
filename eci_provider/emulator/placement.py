"""Facts the service fills in: instance size, zone, vSwitch, security group, VPC, IPs.

Derived deterministically where the spec pins them, so that a test can predict them, and from
per-database sequences otherwise (IPs must not collide between groups).
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..spec import sizes as _resources
from ..spec.model import ContainerGroupSpec

DEFAULT_SIZE = _resources.DEFAULT_SIZE
DEFAULT_SECURITY_GROUP = "sg-emulator-default"
DEFAULT_RESOURCE_GROUP = "rg-emulator-default"
DEFAULT_COMPUTE_CATEGORY = "general"


class SizeError(ValueError):
    """No instance size fits the request (``InvalidParameter.CPU.Memory``)."""


def instance_size(spec: ContainerGroupSpec) -> tuple[float, float]:
    """The vCPU/memory pair the instance gets (what Describe reports as ``Cpu``/``Memory``).

    The rule is shared with the planner (:func:`eci_provider.spec.sizes.instance_size`).
    """
    try:
        return spec.instance_size()
    except _resources.SpecOutOfRange as e:
        raise SizeError(str(e)) from None


def _digest(text: str, n: int = 12) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def first_candidate(csv: str | None) -> str | None:
    """The candidate the service picks from a comma-separated list (the first one)."""
    if not csv:
        return None
    return csv.split(",")[0].strip() or None


#: Addresses handed out per /24: .2 to .251 (.0 is the network, .1 the vSwitch gateway).
ADDRESSES_PER_BLOCK = 250


def _address(prefix: str, index: int) -> str:
    """The ``index``-th (0-based) address under ``prefix``: 172.16.0.2, 172.16.0.3, ..., 172.16.1.2."""
    return f"{prefix}.{(index // ADDRESSES_PER_BLOCK) % 256}.{index % ADDRESSES_PER_BLOCK + 2}"


def place(spec: ContainerGroupSpec, region: str, seq: int) -> dict[str, Any]:
    """The placement facts of a new group; ``seq`` is a per-database counter that starts at 1
    (unique IPs: the first group gets 172.16.0.2, as docs/emulator.md says)."""
    index = seq - 1
    v_switch = first_candidate(spec.v_switch_id) or f"vsw-emulator-{_digest(region, 8)}"
    zone = spec.zone_id or f"{region}-{'abcdefghijk'[int(_digest(v_switch, 4), 16) % 11]}"
    out: dict[str, Any] = {
        "ZoneId": zone,
        "VSwitchId": v_switch,
        "SecurityGroupId": spec.security_group_id or DEFAULT_SECURITY_GROUP,
        "VpcId": f"vpc-{_digest('vpc' + v_switch, 20)}",
        "EniInstanceId": f"eni-{_digest(f'eni{seq}{region}', 20)}",
        "IntranetIp": spec.private_ip_address or _address("172.16", index),
        "InternetIp": "",
        "Ipv6Address": "",
    }
    if spec.auto_create_eip or spec.eip_instance_id:
        out["InternetIp"] = _address("47.96", index)
    if spec.ipv6_address_count:
        out["Ipv6Address"] = f"2408:4005:3ff:{index % 65536:x}::{index // 65536 + 1:x}"
    return out
