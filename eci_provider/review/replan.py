"""Re-planning one container group from what ``pulumi preview --json`` carries.

The preview digest holds, for an update or a replacement, the resource's previous outputs
(``oldState.outputs``: the last observed spec, its status, the digests of what was applied) and
its new checked inputs (``newState.inputs``).  That is everything the provider's ``diff`` uses,
except secrets, which Pulumi prints as ``"[secret]"`` — for the whole top-level field that holds
them.  Those fields are rebuilt from the redacted views ``check`` publishes
(:mod:`._redaction`); write-only digests under them are recomputed from the previous view, so
that an unchanged secret compares equal and a changed one does not.

When the observed side cannot be rebuilt (a state written before the provider kept an
observed copy and views, a field secret as a whole structure), the previous inputs
(``oldState.inputs``) are planned against the new ones with :func:`~eci_provider.planning.planner.inputs_plan`,
the function the provider's ``check`` uses; that plan cannot see drift, and the report says so.
When the inputs hide secrets too, the plan ``check`` published (``__plan``) stands in; without
one, the group is *unanalysed*.  Only a value Pulumi itself prints as unknown makes a group
*unknown*.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..planning.canonical import related
from ..planning.planner import Applied, applied_record, inputs_plan, plan, region_move
from ..planning.redaction import SECRET, align, is_marker, key_paths, leaves, settled
from ..spec.model import ContainerGroupSpec

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
    #: ``replanned`` (from the observed state, like ``diff``), ``check`` (check's plan: the
    #: previous inputs against the new ones), ``unknown`` (values known only during the update)
    #: or ``unanalysed`` (the preview hides what changed and holds no plan).
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


def _fields(props: Mapping[str, Any], views: Any, prefer_views: bool = True) -> tuple[dict[str, Any], list[str]]:
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
            value = views[name]
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
    data, blind = _fields(inputs, inputs.get("__redacted"))
    if has_unknown(data):
        return None, blind
    try:
        return ContainerGroupSpec.model_validate(data, context=_LENIENT), blind
    except ValidationError:
        return None, blind


_NO_DRIFT = "drift cannot be shown (it compares inputs, not the group as it runs)"


def _from_inputs(
    old_in: Mapping[str, Any], new_in: Mapping[str, Any], check: Any, resolve: Resolve, why: str
) -> Replanned:
    """Check's plan, made here from the previous inputs and the new ones; ``why`` says why the
    observed group could not be used.  The inputs' own views stand in for fields Pulumi masks."""
    old_views = {k: settled(v) for k, v in as_mapping(old_in.get("__redacted")).items()}
    previous_data, blind_old = _fields(old_in, old_views)
    desired_data, blind_new = _fields(new_in, new_in.get("__redacted"))
    blind = sorted(set(blind_old + blind_new))
    if blind:
        return _checked(check, f"{why}, and {', '.join(blind)} hold secrets the preview does not show")
    if not previous_data or has_unknown(previous_data):
        return _checked(check, f"{why}, and the previous inputs are not in the preview")
    previous_data, desired_data = copy.deepcopy((previous_data, desired_data))
    align(desired_data, previous_data, resolve)
    try:
        previous = ContainerGroupSpec.model_validate(previous_data, context=_LENIENT)
        desired = ContainerGroupSpec.model_validate(desired_data, context=_LENIENT)
    except ValidationError as e:
        return _checked(check, f"{why}, and the inputs do not form a valid spec ({e.error_count()} problem(s))")
    p = inputs_plan(previous, desired, old_in.get("__secret_paths"), new_in.get("__secret_paths"))
    note = f"{why}: planned from the previous inputs to the new ones, as the provider's check does; {_NO_DRIFT}"
    return Replanned(p.to_dict(), "check", notes=(note,))


