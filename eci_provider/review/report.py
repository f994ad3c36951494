"""Reviewer reports of ``pulumi preview --json``: what each container group change will do.

Raw Pulumi output says *update* or *replace*.  A reviewer needs to know more: which UpdateType,
what restarts, why a replacement is needed, and what is risky.  :func:`analyse` reads the
preview digest (Pulumi's ``PreviewDigest``: steps with old and new states), re-runs the planner for each
of our groups from the same data the provider's ``diff`` uses (:mod:`.replan`), and builds a
:class:`Report`; :mod:`.comment` presents it, and
:func:`gate` answers ``--fail-on``.

Resources that are not ECI container groups are listed, never analysed.  Secrets are never
printed: Pulumi masks secret values as ``"[secret]"``; secret-holding inputs are rebuilt from
redacted views; and the planner masks every value typed or marked secret, also when the
document was printed with ``--show-secrets``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..planning.canonical import at_or_under
from ..planning.planner import pinned
from ..planning.redaction import MARKERS, SECRET, is_marker, key_paths, leaves
from ..provider.state import read_check
from ..spec import display, rules
from ..spec.model import RESERVED_TAG_PREFIX, ContainerGroupSpec
from .replan import MASK, UNKNOWN, Replanned, as_mapping, desired_view, replan, shown_text

__all__ = [
    "FAIL_ON",
    "IMPACTS",
    "GroupReport",
    "OtherStep",
    "PreviewError",
    "Report",
    "Row",
    "analyse",
    "failure_text",
    "failures",
    "gate",
]

#: The resource type of :class:`eci_provider.provider.resource.ContainerGroup`.
RESOURCE_TYPE = "pulumi-python:dynamic/eci:ContainerGroup"
#: The native plugin's resource type (``eci_provider.native.TYPE``): the same state contract.
NATIVE_RESOURCE_TYPE = "eci:index:ContainerGroup"
#: Conditions ``--fail-on`` accepts, with what each means.
FAIL_ON = {
    "create": "a group is created",
    "update": "a group is updated in place",
    "replace": "a group is replaced",
    "delete": "a group is deleted",
    "instance-restart": "an update restarts the instance",
    "container-restart": "an update restarts containers",
    "warning": "any group has a warning",
    "drift": "a change reverts something changed outside Pulumi",
    "unknown": "what happens to a group is known only during pulumi up",
    "unanalysed": "a group is not re-planned from its observed state (check's plan, or not analysed at all)",
    "adopt": "an existing group is taken over by adopt_id",
}
#: Impact categories, in report order: label and marker.  An instance restart and a
#: replacement carry the warning sign.
IMPACTS = {
    "create": ("Create", "➕"),
    "adopt": ("Adopt an existing group", "📥"),
    "update-none": ("Update, no restart", "✅"),
    "update-containers": ("Update, restarts containers", "🔁"),
    "update-instance": ("Update, restarts the instance", "⚠️"),
    "replace": ("Replace", "⚠️♻️"),
    "delete": ("Delete", "🗑️"),
    "forget": ("Removed from the stack, left running", "📤"),
    "unknown": ("Known only during pulumi up", "❔"),
    "unanalysed": ("Update, not analysed", "❓"),
    "noop": ("No change to the group", "✅"),
}

_REPLACEMENT_OPS = {"replace", "create-replacement", "delete-replaced"}
_READ_OPS = {"refresh", "read", "read-replacement", "import", "import-replacement"}
_FORGET_OPS = {"discard", "discard-replaced", "remove-pending-replace"}


class PreviewError(ValueError):
    """The input is not a ``pulumi preview --json`` document."""


@dataclass(frozen=True)
class Row:
    """One changed field: ``path: old → new`` and the rule that decided its fate."""

    path: str
    kind: str
    old: str | None
    new: str | None
    rule: str
    #: This change is (one of) the reason(s) for a replacement.
    replaces: bool = False
    secret: bool = False
    #: The cloud differs from what was last applied here: the change reverts an outside edit.
    drift: bool = False
    #: For a write-only item (a registry credential): which of its fields changed.
    detail: str | None = None


@dataclass(frozen=True)
class GroupReport:
    """What ``pulumi up`` will do to one container group."""

    resource: str  # the Pulumi resource name
    urn: str
    op: str  # Pulumi's operation
    impact: str  # a key of IMPACTS
    name: str | None = None  # the ECI group name
    group_id: str | None = None
    #: The status recorded at the last update or refresh (not necessarily the current one).
    status: str | None = None
    size: str | None = None
    update_type: str | None = None
    calls: int = 0
    restarted: tuple[str, ...] = ()
    started: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()
    #: True: the old group is deleted first; False: created first; None: Pulumi's resource
    #: options decide (a replacement the provider did not ask for).
    delete_before_replace: bool | None = False
    replace_fields: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    #: Reasons about the group as a whole (status, instance size, unknown values, overrides).
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: ``replanned`` (like the provider's diff), ``check`` (check's plan: old vs new inputs),
    #: ``unknown`` (a value is unknown), ``unanalysed`` (the preview hides what changes),
    #: ``adopt`` (check's plan from the adopted group as observed at preview time),
    #: ``create``, ``delete``, ``forget`` or ``other``.
    basis: str = "replanned"
    #: The planner's one-line summary, as the provider logs it.
    plan_summary: str | None = None
    #: For a create: the spec's set values as ``(path, value)``, secrets masked.
    created: tuple[tuple[str, str], ...] = ()
    #: For an adoption (``adopt_id``): ``id`` (the group taken over), ``action`` (``noop``,
    #: ``update``, ``replace`` or ``unknown``), ``restart`` (as for an update), ``unverified``
    #: and ``sent`` (write-only values taken as declared, or sent).  None for anything else.
    adopt: Mapping[str, Any] | None = None

    @property
    def effect(self) -> str:
        """What happens to the running group, as an impact: an adoption's is that of the plan
        it carries out (a replacement or an instance restart must not hide behind "adopt")."""
        if self.impact != "adopt" or self.adopt is None:
            return self.impact
        if self.adopt.get("action") == "replace":
            return "replace"
        restart = self.adopt.get("restart") if self.adopt.get("action") == "update" else None
        return {"instance": "update-instance", "containers": "update-containers"}.get(str(restart), "adopt")

    @property
    def summary(self) -> str:
        label = IMPACTS[self.impact][0]
        if self.impact in ("update-none", "update-containers", "update-instance"):
            return f"{label} ({self.update_type})"
        if self.impact == "adopt" and self.adopt is not None:
            then = {
                "noop": "no change",
                "update": f"then update, {self.update_type}",
                "replace": "replaced: " + ("delete first, downtime" if self.delete_before_replace else "create first"),
            }
            return f"{label} ({then.get(str(self.adopt.get('action')), 'known only during pulumi up')})"
        if self.impact == "replace" and self.delete_before_replace is not None:
            return f"{label} ({'delete first: downtime' if self.delete_before_replace else 'create first'})"
        return label


@dataclass(frozen=True)
class OtherStep:
    """A step for a resource that is not a container group: listed, not analysed."""

    op: str
    type: str
    resource: str
    urn: str


@dataclass(frozen=True)
class Report:
    stack: str | None
    project: str | None
    groups: tuple[GroupReport, ...] = ()
    others: tuple[OtherStep, ...] = ()
    change_summary: Mapping[str, int] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in IMPACTS}
        for g in self.groups:
            out[g.impact] += 1
        return out


# --------------------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------------------


def analyse(digest: Any) -> Report:
    """A :class:`Report` of a parsed ``pulumi preview --json`` document."""
    if not isinstance(digest, Mapping) or not isinstance(digest.get("steps"), list):
        exported = isinstance(digest, Mapping) and "deployment" in digest
        hint = " (this looks like `pulumi stack export`)" if exported else ""
        raise PreviewError(f"not a `pulumi preview --json` document{hint}: expected an object with a list of `steps`")
    region = shown_text(as_mapping(digest.get("config")).get("eci:region"))

    stack = project = None
    by_urn: dict[str, list[Mapping[str, Any]]] = {}
    for i, step in enumerate(digest["steps"]):
        if not isinstance(step, Mapping) or not isinstance(step.get("urn"), str) or not isinstance(step.get("op"), str):
            raise PreviewError(f"steps[{i}]: a step needs an `op` and a `urn`")
        parts = _urn_parts(step["urn"])
        if parts and stack is None:
            stack, project = parts[0], parts[1]
        by_urn.setdefault(step["urn"], []).append(step)

    groups: list[GroupReport] = []
    others: list[OtherStep] = []
    for urn, steps in by_urn.items():
        acting = [s for s in steps if s["op"] not in _READ_OPS] or steps  # a refresh before a change
        op = _logical_op(acting)
        kind = _type_of(steps, urn)
        if op in ("same", "refresh", "read") or kind == "pulumi:pulumi:Stack":
            continue  # nothing changes (a refresh only reads; its effect shows in the next step)
        if _is_ours(steps, kind):
            groups.append(_group(urn, op, acting, region))
        else:
            others.append(OtherStep(op, kind, _name_of(urn), urn))
    order = list(IMPACTS)
    groups.sort(key=lambda g: (order.index(g.impact), g.resource))
    # The engine runs steps in parallel, so their order differs from run to run; the report's does not.
    others.sort(key=lambda o: (o.type, o.resource, o.op))
    summary = as_mapping(digest.get("changeSummary"))
    return Report(
        stack, project, tuple(groups), tuple(others), {k: v for k, v in summary.items() if isinstance(v, int)}
    )


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(x for x in value if isinstance(x, str)) if isinstance(value, list) else ()


def _urn_parts(urn: str) -> tuple[str, str, str, str] | None:
    """``urn:pulumi:<stack>::<project>::<type chain>::<name>`` → (stack, project, type, name)."""
    if not urn.startswith("urn:pulumi:"):
        return None
    parts = urn[len("urn:pulumi:") :].split("::", 3)
    if len(parts) != 4:
        return None
    stack, project, chain, name = parts
    return stack, project, chain.rsplit("$", 1)[-1], name


def _name_of(urn: str) -> str:
    parts = _urn_parts(urn)
    return parts[3] if parts else urn


def _type_of(steps: Sequence[Mapping[str, Any]], urn: str) -> str:
    for step in steps:
        for side in ("newState", "oldState"):
            kind = as_mapping(step.get(side)).get("type")
            if isinstance(kind, str):
                return kind
    parts = _urn_parts(urn)
    return parts[2] if parts else "?"


def _is_ours(steps: Sequence[Mapping[str, Any]], kind: str) -> bool:
    if kind in (RESOURCE_TYPE, NATIVE_RESOURCE_TYPE):
        return True
    if not kind.startswith("pulumi-python:dynamic"):
        return False
    for step in steps:  # a subclass registered under another type name: recognise our inputs
        new, old = as_mapping(step.get("newState")), as_mapping(step.get("oldState"))
        new_in, old_out = as_mapping(new.get("inputs")), as_mapping(old.get("outputs"))
        if {"__check", "__plan"} & new_in.keys() or {"__state", "applied_salt"} & old_out.keys():
            return True
    return False


def _logical_op(steps: Sequence[Mapping[str, Any]]) -> str:
    ops = [s["op"] for s in steps]
    if any(o in _REPLACEMENT_OPS for o in ops):
        return "replace"
    return ops[0]


def _pick(steps: Sequence[Mapping[str, Any]], side: str) -> Mapping[str, Any]:
    for step in steps:
        state = as_mapping(step.get(side))
        if state:
            return state
    return {}


def _group(urn: str, op: str, steps: Sequence[Mapping[str, Any]], region: str | None) -> GroupReport:
    old, new = _pick(steps, "oldState"), _pick(steps, "newState")
    old_out, new_in = as_mapping(old.get("outputs")), as_mapping(new.get("inputs"))
    resource = _name_of(urn)
    name = shown_text(new_in.get("name")) or shown_text(old_out.get("name"))
    base: dict[str, Any] = {
        "resource": resource,
        "urn": urn,
        "op": op,
        "name": name,
        "group_id": shown_text(old_out.get("container_group_id")) or shown_text(old.get("id")),
        "status": shown_text(old_out.get("status")),
    }
    if op in ("create", "create-replacement"):
        return _create(base, new_in)
    if op in _FORGET_OPS or (op in ("delete", "delete-replaced") and old.get("retainOnDelete") is True):
        return GroupReport(
            **base,
            impact="forget",
            basis="forget",
            reasons=("Pulumi drops it from the stack (retainOnDelete or a discard); the group itself keeps running",),
        )
    if op in ("delete", "delete-replaced"):
        gone = name or resource
        warning = f"deletes {gone}: its containers stop and its addresses are released"
        return GroupReport(**base, impact="delete", basis="delete", warnings=(warning,))
    if op not in ("update", "replace"):
        reason = f"Pulumi operation `{op}`: it changes nothing in the cloud"
        return GroupReport(**base, impact="noop", basis="other", reasons=(reason,))
    return _changed(base, op, replan(old, new, region), steps, new_in)


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    """Paths (by position) of the spec inputs whose values are not known yet."""
    if value == UNKNOWN:
        return [path]
    out: list[str] = []
    if isinstance(value, Mapping):
        for k, v in value.items():
            if path or (not str(k).startswith("__") and k != "planned_change"):
                out += _unknown_paths(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _unknown_paths(v, f"{path}[{i}]")
    return out


def _create(base: dict[str, Any], inputs: Mapping[str, Any]) -> GroupReport:
    published = read_check(inputs).plan
    if isinstance(published.get("adopt"), Mapping):
        return _adopted(base, published)
    spec, blind = desired_view(inputs)
    if spec is None:
        pending = _unknown_paths(inputs)
        if pending:
            why = "known only during pulumi up: " + ", ".join(pending) + " (by position)"
        elif blind:
            why = f"{', '.join(blind)} hold secrets as whole values, so the spec cannot be listed"
        else:
            why = "the inputs do not form a valid spec here; `pulumi preview` itself would have failed"
        return GroupReport(**base, impact="create", basis="unknown" if pending else "check", reasons=(why,))
    size = None
    try:
        cpu, memory = spec.instance_size()
        size = f"{cpu:g} vCPU / {memory:g} GiB"
    except ValueError:
        pass
    marked = key_paths(spec, inputs.get("__secret_paths"))
    notes = _strings(read_check(inputs).plan.get("notes"))
    return GroupReport(
        **base, impact="create", basis="create", size=size, created=tuple(_created(spec, marked)), notes=notes
    )


def _adopted(base: dict[str, Any], p: Mapping[str, Any]) -> GroupReport:
    """A create that adopts an existing group (``adopt_id``): the plan ``check`` made from the
    group as it was at preview time to the program's spec, as for an update."""
    adopt = as_mapping(p.get("adopt"))
    gid = shown_text(adopt.get("id"))
    action = p.get("action") if p.get("action") in ("noop", "update", "replace") else "unknown"
    facts: dict[str, Any] = {
        "id": gid,
        "action": action,
        "restart": "replace"
        if action == "replace"
        else (shown_text(p.get("restart")) if action == "update" else "none"),
        "unverified": list(_strings(adopt.get("unverified"))),
        "sent": list(_strings(adopt.get("sent"))),
    }
    base = {
        **base,
        "group_id": base.get("group_id") or gid,
        "status": base.get("status") or shown_text(adopt.get("status")),
    }
    if action == "unknown":
        why = "the group adopt_id names is known only during pulumi up, which decides how to adopt it"
        return GroupReport(**base, impact="adopt", basis="unknown", reasons=(why,), adopt=facts)
    replace_fields = _strings(p.get("replace_fields")) if action == "replace" else ()
    changes = [c for c in p.get("changes") or () if isinstance(c, Mapping) and isinstance(c.get("path"), str)]
    rows = tuple(_row(c, replace_fields, frozenset()) for c in changes)
    paths = {c["path"] for c in changes}
    reasons = [f"takes over {gid or 'an existing group'}, made outside this stack, and tags it as this resource's"]
    reasons += [text for text, path in _explained(p) if path not in paths]
    warnings = list(_strings(p.get("warnings")))
    dbr = bool(p.get("delete_before_replace"))
    if action == "replace":
        order = "after deleting it (downtime)" if dbr else "then deletes it"
        warnings.append(f"adopt_replace: replaces {gid}: creates a new group {order}")
    update = action == "update"
    return GroupReport(
        **base,
        impact="adopt",
        basis="adopt",
        update_type=shown_text(p.get("update_type")) if update else None,
        calls=_count(as_mapping(p.get("adopt")).get("calls")) if action != "replace" else 0,
        restarted=_strings(p.get("restarted_containers")) if update else (),
        started=_strings(p.get("started_containers")) if update else (),
        stopped=_strings(p.get("stopped_containers")) if update else (),
        delete_before_replace=dbr if action == "replace" else False,
        replace_fields=replace_fields,
        rows=rows,
        reasons=tuple(reasons),
        warnings=tuple(dict.fromkeys(warnings)),
        notes=tuple(dict.fromkeys(_strings(p.get("notes")))),
        plan_summary=shown_text(p.get("summary")),
        adopt=facts,
    )


