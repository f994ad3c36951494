"""``plan_step``: the one decision both ``diff`` and the pull-request report make.

Given a resource's state (:class:`~.state.ResourceState`) and its new inputs (:class:`Desired`),
it says what ``pulumi up`` will do to the group, and everything around the plan that used to be
decided in two places: values not known yet (and which of them force a replacement), a region
move, deleting first, drift (from the planner's own comparison of the group as seen with what
was applied, not from rendered text), and which values to mask (the program's marks now *and*
when the state was written, so that unmarking a secret never shows its old value).

The provider calls it from ``diff`` with states it reads in plain text; the report calls it with
states rebuilt from ``pulumi preview --json`` (secrets as markers).  Neither has a copy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from ..planning import canonical as C
from ..planning.planner import Plan, inputs_plan, pinned, plan, region_move
from ..planning.redaction import key_paths
from ..spec.model import ContainerGroupSpec, validated
from ..spec.problems import flatten_errors
from ..spec.rules import rule_of
from .ownership import tagged
from .state import ResourceState, is_unknown, spec_data, spec_inputs

__all__ = ["Desired", "Step", "plan_step", "read_desired"]

Basis = Literal["observed", "inputs", "unknown", "unanalysed"]


@dataclass(frozen=True)
class Desired:
    """A resource's new inputs, read: the spec to reach, or why there is none yet."""

    #: The spec as it is applied (owner tag included); None when inputs are unknown or invalid.
    spec: ContainerGroupSpec | None
    #: The spec inputs as given (values may be unknown).
    inputs: Mapping[str, Any]
    #: Top-level fields whose values are not known until ``pulumi up`` runs.
    unknown: tuple[str, ...] = ()
    #: The program's secret marks (index paths, as ``__secret_paths`` holds them).
    marks: tuple[Any, ...] = ()
    #: Validation problems, ``(path, message)``: the inputs cannot be applied.
    problems: tuple[tuple[str, str], ...] = ()
    #: Top-level fields a preview hides without a view to stand in (the report only).
    blind: tuple[str, ...] = ()

    @property
    def secret_paths(self) -> list[str]:
        return key_paths(self.spec, self.marks) if self.spec is not None else []


@dataclass(frozen=True)
class Step:
    """What ``pulumi up`` will do to one group, and why."""

    basis: Basis
    plan: Plan | None
    #: Changed paths where the cloud differs from what was last applied (the update reverts them).
    drift: frozenset[str] = frozenset()
    #: Top-level fields that force a replacement (what the engine calls ``replaces``).
    replaces: tuple[str, ...] = ()
    delete_before_replace: bool = False
    notes: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        if self.plan is not None:
            return self.plan.summary()
        return "unknown until the inputs it depends on are known" if self.basis == "unknown" else "not analysed"


def read_desired(
    props: Mapping[str, Any],
    *,
    owner: str | None,
    views: Mapping[str, Any] | None = None,
    align: Callable[[dict[str, Any]], None] | None = None,
) -> Desired:
    """``props`` (a resource's inputs) as the spec to reach; ``owner`` is the owner-tag value.

    ``views``: the inputs are printed (secrets as ``[secret]``), and these redacted views stand
    in; such inputs were accepted by the provider already, so only types are checked.
    ``align`` may rewrite the spec data before it is validated (the report aligns it with the
    state's, where one side shows a value and the other only a marker).
    """
    raw = spec_inputs(props)
    marks_raw = props.get("__secret_paths")
    marks = tuple(marks_raw) if isinstance(marks_raw, (list, tuple)) else ()
    unknown = tuple(k for k, v in raw.items() if _has_unknown(v))
    if unknown:
        return Desired(None, raw, unknown=unknown, marks=marks)
    data, blind = spec_data(raw, views) if views is not None else (dict(raw), [])
    if blind:
        return Desired(None, raw, marks=marks, blind=tuple(blind))
    if align is not None:
        align(data)
    tagged(data, owner)
    try:
        spec = validated(data, observed=views is not None)
    except ValidationError as e:
        return Desired(None, raw, marks=marks, problems=tuple(flatten_errors(e)))
    return Desired(spec, raw, marks=marks)