def _checked(check: Any, why: str) -> Replanned:
    """The plan ``check`` published (previous inputs against new ones), with the reason it is
    used; without one (a provider version that published none, or inputs check could not
    plan), the group is unanalysed, which is not the same as unknown."""
    if isinstance(check, Mapping) and check.get("action") in ("create", "noop", "update", "replace"):
        note = f"{why}; this is the plan the provider's check made from the previous inputs: {_NO_DRIFT}"
        return Replanned(dict(check), "check", notes=(note,))
    return Replanned({"action": "unanalysed"}, "unanalysed", notes=(why,))


def as_mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if the document has an object there, else an empty one (documents are untrusted)."""
    return value if isinstance(value, Mapping) else {}


def _plain(value: Any) -> bool:
    """A value shown as it is: not a marker, not masked, not unknown."""
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is not None and value != MASK and not is_marker(value) and not has_unknown(value)


def _marked(value: Any) -> bool:
    return value == SECRET or value == [SECRET]


Resolve = Callable[[str, Any, Any], tuple[Any, Any]]


def _unifier(changed_by_check: list[str] | None) -> Resolve:
    """Where one side shows a value and the other an unchanged-secret marker (a value marked
    secret, or unmarked, since the last update), both sides take the shown value, unless
    ``check`` (which saw both in plain text) reports a change there."""

    def resolve(path: str, desired: Any, other: Any) -> tuple[Any, Any]:
        if _marked(desired) and _plain(other):
            return other, other
        if _marked(other) and _plain(desired):
            touched = changed_by_check is None or any(related(path, q) for q in changed_by_check)
            return (desired, other) if touched else (desired, desired)
        return desired, other

    return resolve


def replan(old: Mapping[str, Any], new: Mapping[str, Any], region: str | None = None) -> Replanned:
    """What the provider's ``diff`` decides for an update or replace step, rebuilt from the digest.

    ``old``/``new`` are the step's ``oldState``/``newState``; ``region`` is ``eci:region`` from
    the digest's config, when set there.
    """
    new_in, old_out = as_mapping(new.get("inputs")), as_mapping(old.get("outputs"))
    old_in = as_mapping(old.get("inputs"))
    check = new_in.get("__plan")
    if has_unknown({k: new_in.get(k) for k in SPEC_FIELDS}):
        return Replanned({"action": "unknown"}, "unknown", notes=("some inputs are known only once pulumi up runs",))

    moved = region_move(shown_text(old_out.get("region_id")), region)
    if moved is not None:
        return Replanned(moved.to_dict(), "replanned")

    checked = as_mapping(check).get("changes")
    changed_by_check = (
        [c["path"] for c in checked if isinstance(c, Mapping) and isinstance(c.get("path"), str)]
        if isinstance(checked, list)
        else None
    )
    resolve = _unifier(changed_by_check)
    observed = old_out.get("observed")
    if not isinstance(observed, Mapping):
        return _from_inputs(old_in, new_in, check, resolve, "the previous state has no observed copy of the group")
    old_views = {k: settled(v) for k, v in as_mapping(old_out.get("__redacted")).items()}
    # The observed side: the cloud's values where shown; masked fields from the view of the
    # observed group (it marks drifted secrets), else from the previous inputs' view.
    cur_views = {**old_views, **as_mapping(old_out.get("observed_redacted"))}
    desired_data, blind_new = _fields(new_in, new_in.get("__redacted"))
    current_data, blind_cur = _fields(observed, cur_views, prefer_views=_shows_secrets(old_out))
    applied_data, blind_applied = _fields(old_out, old_views)
    blind = sorted(set(blind_new + blind_cur + blind_applied))
    if blind:
        why = f"{', '.join(blind)} hold secrets the preview does not show in the previous state"
        return _from_inputs(old_in, new_in, check, resolve, why)
    desired_data, current_data, applied_data = copy.deepcopy((desired_data, current_data, applied_data))
    align(desired_data, current_data, resolve)
    align(desired_data, applied_data, resolve)
    try:
        desired = ContainerGroupSpec.model_validate(desired_data, context=_LENIENT)
        current = ContainerGroupSpec.model_validate(current_data, context=_LENIENT)
        last = ContainerGroupSpec.model_validate(applied_data, context=_LENIENT) if applied_data else None
    except ValidationError as e:
        return _checked(check, f"the digest does not hold a valid spec ({e.error_count()} problem(s))")

    salt = old_out.get("applied_salt")
    applied = None
    if isinstance(salt, str) and salt:
        plain = as_mapping(old_out.get("applied_digests"))
        recomputed = dict(applied_record(last, salt).digests) if last is not None else {}
        # Digests covering secrets are secret outputs; the views give the same answer for them.
        applied = Applied(salt, {**recomputed, **{k: v for k, v in plain.items() if isinstance(v, str)}})
    secret_paths = key_paths(desired, new_in.get("__secret_paths"))
    p = plan(desired, current, shown_text(old_out.get("status")), applied=applied, secret_paths=secret_paths)

    drift: frozenset[str] = frozenset()
    if last is not None and p.changes:
        as_applied = plan(desired, last, shown_text(old_out.get("status")), applied=applied, secret_paths=secret_paths)
        intended = {c.describe() for c in as_applied.changes}
        drift = frozenset(c.path for c in p.changes if c.describe() not in intended)
    out = p.to_dict()
    if last is not None:
        _show_last_applied(out, dict(leaves(last)), desired, secret_paths)
    return Replanned(out, "replanned", drift)


def shown_text(value: Any) -> str | None:
    """``value`` if it is a string the document really shows (not a secret or unknown marker)."""
    return value if isinstance(value, str) and value not in (MASK, UNKNOWN) else None


def _show_last_applied(
    p: dict[str, Any], applied: Mapping[str, Any], desired: ContainerGroupSpec, secret_paths: list[str]
) -> None:
    """Write-only values are not in DescribeContainerGroups, so the planner can only say "last
    applied"; the previous inputs in the digest hold the value itself, unless it is secret.
    For a write-only item (a registry credential), say which of its fields changed."""
    wanted = dict(leaves(desired))
    # Values typed secret (a password) are hidden even when the digest printed them.
    typed = [k for k, v in leaves(desired, reveal=False) if v == SECRET and wanted.get(k) != SECRET]
    for c in p.get("changes") or ():
        if not c.get("write_only") or c.get("kind") not in ("changed", "added"):
            continue
        path = c["path"]
        if c["kind"] == "added":
            if path.endswith("]") and c.get("whole") is not False:
                c["detail"] = _item_detail(path, {}, wanted, [*secret_paths, *typed], added=True)
        elif not c.get("secret") and path in applied and _plain(applied[path]):
            c["old"] = _display(applied[path])
        elif path.endswith("]"):
            c["detail"] = _item_detail(path, applied, wanted, [*secret_paths, *typed])


def _item_detail(
    path: str, before: Mapping[str, Any], after: Mapping[str, Any], secret_paths: list[str], added: bool = False
) -> str | None:
    """For one write-only item: ``user_name: a → b; password: [secret] changed`` (what differs),
    or ``added: user_name shop-ci, password [secret]``."""
    prefix = path + "."
    parts = []
    key = path[path.rindex("[") + 1 : -1]
    for leaf in dict.fromkeys(k for k in (*after, *before) if k.startswith(prefix)):
        name = leaf[len(prefix) :]
        a, b = before.get(leaf), after.get(leaf)
        if "[" in name or "." in name or (a == b and not added) or (added and _display_or_unset(b) == key):
            continue  # nested lists: the item-level change says enough; the key is in the path
        hidden = any(related(leaf, s) for s in secret_paths)
        hidden = hidden or not (a is None or _plain(a)) or not (b is None or _plain(b))
        if added:
            parts.append(f"{name} {SECRET if hidden else _display_or_unset(b)}")
        elif hidden:
            parts.append(f"{name}: {SECRET} changed")
        else:
            parts.append(f"{name}: {_display_or_unset(a)} → {_display_or_unset(b)}")
    if added:
        return "added: " + ", ".join(parts) if parts else None
    return "; ".join(parts) or None


def _display_or_unset(value: Any) -> str:
    return "(unset)" if value is None else _display(value)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
