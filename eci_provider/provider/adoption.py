"""Adoption: bring an existing container group under management, named by its ID.

Pulumi cannot import into a Python dynamic provider (the engine calls Read without the
provider: pulumi/pulumi#16175), so a program names the group instead:
``ContainerGroup("web", adopt_id="eci-…", …)``.  The first Create of that resource then takes the
group over rather than making a new one.  ``adopt_id`` and its two switches are inputs beside the
spec, never sent to the API.

The decision is made here, in plain data, from one DescribeContainerGroups answer: ``check``
makes it at preview time (so ``pulumi preview`` and the PR report show it, refusals included)
and Create makes it again against the group as it is then.  It refuses, naming the input at
fault and changing nothing, when the group

* is not in the provider's region (gone, for example after ``pulumi destroy``, or elsewhere);
* carries another stack's or resource's owner tag (:mod:`.ownership`);
* would have to be replaced to match the program (a create-only field differs, or the instance
  is finished): adopting must never destroy what it was asked to adopt, unless
  ``adopt_replace=True`` says so.

Otherwise the plan is the normal planner's, from the group as observed to the program's spec,
and the owner tag is set in the last call it sends (or in a call of its own), so that an
interrupted adoption leaves an untagged group the next run adopts again.

Write-only values (a registry password, a config file's content, a hidden environment
variable: what Describe never returns) cannot be verified.  Adoption takes the declared values
as applied, without sending them, and says which; ``adopt_send_write_only=True`` sends the ones
an update can carry (create-only ones can only be taken as declared).

A group that already carries *this* resource's owner tag is not adopted: an earlier run made or
adopted it (a crash before the state was written, or a replacement), and Create makes or takes
it back as it normally does (:func:`.apply.create`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ..cloud import wire
from ..cloud.errors import MalformedResponseError
from ..planning import canonical as C
from ..planning.planner import Applied, Plan, UpdateCall, plan, seal
from ..spec import rules
from ..spec.model import ContainerGroupSpec
from .ownership import OWNER_TAG
from .state import compact_plan, is_unknown

__all__ = [
    "ADOPT_ID",
    "ADOPT_REPLACE",
    "ADOPT_SEND_WRITE_ONLY",
    "INPUTS",
    "Adoption",
    "Refused",
    "Request",
    "decide",
    "owner_tag",
    "read_request",
    "without_request",
]

ADOPT_ID = "adopt_id"
ADOPT_REPLACE = "adopt_replace"
ADOPT_SEND_WRITE_ONLY = "adopt_send_write_only"
#: The inputs of an adoption, beside the spec.
INPUTS = (ADOPT_ID, ADOPT_REPLACE, ADOPT_SEND_WRITE_ONLY)
#: What an ECI container group ID looks like (``eci-`` and lowercase letters and digits).
#: A digest no value has: a write-only value to send, because what the group holds is unknown.
_UNVERIFIED = "sha256:unverified-by-adoption"
_CREDENTIALS = "image_registry_credentials"


@dataclass(frozen=True)
class Request:
    """The adoption inputs of a resource, read."""

    group_id: str | None = None
    replace: bool = False
    send_write_only: bool = False
    #: ``adopt_id`` (or a switch) is not known until ``pulumi up`` runs.
    unknown: bool = False
    problems: tuple[tuple[str, str], ...] = ()

    @property
    def asked(self) -> bool:
        return self.group_id is not None or self.unknown


def read_request(props: Mapping[str, Any]) -> Request:
    """The adoption inputs among ``props``; a wrong value is a problem naming its input."""
    problems: list[tuple[str, str]] = []
    unknown = False
    raw_id = props.get(ADOPT_ID)
    group_id: str | None = None
    if is_unknown(raw_id):
        unknown = True
    elif raw_id is not None:
        if not isinstance(raw_id, str) or not wire.GROUP_ID.fullmatch(raw_id):
            shown = repr(raw_id) if isinstance(raw_id, str) and len(raw_id) <= 80 else type(raw_id).__name__
            problems.append((ADOPT_ID, f"must be a container group ID such as eci-bp1abc…, not {shown}"))
        else:
            group_id = raw_id
    flags: dict[str, bool] = {}
    for name in (ADOPT_REPLACE, ADOPT_SEND_WRITE_ONLY):
        value = props.get(name)
        if is_unknown(value):
            unknown = True
            flags[name] = False
        elif value is None or isinstance(value, bool):
            flags[name] = bool(value)
        else:
            problems.append((name, f"must be True or False, not {type(value).__name__}"))
            flags[name] = False
        if flags[name] and raw_id is None and not unknown:
            problems.append((name, f"means something only with {ADOPT_ID}"))
    return Request(group_id, flags[ADOPT_REPLACE], flags[ADOPT_SEND_WRITE_ONLY], unknown, tuple(problems))


def without_request(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without the adoption inputs (inert once the resource has a state)."""
    return {k: v for k, v in props.items() if k not in INPUTS}


