"""The state contract: what the provider writes to Pulumi state, and how it is read back.

One typed contract, written by the provider (:func:`outputs_of`, :func:`checked_inputs`) and
read by the provider's ``diff``/``update``/``read`` and by the pull-request report alike
(:func:`read_state`, :func:`state_data`, :func:`read_check`).  Reading never needs the whole
state in plain text: the report reads it from ``pulumi preview --json``, where Pulumi prints
every top-level value that holds a secret as ``"[secret]"``, and redacted views stand in.

Outputs (``state.outputs``):

* no echo of the spec inputs: the engine keeps the inputs beside the outputs, and the spec as
  last applied is kept once, inside ``__state``;
* what a program reads: ``container_group_id``, ``region_id``, ``status``, ``intranet_ip``,
  ``internet_ip``, ``ipv6_address``, ``restart_counts``, ``cpu_memory``, ``events`` (last 3);
* ``__state``: one compact JSON string (:class:`StateDoc`): the contract's version, the
  owner-tag value, the spec as last applied (its secret fields in ``__secret_state``), the
  salt and the digests of the write-only values last applied (those that
  cover no secret), the program's secret marks, the last plan, and the *observed delta*: only
  the top-level fields where the group as last seen differs from what was applied (drift, and
  values the service chose), with redacted views of the ones that hold secrets;
* ``__secret_state``: the same for what must stay secret (digests covering secrets, observed
  values under secret paths), as one secret JSON string.

Why one JSON string, and a delta rather than a second copy of the spec: the engine serialises
the whole deployment after every step, walking every property node, so its cost grows with the
number of nodes in every resource's state; a string is one node.  Measured on 200 groups
(benchmarks/bench_engine.py): the state written by version 0.1.0 made ``pulumi preview`` 3.4
times slower than a trivial provider with the same inputs, almost all of it in that walk.

Checked inputs (``state.inputs``) carry ``planned_change`` (the one-line plan that ``pulumi
preview --diff`` prints) and ``__check``: one JSON string with the plan ``check`` made from the
previous inputs and the redacted views of the inputs that hold secrets (see
:mod:`eci_provider.planning.redaction`), which is all a preview shows of them.

Version 1 (eci-provider 0.1.0) wrote ``observed`` (a full copy), ``observed_redacted``,
``applied_salt``, ``applied_digests``, ``applied_secret_digests`` and ``last_plan`` as outputs, and
``__plan``/``__redacted`` as inputs.  :func:`read_state` and :func:`read_check` read both.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..cloud import wire
from ..planning import canonical as C
from ..planning.planner import Applied, Plan
from ..planning.redaction import DRIFTED, settled, views
from ..spec.model import ContainerGroupSpec, revealed, validated
from .ownership import tagged
from .sentinel import holds_typed_secret

__all__ = [
    "CHECK",
    "MASK",
    "SECRET_STATE",
    "STATE",
    "UNKNOWN",
    "VERSION",
    "Check",
    "ResourceState",
    "StateData",
    "StateDoc",
    "checked_inputs",
    "outputs_of",
    "read_check",
    "read_state",
    "resolve_state",
    "spec_data",
    "state_data",
]

#: What a program reads of a group, beside its inputs (:func:`outputs_of`), as the native plugin's
#: schema declares them; both front doors' resources declare these names.
OUTPUTS: dict[str, dict[str, Any]] = {
    "container_group_id": {"type": "string", "description": "The group's id (`eci-…`)."},
    "region_id": {"type": "string", "description": "The region the group runs in."},
    "status": {"type": "string", "description": "The group's status when last seen (Running, Pending, …)."},
    "intranet_ip": {"type": "string", "description": "The group's private IP address."},
    "internet_ip": {"type": "string", "description": "The group's public IP address, if it has one."},
    "ipv6_address": {"type": "string", "description": "The group's IPv6 address, if it has one."},
    "events": {
        "type": "array",
        "items": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": "The group's last events (Type, Reason, Message, LastTimestamp).",
    },
    "restart_counts": {
        "type": "object",
        "additionalProperties": {"type": "integer"},
        "description": "Restarts of each container, by name.",
    },
    "cpu_memory": {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "description": "The instance's vCPU (`cpu`) and GiB of memory (`memory`) as the service sized it.",
    },
    "planned_change": {
        "type": "string",
        "description": "The change the last plan made, in one line (what `pulumi preview --diff` shows).",
    },
}
VERSION = 2
STATE = "__state"
SECRET_STATE = "__secret_state"
CHECK = "__check"
#: How ``pulumi preview --json`` prints a value that holds a secret.
MASK = "[secret]"
#: How the engine serialises a value not known until the update runs.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_unknown(value: Any) -> bool:
    """A value not known yet: the engine's marker, or the Python SDK's ``Unknown`` object."""
    return (isinstance(value, str) and value == UNKNOWN) or type(value).__name__ == "Unknown"


SPEC_FIELDS = tuple(ContainerGroupSpec.model_fields)
_LENIENT = {"observed": True}
#: Events kept in the outputs: what a reader needs to see why a group failed, not a history.
EVENTS_KEPT = 3


class StateDoc(BaseModel):
    """``__state``: the part of the contract that holds no secret."""

    v: int = VERSION
    #: ``project/stack/resource`` of the program that created or adopted the group.
    identity: str | None = None
    #: The owner-tag value the group carries (kept, so that a rename does not re-tag it).
    owner: str | None = None
    salt: str | None = None
    #: Digests of the write-only values last applied that cover no secret, by key path.
    digests: dict[str, str] = Field(default_factory=dict)
    #: The program's secret marks when this state was written (index paths, ``__secret_paths``).
    marks: list[Any] = Field(default_factory=list)
    #: The spec inputs last applied, by field, each secret value replaced by ``[secret]`` (the
    #: fields holding secrets are also in ``__secret_state``, whole): what a preview, which
    #: prints secret values as ``[secret]``, still shows of them.
    applied: dict[str, Any] = Field(default_factory=dict)

    #: Top-level fields where the group as last seen differs from what was applied.
    observed: dict[str, Any] = Field(default_factory=dict)
    #: Fields of ``observed`` kept in ``__secret_state`` (they hold secrets)...
    observed_secret: list[str] = Field(default_factory=list)
    #: ... and their redacted views (secret leaves marked, drifted ones as such).
    observed_views: dict[str, Any] = Field(default_factory=dict)
    last_plan: dict[str, Any] = Field(default_factory=dict)


class SecretStateDoc(BaseModel):
    """``__secret_state``: what holds secrets: applied fields, digests, observed values."""

    applied: dict[str, Any] = Field(default_factory=dict)
    digests: dict[str, str] = Field(default_factory=dict)
    observed: dict[str, Any] = Field(default_factory=dict)
    #: A digest of the spec inputs last applied, exactly as the program gave them, so that
    #: ``diff`` can tell the engine whether the inputs changed (it then diffs them itself).
    #: Secret, because it covers secret values.
    inputs_digest: str | None = None


@dataclass(frozen=True)
class ResourceState:
    """A container group's state, typed: what ``diff`` and the report decide from."""

    version: int
    group_id: str | None
    region: str | None
    status: str | None
    owner: str | None
    identity: str | None
    #: The spec last applied (owner tag included), or None when the state does not show it.
    applied: ContainerGroupSpec | None
    #: The group as last seen (visible fields only), or None when the state does not show it.
    observed: ContainerGroupSpec | None
    #: Digests of the write-only values last applied.
    record: Applied | None
    #: The program's secret marks when this state was written (index paths).
    marks: tuple[Any, ...] = ()
    last_plan: Mapping[str, Any] = field(default_factory=dict)
    #: A digest of the spec inputs last applied (see :class:`StateDoc`).
    inputs_digest: str | None = None
    #: The top-level fields where the group as seen differed from what was applied (None: not
    #: known, as in version 1): drift can only be in them.
    differed: frozenset[str] | None = None
    #: Top-level fields the state hides (printed as ``[secret]``, without a view to stand in).
    blind: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """What ``check`` published with the inputs: its plan and the redacted views."""

    plan: Mapping[str, Any]
    views: Mapping[str, Any]


