"""DescribeContainerGroups: the element shape (DescribeContainerGroups API reference), filters, and opaque
paging tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..cloud import wire
from ..spec import rules
from ..spec.model import ContainerGroupSpec
from . import errors
from .placement import DEFAULT_COMPUTE_CATEGORY, DEFAULT_RESOURCE_GROUP, first_candidate, instance_size
from .state import STATUSES, ContainerRuntime, Group, rfc3339

MAX_LIMIT = 20
MAX_IDS = 20
MAX_TAG_FILTERS = 10

#: Parameters DescribeContainerGroups accepts (DescribeContainerGroups API reference), lists as ``N``.
PARAMS = frozenset(
    {
        "RegionId",
        "ContainerGroupIds",
        "ContainerGroupName",
        "Status",
        "Tag.N.Key",
        "Tag.N.Value",
        "ResourceGroupId",
        "VSwitchId",
        "ZoneId",
        "SecurityGroupId",
        "ComputeCategory",
        "Limit",
        "NextToken",
        "WithEvent",
        "OwnerId",
        "OwnerAccount",
        "ResourceOwnerId",
        "ResourceOwnerAccount",
    }
)


def element(g: Group, *, with_event: bool = True, spec: ContainerGroupSpec | None = None) -> dict[str, Any]:
    """One ``ContainerGroups`` element: the spec as :func:`wire.to_describe` renders it, plus
    runtime facts.  ``spec`` replaces the stored one (the admin listing passes it masked)."""
    spec = spec or g.model()
    out = wire.to_describe(spec)
    for name in ContainerGroupSpec.model_fields:
        rule = rules.rule_of(ContainerGroupSpec, name)
        key = rule.describe_key
        if rule.one_of_csv and isinstance(key, str) and out.get(key):
            out[key] = first_candidate(out[key]) or ""  # the service reports the candidate it chose
    cpu, memory = instance_size(spec)
    out.update(
        {
            "ContainerGroupId": g.id,
            "ContainerGroupName": spec.name,
            "RegionId": g.region,
            "Status": g.status,
            "CreationTime": rfc3339(g.created_at),
            "Cpu": cpu,
            "Memory": memory,
            "RestartPolicy": spec.restart_policy or "Always",
            "ResourceGroupId": spec.resource_group_id or DEFAULT_RESOURCE_GROUP,
            "ComputeCategory": compute_category(g),
            "SpotStrategy": spec.spot_strategy or "NoSpot",
            "InstanceType": out.get("InstanceType", ""),
            "Tags": out.get("Tags", []),
            "Events": [dict(e) for e in g.events] if with_event else [],
            **g.placement,
        }
    )
    for key, at in (("SucceededTime", g.succeeded_at), ("FailedTime", g.failed_at), ("ExpiredTime", g.expired_at)):
        if at is not None:
            out[key] = rfc3339(at)
    _merge_runtime(out.setdefault("Containers", []), g.containers)
    if g.init_containers:
        _merge_runtime(out.setdefault("InitContainers", []), g.init_containers)
    return out


def compute_category(g: Group) -> str:
    return (g.spec.get("compute_categories") or [DEFAULT_COMPUTE_CATEGORY])[0]


def _merge_runtime(items: list[dict[str, Any]], runtime: list[ContainerRuntime]) -> None:
    by_name = {c.name: c for c in runtime}
    for item in items:
        c = by_name.get(item.get("Name", ""))
        if c is None:
            continue
        item["RestartCount"] = c.restart_count
        item["Ready"] = c.state == "Running"
        item["CurrentState"] = c.snapshot()
        if c.previous:
            item["PreviousState"] = dict(c.previous)


# --------------------------------------------------------------------------------------
# Request: filters and paging
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    ids: tuple[str, ...] | None
    name: str | None
    status: str | None
    tags: tuple[tuple[str, str | None], ...]
    resource_group_id: str | None
    v_switch_id: str | None
    zone_id: str | None
    security_group_id: str | None
    compute_category: str | None
    limit: int
    after: tuple[float, str] | None
    with_event: bool
    fingerprint: str

    def matches(self, g: Group) -> bool:
        if self.ids is not None and g.id not in self.ids:
            return False
        actual = {
            "name": g.spec["name"],
            "status": g.status,
            "resource_group_id": g.spec.get("resource_group_id") or DEFAULT_RESOURCE_GROUP,
            "v_switch_id": g.placement.get("VSwitchId"),
            "zone_id": g.placement.get("ZoneId"),
            "security_group_id": g.placement.get("SecurityGroupId"),
            "compute_category": compute_category(g),
        }
        if any(getattr(self, k) is not None and getattr(self, k) != v for k, v in actual.items()):
            return False
        tags = g.spec.get("tags") or {}
        return all(k in tags and (v is None or tags[k] == v) for k, v in self.tags)


_TAG = re.compile(r"Tag\.([^.]*)\.(Key|Value)")
#: The spellings of N in ``Tag.N.Key`` that name a filter: ASCII decimals from 1, no leading
#: zeros.  A dictionary, not ``int()``: ``int`` also reads ``١`` (an Arabic-Indic one) and
#: ``01``, and a number thousands of digits long is expensive or refused.
_TAG_INDEX = {str(n): n for n in range(1, MAX_TAG_FILTERS + 1)}


def parse_query(params: Mapping[str, str]) -> Query:
    """Validate DescribeContainerGroups parameters (``InvalidParameter`` naming the bad one)."""
    ids = _ids(params.get("ContainerGroupIds"))
    limit = _limit(params.get("Limit"))
    status = params.get("Status") or None
    if status is not None and status not in STATUSES:
        raise errors.invalid("Status", f"must be one of {', '.join(STATUSES)}")
    tags = _tags(params)
    filters = {k: v for k, v in params.items() if k not in ("NextToken", "Limit", "WithEvent")}
    fingerprint = hashlib.sha256(json.dumps(sorted(filters.items())).encode()).hexdigest()[:16]
    return Query(
        ids=ids,
        name=params.get("ContainerGroupName") or None,
        status=status,
        tags=tags,
        resource_group_id=params.get("ResourceGroupId") or None,
        v_switch_id=params.get("VSwitchId") or None,
        zone_id=params.get("ZoneId") or None,
        security_group_id=params.get("SecurityGroupId") or None,
        compute_category=params.get("ComputeCategory") or None,
        limit=limit,
        after=_decode_token(params.get("NextToken"), fingerprint),
        with_event=errors.parse_bool("WithEvent", params.get("WithEvent"), default=True),
        fingerprint=fingerprint,
    )


def _ids(raw: str | None) -> tuple[str, ...] | None:
    if raw is None or raw.strip() == "":
        return None
    try:
        ids = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: arrays nested a thousand deep
        raise errors.invalid("ContainerGroupIds", 'must be a JSON array of IDs, e.g. ["eci-1", "eci-2"]') from None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise errors.invalid("ContainerGroupIds", "must be a JSON array of strings")
    if len(ids) > MAX_IDS:
        raise errors.invalid("ContainerGroupIds", f"at most {MAX_IDS} IDs, got {len(ids)}")
    return tuple(ids) if ids else None


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return MAX_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise errors.invalid("Limit", "must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise errors.invalid("Limit", f"must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def _tags(params: Mapping[str, str]) -> tuple[tuple[str, str | None], ...]:
    found: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        m = _TAG.fullmatch(key)
        if not m:
            continue
        index = _TAG_INDEX.get(m.group(1))
        if index is None:  # ignoring the filter would answer with unfiltered results
            raise errors.invalid(key, f"N must be a decimal number from 1 to {MAX_TAG_FILTERS}")
        found.setdefault(index, {})[m.group(2)] = value
    out = []
    for i in sorted(found):
        if "Key" not in found[i] or not found[i]["Key"]:
            raise errors.missing(f"Tag.{i}.Key")
        out.append((found[i]["Key"], found[i].get("Value")))
    return tuple(out)


def encode_token(g: Group, fingerprint: str) -> str:
    raw = json.dumps({"c": g.created_at, "i": g.id, "f": fingerprint}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str | None, fingerprint: str) -> tuple[float, str] | None:
    if not token:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        after = (float(data["c"]), str(data["i"]))
        same_query = data["f"] == fingerprint
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise errors.invalid("NextToken", "is not a token returned by this operation") from None
    if not same_query:
        raise errors.invalid("NextToken", "belongs to a query with different filters")
    return after


def page(groups: list[Group], q: Query) -> tuple[list[Group], int, str]:
    """Newest first; returns (page, total matching, next token or "")."""
    matching = sorted((g for g in groups if q.matches(g)), key=lambda g: (g.created_at, g.id), reverse=True)
    start = 0
    if q.after is not None:
        start = next((i for i, g in enumerate(matching) if (g.created_at, g.id) < q.after), len(matching))
    chunk = matching[start : start + q.limit]
    more = start + q.limit < len(matching)
    return chunk, len(matching), encode_token(chunk[-1], q.fingerprint) if more and chunk else ""
