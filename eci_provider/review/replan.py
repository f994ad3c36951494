"""One container group of ``pulumi preview --json``: the step rebuilt, then decided by ``plan_step``.

The preview shows, for an update or a replacement, the previous state (``oldState``: the outputs
the provider wrote, in the state contract of :mod:`eci_provider.provider.state`) and the new
checked inputs (``newState.inputs``).  That is everything the provider's ``diff`` reads, except
secrets, which Pulumi prints as ``"[secret]"`` for the whole top-level value that holds them.
This module rebuilds those values from the redacted views the provider publishes (markers where
the secrets were), aligns the sides where a value was just marked or unmarked secret, and then
calls the provider's own decision, :func:`eci_provider.provider.step.plan_step`: the report and
``pulumi up`` cannot disagree, because there is one decision, not a copy.

What is left here is presentation: which basis the report can claim (the observed group, or only
the inputs, when the state shows no group), the values last applied for write-only fields, and,
when nothing can be planned, the plan ``check`` published.  Only a value Pulumi itself prints as
unknown makes a group *unknown*.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..planning.canonical import related
from ..planning.redaction import SECRET, align, is_marker, leaves, settled
from ..provider.state import MASK, UNKNOWN, read_check, resolve_state, spec_data, state_data
from ..provider.step import NO_DRIFT, Desired, Step, plan_step, read_desired
from ..spec import display
from ..spec.model import ContainerGroupSpec

__all__ = ["MASK", "UNKNOWN", "Replanned", "desired_view", "has_unknown", "replan"]

SPEC_FIELDS = tuple(ContainerGroupSpec.model_fields)
_LENIENT = {"observed": True}
#: The report's name for each basis of a step.
_BASIS = {"observed": "replanned", "inputs": "check", "unknown": "unknown", "unanalysed": "unanalysed"}


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


def desired_view(inputs: Mapping[str, Any]) -> tuple[ContainerGroupSpec | None, list[str]]:
    """The desired spec as far as the preview shows it (secrets as markers); and blind fields."""
    desired = read_desired(inputs, owner=None, views=read_check(inputs).views)
    return desired.spec, list(desired.blind)


def _checked(check: Any, why: str) -> Replanned:
    """The plan ``check`` published (previous inputs against new ones), with the reason it is
    used; without one (a provider version that published none, or inputs check could not
    plan), the group is unanalysed, which is not the same as unknown."""
    if isinstance(check, Mapping) and check.get("action") in ("create", "noop", "update", "replace"):
        note = f"{why}; this is the plan the provider's check made from the previous inputs: {NO_DRIFT}"
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
    check = read_check(new_in)
    checked = check.plan.get("changes")
    changed_by_check = (
        [c["path"] for c in checked if isinstance(c, Mapping) and isinstance(c.get("path"), str)]
        if isinstance(checked, list)
        else None
    )
    resolve = _unifier(changed_by_check)
    previous_views = {k: settled(v) for k, v in read_check(old_in).views.items()}
    data = state_data(old_out, views=previous_views)
    sides: list[dict[str, Any]] = []
    previous_data: dict[str, Any] | None = None
    if data is not None and data.observed is not None and not data.blind:
        sides = [data.observed, data.applied]
    else:  # no group to compare with: the previous inputs stand in, as in check
        previous_data, blind = spec_data(old_in, previous_views)
        sides = [] if blind else [previous_data]

    def aligned(desired_data: dict[str, Any]) -> None:
        for side in sides:
            align(desired_data, side, resolve)

    desired = read_desired(new_in, owner=None, views=check.views, align=aligned)
    state = resolve_state(data) if data is not None else None
    previous = None
    if previous_data is not None and sides:
        previous = read_desired({**previous_data, "__secret_paths": old_in.get("__secret_paths")}, owner=None, views={})
    step = plan_step(state, desired, region=region, previous=previous)
    return _replanned(step, state.applied if state is not None else None, desired, check.plan)


def _replanned(step: Step, last: ContainerGroupSpec | None, desired: Desired, published: Any) -> Replanned:
    basis = _BASIS[step.basis]
    if step.basis == "unknown":
        return Replanned({"action": "unknown"}, "unknown", notes=("some inputs are known only once pulumi up runs",))
    if step.plan is None:
        why = "; ".join(step.notes) or "the preview does not show what changes"
        return _checked(published, why)
    out = step.plan.to_dict()
    if last is not None and desired.spec is not None and step.basis == "observed":
        _show_last_applied(out, dict(leaves(last)), desired.spec, desired.secret_paths)
    return Replanned(out, basis, step.drift, notes=step.notes)


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
            c["old"] = display.show(applied[path])
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
        if "[" in name or "." in name or (a == b and not added) or (added and display.show(b) == key):
            continue  # nested lists: the item-level change says enough; the key is in the path
        hidden = any(related(leaf, s) for s in secret_paths)
        hidden = hidden or not (a is None or _plain(a)) or not (b is None or _plain(b))
        if added:
            parts.append(f"{name} {SECRET if hidden else display.show(b)}")
        elif hidden:
            parts.append(f"{name}: {SECRET} changed")
        else:
            parts.append(f"{name}: {display.show(a)} → {display.show(b)}")
    if added:
        return "added: " + ", ".join(parts) if parts else None
    return "; ".join(parts) or None