class Refused(ValueError):
    """Adoption refused: nothing was changed.  ``field`` is the input at fault."""

    def __init__(self, field_: str, reason: str) -> None:
        super().__init__(f"{field_}: {reason}")
        self.field = field_
        self.reason = reason


@dataclass(frozen=True)
class Adoption:
    """What adopting one group does: the planner's plan from the group as observed to the
    program's spec, and the calls that carry it out (the owner tag set in the last)."""

    group_id: str
    observed: wire.Observed
    plan: Plan
    #: The UpdateContainerGroup calls of an adoption in place (none for a replacement).
    calls: tuple[UpdateCall, ...]
    #: Write-only values taken as declared: not verified (Describe never returns them), not sent.
    unverified: tuple[str, ...] = ()
    #: Write-only values sent because the program asked (``adopt_send_write_only``).
    sent: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def replaces(self) -> bool:
        return self.plan.action == "replace"

    def summary(self) -> str:
        """One line for ``planned_change`` and the logs."""
        p = self.plan
        if p.action == "noop":
            return f"adopt {self.group_id}: no change (only its owner tag is set)"
        if p.action == "update":
            return f"adopt {self.group_id}, then {p.summary()}"
        return f"adopt {self.group_id} by replacing it ({ADOPT_REPLACE}): {p.summary()}"

    def doc(self) -> dict[str, Any]:
        """The plan as ``check`` publishes it and the state keeps it, with what adoption adds."""
        out = compact_plan(self.plan)
        out["summary"] = self.summary()
        out["notes"] = [*out.get("notes", ()), *self.notes]
        out["adopt"] = {
            "id": self.group_id,
            "status": self.observed.status,
            "calls": len(self.calls),
            "unverified": list(self.unverified),
            "sent": list(self.sent),
            "replace": self.replaces,
        }
        return out


def owner_tag(spec: ContainerGroupSpec) -> str | None:
    """The owner-tag value a group carries (None: no stack owns it)."""
    return (spec.tags or {}).get(OWNER_TAG)


def decide(
    request: Request,
    found: Mapping[str, Any] | None,
    desired: ContainerGroupSpec,
    *,
    owner: str | None,
    region: str,
    secret_paths: Sequence[str] = (),
) -> Adoption | None:
    """Adopt ``request.group_id`` (whose DescribeContainerGroups element is ``found``, None when
    the answer lacks it) to reach ``desired`` (owner tag included)?  Raises :class:`Refused`;
    None when the group already carries this resource's owner tag ``owner`` (not an adoption).
    """
    gid = request.group_id
    assert gid is not None, "decide() needs a known adopt_id"
    if found is None:
        raise Refused(
            ADOPT_ID,
            f"no container group {gid} in region {region} (eci:region): it was deleted (by pulumi destroy, "
            f"for example) or is in another region. Remove {ADOPT_ID} to create a new group, or name one "
            "that exists",
        )
    where = found.get("RegionId")
    if isinstance(where, str) and where and where != region:
        raise Refused(ADOPT_ID, f"{gid} is in region {where}, not in {region} (eci:region); nothing was changed")
    obs = wire.observe(found)
    if obs.container_group_id != gid:
        raise MalformedResponseError(
            "MalformedResponse",
            f"DescribeContainerGroups was asked for {gid} and answered {obs.container_group_id or 'no id'}",
            action="DescribeContainerGroups",
        )
    tag = owner_tag(obs.spec)
    if tag is not None and tag == owner:
        return None
    if tag is not None:
        raise Refused(
            ADOPT_ID,
            f"{gid} already belongs to another stack or resource (its {OWNER_TAG} tag is {tag}; this "
            f"resource's is {owner}). Two resources must not manage one group: remove {ADOPT_ID}, or release "
            "the group from the other stack first (pulumi state delete there, then remove the tag)",
        )

    marked = frozenset(secret_paths)
    salt = "adopt"
    _, unknown = C.canon_current(obs.spec, desired, None)
    sendable = [u for u in unknown if request.send_write_only and not _create_only(u)]
    unverified = [u for u in unknown if u not in sendable]
    record = _record(obs.spec, desired, salt, unknown, sendable)
    p = plan(desired, obs.spec, obs.status, applied=record, secret_paths=marked)
    if p.action == "replace" and not request.replace:
        raise Refused(ADOPT_ID, _replace_refusal(gid, p))
    if p.action == "replace":  # a new group is created with every declared value
        unverified, sendable = [], []
    notes = []
    if unverified:
        hint = (
            f"; {ADOPT_SEND_WRITE_ONLY}=True sends the ones an update can carry"
            if not request.send_write_only and any(not _create_only(u) for u in unverified)
            else ""
        )
        notes.append(
            "not verified: DescribeContainerGroups never returns these write-only values, so adoption takes "
            f"the declared ones as applied without sending them: {', '.join(unverified)}{hint}"
        )
    if sendable:
        notes.append(
            f"sent because {ADOPT_SEND_WRITE_ONLY}=True (the group's own values cannot be read): " + ", ".join(sendable)
        )
    if p.action == "replace":
        notes.append(f"{gid} is deleted once its replacement runs ({ADOPT_REPLACE}=True)")
    else:
        notes.append(f"sets the {OWNER_TAG} tag on {gid} in the last UpdateContainerGroup call")
    calls = () if p.action == "replace" else _with_owner_tag(p.calls, desired, marked)
    return Adoption(gid, obs, p, calls, tuple(unverified), tuple(sendable), tuple(notes))


