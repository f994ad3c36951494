"""Re-planning one container group from what ``pulumi preview --json`` carries.

The preview digest holds, for an update or a replacement, the resource's previous outputs
(``oldState.outputs``: the last observed spec, its status, the digests of what was applied) and
its new checked inputs (``newState.inputs``).  That is everything the provider's ``diff`` uses,
except secrets, which Pulumi prints as ``"[secret]"`` — for the whole top-level field that holds
them.  Those fields are rebuilt from the redacted views ``check`` publishes
(:mod:`._redaction`); write-only digests under them are recomputed from the previous view, so
that an unchanged secret compares equal and a changed one does not.

When something cannot be rebuilt (an unknown value, a field secret as a whole structure, a
state written before views existed), the plan ``check`` made is used instead and the report
says so: it compares the previous inputs with the new ones, so it cannot see drift.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ._redaction import CHANGED, key_paths, leaves, settled
from .plan import Applied, applied_record, plan, region_move
from .spec import ContainerGroupSpec

__all__ = ["MASK", "UNKNOWN", "Replanned", "desired_view", "has_unknown", "replan"]

#: How ``pulumi preview --json`` prints a secret value.
MASK = "[secret]"
#: How the engine serialises a value not known until the update runs.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

SPEC_FIELDS = tuple(ContainerGroupSpec.model_fields)
_LENIENT = {"observed": True}


@dataclass(frozen=True)
class Replanned:
    """A plan (as :meth:`Plan.to_dict`) and how much of it could be checked."""

    plan: Mapping[str, Any]
    #: ``replanned`` (from the observed state, like ``diff``), ``check`` (the plan ``check``
    #: made from the previous inputs) or ``unknown`` (values known only during the update).
    basis: str
    #: Changed paths where the cloud differs from what was last applied (changes made outside
    #: Pulumi, which the update reverts).
    drift: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()


def has_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(has_unknown(v) for v in value)
    return False


def _fields(
    props: Mapping[str, Any], views: Any, settle: bool, prefer_views: bool = True
) -> tuple[dict[str, Any], list[str]]:
    """Spec fields of ``props``, the ones holding secrets taken from ``views``; and the fields
    that could not be rebuilt.

    Views are preferred even where the value is shown (``pulumi preview --json --show-secrets``
    prints secrets): the plan then never sees a secret, and both sides compare markers.
    """
    views = views if isinstance(views, Mapping) else {}
    out: dict[str, Any] = {}
    blind: list[str] = []
    for name in SPEC_FIELDS:
        value = props.get(name)
        if value is None:
            continue
        if name in views and (prefer_views or value == MASK):
            value = settled(views[name]) if settle else views[name]
        elif value == MASK:
            blind.append(name)
            continue
        out[name] = value
    return out, blind


def _shows_secrets(outputs: Mapping[str, Any]) -> bool:
    """Whether the digest was printed with ``--show-secrets`` (this output is always secret)."""
    return isinstance(outputs.get("applied_secret_digests"), Mapping)


def desired_view(inputs: Mapping[str, Any]) -> tuple[ContainerGroupSpec | None, list[str]]:
    """The desired spec as far as the preview shows it (secrets as markers); and blind fields."""
    data, blind = _fields(inputs, inputs.get("__redacted"), settle=False)
    if has_unknown(data):
        return None, blind
    try:
        return ContainerGroupSpec.model_validate(data, context=_LENIENT), blind
    except ValidationError:
        return None, blind


def _fallback(check: Any, why: str, basis: str = "check") -> Replanned:
    p = dict(check) if isinstance(check, Mapping) and check.get("action") else {"action": "unknown"}
    return Replanned(p, basis if p["action"] != "unknown" else "unknown", notes=(why,))


def replan(old: Mapping[str, Any], new: Mapping[str, Any], region: str | None = None) -> Replanned:
    """What the provider's ``diff`` decides for an update or replace step, rebuilt from the digest.

    ``old``/``new`` are the step's ``oldState``/``newState``; ``region`` is ``eci:region`` from
    the digest's config, when set there.
    """
    new_in: Mapping[str, Any] = new.get("inputs") or {}
    old_out: Mapping[str, Any] = old.get("outputs") or {}
    check = new_in.get("__plan")
    if has_unknown({k: new_in.get(k) for k in SPEC_FIELDS}):
        return _fallback(None, "some inputs are known only once `pulumi up` runs, so the change cannot be planned yet")

    moved = region_move(old_out.get("region_id"), region)
    if moved is not None:
        return Replanned(moved.to_dict(), "replanned")

    desired_data, blind_new = _fields(new_in, new_in.get("__redacted"), settle=False)
    observed = old_out.get("observed")
    if not isinstance(observed, Mapping):
        return _fallback(check, "the previous state has no observed copy of the group; this is the plan `check` made")
    old_views = old_out.get("__redacted")
    # The observed side keeps the cloud's values where they are shown, so that drift is seen.
    current_data, blind_cur = _fields(observed, old_views, settle=True, prefer_views=_shows_secrets(old_out))
    applied_data, blind_applied = _fields(old_out, old_views, settle=True)
    blind = sorted(set(blind_new + blind_cur + blind_applied))
    if blind:
        return _fallback(
            check,
            f"{', '.join(blind)} hold secrets the preview does not show; this is the plan `check` made from "
            "the previous inputs, so changes made outside Pulumi are not shown",
        )
    try:
        desired = ContainerGroupSpec.model_validate(desired_data, context=_LENIENT)
        current = ContainerGroupSpec.model_validate(current_data, context=_LENIENT)
        last = ContainerGroupSpec.model_validate(applied_data, context=_LENIENT) if applied_data else None
    except ValidationError as e:
        why = f"the digest does not hold a valid spec ({e.error_count()} problem(s)); this is the plan `check` made"
        return _fallback(check, why)

    salt = old_out.get("applied_salt")
    applied = None
    if isinstance(salt, str) and salt:
        plain = old_out.get("applied_digests")
        recomputed = dict(applied_record(last, salt).digests) if last is not None else {}
        # Digests covering secrets are secret outputs; the views give the same answer for them.
        applied = Applied(salt, {**recomputed, **(plain if isinstance(plain, Mapping) else {})})
    secret_paths = key_paths(desired, [p for p in new_in.get("__secret_paths") or () if isinstance(p, str)])
    status = old_out.get("status") if isinstance(old_out.get("status"), str) else None
    p = plan(desired, current, status, applied=applied, secret_paths=secret_paths)

    drift: frozenset[str] = frozenset()
    if last is not None and p.changes:
        as_applied = plan(desired, last, status, applied=applied, secret_paths=secret_paths)
        intended = {c.describe() for c in as_applied.changes}
        drift = frozenset(c.path for c in p.changes if c.describe() not in intended)
    out = p.to_dict()
    if last is not None:
        _show_last_applied(out, dict(leaves(last)))
    return Replanned(out, "replanned", drift)


def _show_last_applied(p: dict[str, Any], applied: Mapping[str, Any]) -> None:
    """Write-only values are not in DescribeContainerGroups, so the planner can only say "last
    applied"; the previous inputs in the digest hold the value itself, unless it is secret."""
    for c in p.get("changes") or ():
        if c.get("write_only") and not c.get("secret") and c.get("kind") == "changed" and c["path"] in applied:
            value = applied[c["path"]]
            if value not in (MASK, CHANGED) and not has_unknown(value):
                c["old"] = _display(value)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