_ITEM_KEY = re.compile(r"\[([^\[\]]*)\]\.[a-z_]+$")
_ELEMENT = re.compile(r"\[\d+\]$")


def _created(spec: ContainerGroupSpec, marked: Sequence[str]) -> Iterable[tuple[str, str]]:
    """The set values of a spec to create, by key path; secrets (typed or marked) masked."""
    for path, value in leaves(spec, reveal=False):
        if _ELEMENT.search(path) or path.startswith(f"tags[{RESERVED_TAG_PREFIX}"):
            continue  # a list of scalars is shown whole; the ownership tag is the provider's
        key = _ITEM_KEY.search(path)
        if key and (key.group(1) == _show(value) or key.group(1).startswith(f"{_show(value)}/")):
            continue  # an item's key field: already in the path
        hidden = any(at_or_under(path, m) for m in marked)
        yield path, SECRET if hidden else _show(value)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if is_marker(value) or value == MASK:
        return SECRET
    return display.show(value)


def _changed(
    base: dict[str, Any], op: str, r: Replanned, steps: Sequence[Mapping[str, Any]], new_in: Mapping[str, Any]
) -> GroupReport:
    p = r.plan
    action = p.get("action")
    notes = [*r.notes, *_strings(p.get("notes"))]
    warnings = list(_strings(p.get("warnings")))
    reasons: list[str] = []
    replace_fields = _strings(p.get("replace_fields"))
    dbr: bool | None = bool(p.get("delete_before_replace"))
    # --show-replacement-steps gives the reasons on each step of one replacement: count each once.
    replace_reasons = list(dict.fromkeys(x for s in steps for x in _strings(s.get("replaceReasons"))))
    ops = [s["op"] for s in steps]
    shown_order = "delete-replaced" in ops and "create-replacement" in ops  # --show-replacement-steps
    if shown_order:
        dbr = ops.index("delete-replaced") < ops.index("create-replacement")

    if r.basis in ("unknown", "unanalysed"):
        return _unplanned(base, op, r, steps, new_in, dbr if shown_order else None)
    if op == "replace" and action != "replace":
        asked = ", ".join(replace_reasons) or "an input"
        reasons.append(
            f"Pulumi replaces it although the provider would {p.get('summary', action)}: the program asks for a "
            f"replacement when {asked} changes (replaceOnChanges), or pulumi up --replace does"
        )
        replace_fields = replace_fields or tuple(replace_reasons)
        action, dbr = "replace", (dbr if shown_order else None)
    elif op == "update" and action == "replace":
        warnings.append(
            "the plan rebuilt from this preview says replace, but Pulumi plans an update: the state "
            "changed between the preview and this report; run the preview again"
        )
    elif op == "update" and action == "noop":
        notes.append("nothing differs from the observed group: the update only records the new inputs (no API call)")

    changes = [c for c in p.get("changes") or () if isinstance(c, Mapping) and isinstance(c.get("path"), str)]
    rows = tuple(_row(c, replace_fields, r.drift) for c in changes)
    change_paths = {c["path"] for c in changes}
    downtime = any(w.startswith("downtime") for w in warnings)
    for text, path in _explained(p):
        if path in change_paths or (downtime and path is not None and _pins(path)):
            continue  # shown in its row, or said by the downtime warning
        reasons.append(text)
    if any(row.drift for row in rows):
        warnings.append("reverts changes made outside Pulumi: " + ", ".join(row.path for row in rows if row.drift))

    update = action == "update"
    if action == "replace":
        impact = "replace"
        if dbr and not downtime:
            warnings.append("downtime: the old group is deleted before the new one is created")
    elif update:
        impact = {"instance": "update-instance", "containers": "update-containers"}.get(p.get("restart"), "update-none")
    else:
        impact = "noop"
    return GroupReport(
        **base,
        impact=impact,
        update_type=shown_text(p.get("update_type")) if update else None,
        calls=_count(p.get("calls")) if update else 0,
        restarted=_strings(p.get("restarted_containers")) if update else (),
        started=_strings(p.get("started_containers")) if update else (),
        stopped=_strings(p.get("stopped_containers")) if update else (),
        delete_before_replace=dbr if action == "replace" else False,
        replace_fields=replace_fields if action == "replace" else (),
        rows=rows,
        reasons=tuple(reasons),
        warnings=tuple(dict.fromkeys(warnings)),
        notes=tuple(dict.fromkeys(notes)),
        basis=r.basis,
        plan_summary=shown_text(p.get("summary")),
    )