def _record(
    observed: ContainerGroupSpec, desired: ContainerGroupSpec, salt: str, unknown: Sequence[str], send: Sequence[str]
) -> Applied:
    """What the planner takes as last applied: write-only values the group shows, as shown; those
    it cannot show, as declared (or as differing, to be sent)."""
    shown = dict(C.applied_record(observed, salt).digests)
    declared = C.applied_record(desired, salt).digests
    for path, digest in declared.items():
        under = next((u for u in unknown if _at_or_below(path, u)), None)
        if under is None:
            continue
        sent = under in send and not path.endswith(C.ORDER)
        shown[path] = _UNVERIFIED if sent else digest
    return Applied(salt, shown)


def _at_or_below(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith((prefix + "[", prefix + ".", prefix + C.ORDER))


def _with_owner_tag(
    calls: Sequence[UpdateCall], desired: ContainerGroupSpec, marked: frozenset[str]
) -> tuple[UpdateCall, ...]:
    """The plan's calls with the owner tag set in the last one: added to it (tags restart
    nothing), or in a call of its own when there is none, or when the last is a registry
    credential sent alone (which restarts nothing only while it is alone)."""
    if any("tags" in c.fields for c in calls):
        return tuple(calls)  # the tags are sent complete, the owner tag among them
    tags = seal(desired.tags or {}, C.plan_of(ContainerGroupSpec, "tags"), "tags", marked)
    if calls and set(calls[-1].fields) != {_CREDENTIALS}:
        last = calls[-1]
        return (*calls[:-1], UpdateCall(last.update_type, {**last.fields, "tags": tags}))
    return (*calls, UpdateCall("IncrementalUpdate", {"tags": tags}))


def _replace_refusal(gid: str, p: Plan) -> str:
    fields = ", ".join(p.replace_fields)
    why = "; ".join(e.what for e in p.explained if e.path is not None and e.path in p.replace_fields)
    return (
        f"adopting {gid} would replace it, because of {fields}" + (f" ({why})" if why else "") + ". "
        "Adoption never destroys the group it adopts: declare the group's own values for these fields, or set "
        f"{ADOPT_REPLACE}=True to create a new group and delete {gid}"
    )


@cache
def _create_only_table() -> dict[str, bool]:
    return {f.path.replace("[]", ""): f.create_only for f in rules.walk(ContainerGroupSpec)}


_KEYS = re.compile(r"\[[^\[\]]*\]|\(order\)")


def _create_only(path: str) -> bool:
    """Whether the field at key path ``path`` (``containers[web].environment_vars``) is
    create-only, itself or through a parent."""
    return _create_only_table().get(_KEYS.sub("", path), False)
