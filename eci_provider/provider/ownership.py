"""The ownership tag: which stack resource a container group belongs to.

A group carries one reserved tag, ``eci-provider/owner``, whose value is a short hash of the
resource's identity (``project/stack/resource``).  It lets a create that was interrupted find
the group it already made, and refuses to touch a group another resource owns.  The planner
never compares it (the tag rule declares the reserved prefix); it is added here, in one place,
to the spec data that is applied and to the data read back from state.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ..spec.model import RESERVED_TAG_PREFIX

__all__ = ["OWNER_TAG", "owner_value", "tagged", "untagged"]

OWNER_TAG = RESERVED_TAG_PREFIX + "owner"


def owner_value(identity: str) -> str:
    """A short, stable hash of ``project/stack/resource`` (tag values allow 128 characters)."""
    return hashlib.sha256(identity.encode()).hexdigest()[:20]


def tagged(data: dict[str, Any], owner: str | None) -> dict[str, Any]:
    """Spec data (a dict, changed in place and returned) with the ownership tag, when known."""
    if owner and data:
        data["tags"] = {**(data.get("tags") or {}), OWNER_TAG: owner}
    return data


def untagged(data: dict[str, Any]) -> dict[str, Any]:
    """Spec data without the ownership tag (and without ``tags`` when none is left)."""
    tags: Mapping[str, Any] = data.get("tags") or {}
    rest = {k: v for k, v in tags.items() if k != OWNER_TAG}
    if rest:
        data["tags"] = rest
    else:
        data.pop("tags", None)
    return data