def _unplanned(
    base: dict[str, Any],
    op: str,
    r: Replanned,
    steps: Sequence[Mapping[str, Any]],
    new_in: Mapping[str, Any],
    shown_dbr: bool | None,
) -> GroupReport:
    """A group with no plan: a value is unknown until pulumi up, or the preview hides what
    changes.  Pulumi's operation is what is known; the two cases are told apart, because only
    the first resolves itself when pulumi up runs."""
    unknown = r.basis == "unknown"
    if unknown:
        reasons = [f"known only during pulumi up: {', '.join(_unknown_paths(new_in)) or 'some inputs'} (by position)"]
    else:
        reasons = [f"not analysed: {'; '.join(r.notes)}"]
    notes = _strings(r.plan.get("notes"))  # the fallback's own note is said by the reasons
    if op == "replace":  # the provider's diff asked for it
        asked = tuple(dict.fromkeys(x for s in steps for x in _strings(s.get("replaceReasons"))))
        why = "is not known yet" if unknown else "changes"
        reasons.append(f"Pulumi replaces it: {', '.join(asked) or 'an input'} cannot be changed in place and {why}")
        pins = pinned(new_in)  # the provider deletes first then, as it does in diff
        downtime = f"downtime: the old group is deleted before the new one is created ({', '.join(pins)})"
        return GroupReport(
            **base,
            impact="replace",
            basis=r.basis,
            delete_before_replace=bool(pins) if shown_dbr is None else shown_dbr,
            warnings=(downtime,) if pins else (),
            replace_fields=asked,
            reasons=tuple(reasons),
            notes=notes,
        )
    if unknown:
        reasons.append("the provider decides how to update it once the values are known")
    else:
        changed = ", ".join(_diff_reasons(steps)) or "some inputs"
        reasons.append(f"Pulumi updates it in place ({changed} changed); its UpdateType and restarts are not known")
    impact = "unknown" if unknown else "unanalysed"
    return GroupReport(**base, impact=impact, basis=r.basis, reasons=tuple(reasons), notes=notes)