def _has_unknown(value: Any) -> bool:
    """Whether ``value`` holds a value not known yet: the engine's marker, or the SDK's object."""
    stack = [value]
    while stack:
        v = stack.pop()
        kind = type(v)
        if kind is dict:
            stack.extend(v.values())
        elif kind is list or kind is tuple:
            stack.extend(v)
        elif is_unknown(v):
            return True
    return False


def plan_step(
    state: ResourceState | None,
    desired: Desired,
    *,
    region: str | None,
    previous: Desired | None = None,
) -> Step:
    """What ``pulumi up`` will do to the group in ``state`` given ``desired``.

    ``region`` is the provider's region now.  ``previous`` (the inputs last applied) stands in
    for the observed group when the state does not show one: the plan then compares inputs,
    like ``check``, and cannot see drift.
    """
    if desired.unknown:
        forcing = tuple(f for f in desired.unknown if rule_of(ContainerGroupSpec, f).create_only)
        # A replacement with an address pinned (or maybe pinned) must delete first.
        first = bool(forcing) and bool(pinned(desired.inputs))
        return Step("unknown", None, replaces=forcing, delete_before_replace=first)
    if desired.spec is None:
        return Step("unanalysed", None, notes=_why_no_spec(desired))
    if state is not None:
        moved = region_move(state.region, region)
        if moved is not None:
            return _decided("observed", moved)
    if state is not None and state.observed is not None and not state.blind:
        marks = _marks(desired, state)
        p = plan(desired.spec, state.observed, state.status, applied=state.record, secret_paths=marks)
        return _decided("observed", p, _drift(p, state, marks))
    if previous is not None and previous.spec is not None:
        p = inputs_plan(previous.spec, desired.spec, list(previous.marks), list(desired.marks))
        why = (
            "the previous state has no observed copy of the group"
            if state is None or not state.blind
            else (f"{', '.join(state.blind)} hold secrets the preview does not show in the previous state")
        )
        note = f"{why}: planned from the previous inputs to the new ones, as the provider's check does; {NO_DRIFT}"
        return _decided("inputs", p, notes=(note,))
    if state is not None and state.blind:
        why = f"{', '.join(state.blind)} hold secrets the preview does not show in the previous state"
    else:
        why = "the previous state shows neither the group nor the previous inputs"
    return Step("unanalysed", None, notes=(why,))


NO_DRIFT = "drift cannot be shown (it compares inputs, not the group as it runs)"


def _decided(basis: Basis, p: Plan, drift: frozenset[str] = frozenset(), notes: tuple[str, ...] = ()) -> Step:
    if p.action == "replace":
        return Step(basis, p, drift, p.replace_top_fields, p.delete_before_replace, notes)
    return Step(basis, p, drift, notes=notes)


def _marks(desired: Desired, state: ResourceState) -> list[str]:
    """Paths to mask: marked now, or marked when the state was written (an unmarked value's old
    side was secret, and stays so)."""
    assert desired.spec is not None
    before = key_paths(state.applied or desired.spec, state.marks) if state.marks else []
    return list(dict.fromkeys([*key_paths(desired.spec, desired.marks), *before]))


def _drift(p: Plan, state: ResourceState, marks: list[str]) -> frozenset[str]:
    """The changed paths where the group as seen differs from what was applied: the planner's
    own comparison of the two (canonical forms), not of rendered text."""
    if state.applied is None or state.observed is None or not p.changes:
        return frozenset()
    if state.differed is not None and not any(C.top_field(c.path) in state.differed for c in p.changes):
        return frozenset()  # the group as seen matched what was applied in every changed field
    cloud = plan(state.applied, state.observed, None, applied=state.record, secret_paths=marks)
    moved = [c.path for c in cloud.changes]
    return frozenset(c.path for c in p.changes if any(C.related(c.path, m) for m in moved))


def _why_no_spec(desired: Desired) -> tuple[str, ...]:
    if desired.blind:
        return (f"{', '.join(desired.blind)} hold secrets the preview does not show",)
    if desired.problems:
        return ("the inputs do not form a valid spec: " + "; ".join(f"{p}: {m}" for p, m in desired.problems),)
    return ("no inputs",)


__all__ += ["NO_DRIFT"]