# --------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------


def checked_inputs(
    p: Plan | None,
    redacted: Mapping[str, Any],
    unknown: bool = False,
    *,
    plan_doc: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provider's own checked inputs: ``planned_change`` and ``__check``.  ``plan_doc``, when
    given, is published instead of the plan's own (an adoption adds what it does to the group)."""
    if plan_doc is not None:
        summary, plan_doc = str(plan_doc.get("summary") or (p.summary() if p else "create")), dict(plan_doc)
    elif unknown:
        summary, plan_doc = "unknown until the inputs it depends on are known", {"action": "unknown"}
    elif p is None:
        summary, plan_doc = "create", {"action": "create", "summary": "create"}
    else:
        summary, plan_doc = p.summary(), compact_plan(p)
    check = {"v": VERSION, "plan": plan_doc, "views": dict(redacted)}
    return {"planned_change": summary, CHECK: _json(check)}


def compact_plan(p: Plan) -> dict[str, Any]:
    """A plan as the state keeps it: what a reader needs, each change once (no repeated reasons)."""
    out = p.to_dict()
    for key in ("reasons", "explained"):
        out.pop(key, None)
    for change in out.get("changes", ()):
        change.pop("text", None)
    explained = [{"what": e.what, "why": e.why, "path": e.path} for e in p.explained if e.path is None]
    if explained:
        out["explained"] = explained  # reasons about the group as a whole (a pinned address)
    return out


def outputs_of(
    inputs: Mapping[str, Any],
    obs: wire.Observed,
    *,
    region: str,
    identity: str | None,
    applied_spec: ContainerGroupSpec | None,
    record: Applied,
    secret_paths: Sequence[str],
    marks: Sequence[Any],
    owner: str | None,
    last_plan: Mapping[str, Any],
    protect: Callable[[Any], Any],
    inputs_seen: str | None = None,
) -> dict[str, Any]:
    """The outputs of a create, update or read.

    ``inputs`` are the resource's inputs as applied (``planned_change`` among them);
    ``applied_spec`` the spec they give, owner tag included; ``record`` the write-only digests;
    ``secret_paths`` the program's marks as key paths; ``protect`` wraps a value in the wire
    secret sentinel.

    The spec inputs are not echoed as outputs of their own (a program has them already): kept
    once, inside ``__state``, they cost the engine one node instead of a second copy of the spec.
    """
    secret_fields = {C.top_field(p) for p in secret_paths}
    raw = spec_inputs(inputs)
    applied_doc = dict(raw)
    holding = {k for k in raw if k in secret_fields or holds_typed_secret(k, raw[k])}
    shown = views(applied_spec, secret_paths, applied_spec) if applied_spec is not None and holding else {}
    for name in holding:
        applied_doc[name] = shown.get(name, MASK)
    plain_digests, secret_digests = _split_digests(record, secret_paths)
    observed = obs.spec.model_dump(mode="json", exclude_none=True)
    applied = wire.visible(applied_spec).model_dump(mode="json", exclude_none=True) if applied_spec else {}
    delta = {f: observed.get(f) for f in dict.fromkeys([*observed, *applied]) if observed.get(f) != applied.get(f)}
    hidden = sorted(f for f in delta if f in secret_fields and delta[f] is not None)
    doc = StateDoc(
        identity=identity,
        owner=owner,
        salt=record.salt,
        digests=plain_digests,
        marks=list(marks),
        applied=applied_doc,
        observed={f: v for f, v in delta.items() if f not in hidden},
        observed_secret=hidden,
        observed_views=(
            {f: v for f, v in views(obs.spec, secret_paths, applied_spec, changed=DRIFTED).items() if f in hidden}
            if hidden
            else {}
        ),
        last_plan=dict(last_plan),
    )
    secret_doc = SecretStateDoc(
        applied={k: raw[k] for k in sorted(holding)},
        digests=secret_digests,
        observed={f: delta[f] for f in hidden},
        inputs_digest=inputs_seen or inputs_digest(raw),
    )
    outs = {"planned_change": inputs.get("planned_change")}
    outs.update(
        {
            "container_group_id": obs.container_group_id,
            "region_id": region,
            "status": obs.status,
            "intranet_ip": obs.intranet_ip,
            "internet_ip": obs.internet_ip,
            "ipv6_address": obs.ipv6_address,
            "events": [
                {k: e.get(k) for k in ("Type", "Reason", "Message", "LastTimestamp") if e.get(k) is not None}
                for e in obs.events[-EVENTS_KEPT:]
            ],
            "restart_counts": obs.restart_counts,
            "cpu_memory": {"cpu": obs.spec.cpu, "memory": obs.spec.memory},
            STATE: _json(doc.model_dump(exclude_defaults=True)),
            SECRET_STATE: protect(_json(secret_doc.model_dump(exclude_defaults=True))),
        }
    )
    return outs


def inputs_digest(raw: Mapping[str, Any]) -> str:
    """A digest of spec inputs as the program gave them (kept in memory and in state; it covers
    secrets, so it is salted with nothing a reader has: it is only ever compared, never shown)."""
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(("eci-provider inputs\0" + text).encode()).hexdigest()[:32]


def _split_digests(record: Applied, secret_paths: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Digests covering a secret go to the secret part; the rest stay readable, so that a
    reviewer's tool can tell a changed grace period from an unchanged one.  A secret is a field
    typed secret or a path the program marked: a salted digest of a short secret, next to its
    salt, could be guessed offline."""
    plain, hidden = {}, {}
    for path, digest in record.digests.items():
        covers = C.covers_typed_secret(path) or any(C.related(path, m) for m in secret_paths)
        (hidden if covers else plain)[path] = digest
    return plain, hidden


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


# --------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------


@dataclass
class StateData:
    """A state read but not yet validated: spec data (views standing in for masked values, so
    that a reader can align them with other data first) and the rest of the contract."""

    version: int
    group_id: str | None
    region: str | None
    status: str | None
    owner: str | None
    identity: str | None
    applied: dict[str, Any]
    observed: dict[str, Any] | None
    salt: str | None
    #: Digests as the state shows them; ``None`` when some are hidden (a printed state).
    digests: dict[str, str] | None
    plain_digests: dict[str, str]
    marks: tuple[Any, ...]
    last_plan: Mapping[str, Any]
    inputs_digest: str | None
    blind: list[str]
    differed: frozenset[str] | None = None


def read_state(outputs: Mapping[str, Any], *, applied_owner: str | None = None) -> ResourceState | None:
    """The typed state in a resource's outputs, as the provider receives them (in plain text)."""
    data = state_data(outputs, applied_owner=applied_owner)
    return resolve_state(data) if data is not None else None


def state_data(
    outputs: Mapping[str, Any], *, views: Mapping[str, Any] | None = None, applied_owner: str | None = None
) -> StateData | None:
    """The state in a resource's outputs (either version), or None for an empty one.

    ``views``: the outputs are printed (secrets as ``[secret]``, a preview document), and these
    redacted views of the applied inputs stand in for what is masked (the state's own, for
    version 2, take precedence).  ``applied_owner``: the owner-tag value to add to the applied
    spec when the state does not keep one (version 1 derived it from the resource's identity).
    """
    if not isinstance(outputs, Mapping) or not outputs:
        return None
    if isinstance(outputs.get(STATE), str):
        return _read_v2(outputs, views)
    if "applied_salt" in outputs or "observed" in outputs:
        return _read_v1(outputs, views, applied_owner)
    return None


def resolve_state(data: StateData) -> ResourceState:
    """Validate a :class:`StateData`.  Where its digests are hidden, those covering secrets are
    recomputed from the applied data (views: markers), so that an unchanged secret still
    compares equal, and a changed one does not."""
    applied = _validated(data.applied)
    digests = data.digests
    if digests is None and data.salt and applied is not None:
        digests = {**dict(C.applied_record(applied, data.salt).digests), **data.plain_digests}
    return ResourceState(
        version=data.version,
        group_id=data.group_id,
        region=data.region,
        status=data.status,
        owner=data.owner,
        identity=data.identity,
        applied=applied,
        observed=_validated(data.observed) if data.observed else None,
        record=Applied(data.salt, digests or {}) if data.salt else None,
        marks=data.marks,
        last_plan=data.last_plan,
        inputs_digest=data.inputs_digest,
        differed=data.differed,
        blind=tuple(dict.fromkeys(data.blind)),
    )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value not in (MASK, UNKNOWN) else None


def _loads(value: Any) -> dict[str, Any]:
    if not isinstance(value, str) or value in (MASK, UNKNOWN):
        return {}
    try:
        loaded = json.loads(value)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def spec_data(values: Mapping[str, Any], views: Mapping[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """Spec fields of ``values``, as plain data; with ``views`` (a printed document), the fields
    that have one are taken from it (even where shown, so that both sides of a comparison see
    markers), and masked fields without one are listed as blind."""
    out: dict[str, Any] = {}
    blind: list[str] = []
    for name in SPEC_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if views is not None and name in views:
            value = views[name]
        elif value == MASK:
            blind.append(name)
            continue
        out[name] = value
    return out, blind


def _validated(data: Mapping[str, Any] | None) -> ContainerGroupSpec | None:
    if not data:
        return None
    try:
        return validated(data, observed=True)
    except ValidationError:
        return None


class UnreadableState(ValueError):
    """The provider's own part of a resource's state does not have the contract's shape (edited
    by hand, or damaged): said in one line naming the field, never with the values it holds."""


def _read_v2(outputs: Mapping[str, Any], views: Mapping[str, Any] | None) -> StateData:
    try:
        doc = StateDoc.model_validate(_loads(outputs.get(STATE)))
        secret_doc = _loads(outputs.get(SECRET_STATE))
        secret = SecretStateDoc.model_validate(secret_doc)
    except ValidationError as e:
        where = ", ".join(".".join(str(p) for p in err["loc"]) for err in e.errors()[:3])
        raise UnreadableState(
            f"the provider's state of this resource cannot be read ({where}: not what eci-provider writes); "
            "take the group over again: pulumi state delete <urn>, then pulumi import (native plugin) or "
            "adopt_id (dynamic provider)"
        ) from None
    printed = views is not None
    # Printed, the applied fields holding secrets show as views (secret values marked); read by
    # the provider, they are whole in the secret part.
    applied_data, blind = spec_data({**doc.applied, **({} if printed else secret.applied)}, None)
    applied_data = tagged(applied_data, doc.owner)
    applied = _validated(applied_data)
    observed: dict[str, Any] | None = None
    if applied is not None:
        # What was applied, with the fields that differed when the group was last seen.  Values
        # Describe never shows (write-only, hidden) stay in: the planner compares those through
        # the digests of what was applied, never through the observed side.
        observed = dict(applied_data)  # fields are replaced whole, never changed in place
        for name, value in {**doc.observed, **secret.observed}.items():
            if value is None:
                observed.pop(name, None)
            else:
                observed[name] = value
        for name in doc.observed_secret:
            if name not in secret.observed:  # printed: the view marks where the cloud's secret drifted
                if name in doc.observed_views:
                    observed[name] = doc.observed_views[name]
                else:
                    blind.append(name)
    has_secret = isinstance(secret_doc.get("digests"), dict)
    return StateData(
        version=doc.v,
        group_id=_text(outputs.get("container_group_id")),
        region=_text(outputs.get("region_id")),
        status=_text(outputs.get("status")),
        owner=doc.owner,
        identity=doc.identity,
        applied=applied_data,
        observed=observed,
        salt=doc.salt,
        digests=None if printed or not has_secret else {**doc.digests, **secret.digests},
        plain_digests=dict(doc.digests),
        marks=tuple(doc.marks),
        last_plan=doc.last_plan,
        inputs_digest=secret.inputs_digest,
        blind=blind,
        differed=frozenset([*doc.observed, *doc.observed_secret]),
    )


def _read_v1(outputs: Mapping[str, Any], views: Mapping[str, Any] | None, owner: str | None) -> StateData:
    """Version 1: a full ``observed`` copy, digests and the salt as separate outputs."""
    printed = views is not None
    own = outputs.get("__redacted")
    # The echo of the inputs' views, marked against the inputs before them: as a baseline, every
    # marker reads "unchanged".
    own_views = {k: settled(v) for k, v in own.items()} if isinstance(own, Mapping) else {}
    if printed:
        views = {**(views or {}), **own_views}
    applied_data, blind = spec_data(outputs, views)
    observed_raw = outputs.get("observed")
    observed: dict[str, Any] | None = None
    if isinstance(observed_raw, Mapping):
        observed_views = None
        if printed:  # the state's own views only: without them it cannot say whether secrets drifted
            drifted = outputs.get("observed_redacted")
            observed_views = {**own_views, **(drifted if isinstance(drifted, Mapping) else {})}
        observed, blind_observed = spec_data(observed_raw, observed_views)
        blind += blind_observed
    plain = outputs.get("applied_digests") if isinstance(outputs.get("applied_digests"), Mapping) else {}
    hidden = outputs.get("applied_secret_digests")
    digests = None if printed or not isinstance(hidden, Mapping) else {**plain, **hidden}
    marks = outputs.get("__secret_paths")
    last_plan = outputs.get("last_plan")
    return StateData(
        version=1,
        group_id=_text(outputs.get("container_group_id")),
        region=_text(outputs.get("region_id")),
        status=_text(outputs.get("status")),
        owner=owner,
        identity=_text(outputs.get("__identity")),
        applied=tagged(applied_data, owner),
        observed=observed,
        salt=_text(outputs.get("applied_salt")),
        digests={k: v for k, v in digests.items() if isinstance(v, str)} if digests is not None else None,
        plain_digests={k: v for k, v in plain.items() if isinstance(v, str)},
        marks=tuple(marks) if isinstance(marks, (list, tuple)) else (),
        last_plan=last_plan if isinstance(last_plan, Mapping) else {},
        inputs_digest=None if printed else inputs_digest(spec_inputs(outputs)),
        blind=blind,
    )


def read_check(inputs: Mapping[str, Any]) -> Check:
    """What ``check`` published with ``inputs`` (either version)."""
    doc = _loads(inputs.get(CHECK))
    if doc:
        plan_doc = doc.get("plan")
        view_doc = doc.get("views")
    else:  # version 1
        plan_doc = inputs.get("__plan")
        view_doc = inputs.get("__redacted")
    return Check(
        plan_doc if isinstance(plan_doc, Mapping) else {},
        view_doc if isinstance(view_doc, Mapping) else {},
    )


def spec_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The spec fields among a resource's inputs (set ones only)."""
    return {k: v for k, v in props.items() if k in SPEC_FIELDS and v is not None}


def dump(spec: BaseModel) -> dict[str, Any]:
    """A spec as Pulumi inputs: snake_case names, secrets revealed (the engine re-marks them)."""
    return revealed(spec)