def _diff_reasons(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """The top-level inputs Pulumi's own diff found changed (``diffReasons``, else the keys of
    ``detailedDiff``), without the provider's own inputs."""
    found: dict[str, None] = {}
    for step in steps:
        named = _strings(step.get("diffReasons")) or tuple(str(k) for k in as_mapping(step.get("detailedDiff")))
        for name in named:
            top = re.split(r"[.\[]", name, maxsplit=1)[0]
            if top in ContainerGroupSpec.model_fields:
                found[top] = None
    return list(found)


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _pins(path: str) -> bool:
    try:
        return rules.rule_of(ContainerGroupSpec, path).pins_address
    except KeyError:
        return False


def _explained(p: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Each reason with the path it explains (``None``: about the group as a whole)."""
    explained = p.get("explained")
    if isinstance(explained, list):
        out = []
        for e in explained:
            if isinstance(e, Mapping) and isinstance(e.get("what"), str):
                why = e.get("why") if isinstance(e.get("why"), str) else ""
                path = e.get("path") if isinstance(e.get("path"), str) else None
                out.append((f"{e['what']} — {why}" if why else e["what"], path))
        return out
    return [(t, None) for t in _strings(p.get("reasons"))]


def _row(c: Mapping[str, Any], replace_fields: Sequence[str], drift: frozenset[str]) -> Row:
    path = c["path"]
    return Row(
        path=path,
        kind=str(c.get("kind")),
        old=_value(c.get("old")),
        new=_value(c.get("new")),
        rule=c.get("rule") if isinstance(c.get("rule"), str) else "",
        replaces=any(at_or_under(path, f) for f in replace_fields),
        secret=c.get("secret") is True,
        drift=path in drift,
        detail=c.get("detail") if isinstance(c.get("detail"), str) else None,
    )


def _value(v: Any) -> str | None:
    if v is None:
        return None
    text = str(v)
    return SECRET if text in MARKERS or text == MASK or any(m in text for m in MARKERS - {SECRET}) else text


# --------------------------------------------------------------------------------------
# gate
# --------------------------------------------------------------------------------------


def gate(report: Report, fail_on: Iterable[str]) -> list[str]:
    """Which ``--fail-on`` conditions the report meets, as sentences (empty: pass)."""
    return [failure_text(cond, names) for cond, names in failures(report, fail_on)]


def failures(report: Report, fail_on: Iterable[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Each ``--fail-on`` condition the report meets, with the groups that meet it."""
    hits = []
    for cond in fail_on:
        if cond not in FAIL_ON:
            raise ValueError(f"--fail-on: unknown condition {cond!r}; choose from {', '.join(FAIL_ON)}")
        names = tuple(g.resource for g in report.groups if _meets(g, cond))
        if names:
            hits.append((cond, names))
    return hits


def failure_text(cond: str, names: Sequence[str], most: int | None = None) -> str:
    """``replace: cache, db (a group is replaced)``; with ``most``, at most that many names and
    how many more (a report cut to a size cannot list 400 names in one line)."""
    shown = list(names) if most is None or len(names) <= most else [*names[:most], f"and {len(names) - most} more"]
    return f"{cond}: {', '.join(shown)} ({FAIL_ON[cond]})"


def _meets(g: GroupReport, cond: str) -> bool:
    adopting = (g.adopt or {}).get("action") if g.impact == "adopt" else None
    restart = (g.adopt or {}).get("restart") if g.impact == "adopt" else None
    return {
        "create": g.impact == "create",
        "adopt": g.impact == "adopt",
        "update": g.impact.startswith("update-") or adopting == "update",
        "replace": g.impact == "replace" or adopting == "replace",
        "delete": g.impact == "delete",
        "instance-restart": g.impact == "update-instance" or restart == "instance",
        "container-restart": g.impact == "update-containers" or restart == "containers",
        "warning": bool(g.warnings),
        "drift": any(r.drift for r in g.rows),
        "unknown": g.basis == "unknown",
        "unanalysed": g.basis in ("check", "unanalysed"),
    }[cond]
