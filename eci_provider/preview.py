"""Reviewer reports of ``pulumi preview --json``: what each container group change will do.

Raw Pulumi output says *update* or *replace*.  A reviewer needs to know more: which UpdateType,
what restarts, why a replacement is needed, and what is risky.  :func:`analyse` reads the
preview digest (shape: ../shared/reference/pulumi_dynamic.md §4), re-runs the planner for each
of our groups from the same data the provider's ``diff`` used (:mod:`._replan`), and builds a
:class:`Report`; :func:`render_markdown` and :func:`render_json` present it, and
:func:`gate` answers ``--fail-on``.

Resources that are not ECI container groups are listed, never analysed.  Secrets are never
printed: Pulumi already masks secret values as ``"[secret]"``, and every value of a field
typed or marked secret is masked by the planner as well.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from . import _markdown as md
from ._redaction import CHANGED, SECRET, key_paths, leaves
from ._replan import MASK, UNKNOWN, Replanned, desired_view, replan
from .spec import ContainerGroupSpec

__all__ = [
    "FAIL_ON",
    "GroupReport",
    "OtherStep",
    "PreviewError",
    "Report",
    "Row",
    "analyse",
    "gate",
    "render_json",
    "render_markdown",
]

#: The resource type of :class:`eci_provider.provider.ContainerGroup`.
RESOURCE_TYPE = "pulumi-python:dynamic/eci:ContainerGroup"
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
    "unanalysed": "a group could not be re-planned from the preview",
}
#: Impact categories, in report order, with their label and marker.
IMPACTS = {
    "create": ("Create", "➕"),
    "update-none": ("Update, no restart", "✅"),
    "update-containers": ("Update, restarts containers", "🔁"),
    "update-instance": ("Update, restarts the instance", "⚠️"),
    "replace": ("Replace", "⚠️"),
    "delete": ("Delete", "⚠️"),
    "unknown": ("Not known until `pulumi up`", "❔"),
    "noop": ("No change to the group", "✅"),
}

FOOTER = (
    "Rebuilt by eci-provider preview-comment from pulumi preview --json, with the planner the provider runs "
    "(rules: docs/update-rules.md). Secrets are shown as [secret]. Rule sources: seed 001, 003 and 004 are "
    "Alibaba's CreateContainerGroup, DescribeContainerGroups and UpdateContainerGroup references; meta is "
    "Alibaba's API metadata; update-model is the project's update model; interpretation marks our reading "
    "where the references are silent."
)

_REPLACEMENT_OPS = {"replace", "create-replacement", "delete-replaced"}
_HIDDEN_OPS = {"same"}


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


@dataclass(frozen=True)
class GroupReport:
    """What ``pulumi up`` will do to one container group."""

    resource: str  # the Pulumi resource name
    urn: str
    op: str  # Pulumi's operation
    impact: str  # a key of IMPACTS
    name: str | None = None  # the ECI group name
    group_id: str | None = None
    status: str | None = None
    update_type: str | None = None
    calls: int = 0
    restarted: tuple[str, ...] = ()
    started: tuple[str, ...] = ()
    stopped: tuple[str, ...] = ()
    delete_before_replace: bool = False
    replace_fields: tuple[str, ...] = ()
    rows: tuple[Row, ...] = ()
    #: Reasons that are about the group as a whole (status, instance size, pinned addresses).
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    #: ``replanned``, ``check``, ``unknown``, ``create`` or ``delete`` (see :class:`Replanned`).
    basis: str = "replanned"
    #: For a create: the spec's set values as ``(path, value)``, secrets masked.
    created: tuple[tuple[str, str], ...] = ()

    @property
    def summary(self) -> str:
        label = IMPACTS[self.impact][0]
        if self.impact in ("update-none", "update-containers", "update-instance"):
            return f"{label} ({self.update_type})"
        if self.impact == "replace":
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
    config = digest.get("config") if isinstance(digest.get("config"), Mapping) else {}
    region = config.get("eci:region")
    region = region if isinstance(region, str) and region != MASK else None

    stack = project = None
    by_urn: dict[str, list[Mapping[str, Any]]] = {}
    for i, step in enumerate(digest.get("steps") or ()):
        if not isinstance(step, Mapping) or not isinstance(step.get("urn"), str) or not isinstance(step.get("op"), str):
            raise PreviewError(f"steps[{i}]: a step needs an `op` and a `urn`")
        urn = step["urn"]
        parts = _urn_parts(urn)
        if parts and stack is None:
            stack, project = parts[0], parts[1]
        by_urn.setdefault(urn, []).append(step)

    groups: list[GroupReport] = []
    others: list[OtherStep] = []
    for urn, steps in by_urn.items():
        op = _logical_op(steps)
        kind = _type_of(steps, urn)
        if op in _HIDDEN_OPS or kind == "pulumi:pulumi:Stack":
            continue
        if _is_ours(steps, kind):
            groups.append(_group(urn, op, steps, region))
        else:
            others.append(OtherStep(op, kind, _name_of(urn), urn))
    order = list(IMPACTS)
    groups.sort(key=lambda g: (order.index(g.impact), g.resource))
    summary = digest.get("changeSummary")
    return Report(
        stack,
        project,
        tuple(groups),
        tuple(others),
        {k: v for k, v in summary.items() if isinstance(v, int)} if isinstance(summary, Mapping) else {},
    )


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
            state = step.get(side)
            if isinstance(state, Mapping) and isinstance(state.get("type"), str):
                return state["type"]
    parts = _urn_parts(urn)
    return parts[2] if parts else "?"


def _is_ours(steps: Sequence[Mapping[str, Any]], kind: str) -> bool:
    if kind == RESOURCE_TYPE:
        return True
    if not kind.startswith("pulumi-python:dynamic"):
        return False
    for step in steps:  # a subclass registered under another type name: recognise our inputs
        new = _state(step, "newState")
        old = _state(step, "oldState")
        if "__plan" in (new.get("inputs") or {}) or "applied_salt" in (old.get("outputs") or {}):
            return True
    return False


def _logical_op(steps: Sequence[Mapping[str, Any]]) -> str:
    ops = [s["op"] for s in steps]
    if any(o in _REPLACEMENT_OPS for o in ops):
        return "replace"
    return ops[0]


def _state(step: Mapping[str, Any] | None, side: str) -> Mapping[str, Any]:
    value = step.get(side) if step else None
    return value if isinstance(value, Mapping) else {}


def _pick(steps: Sequence[Mapping[str, Any]], side: str) -> Mapping[str, Any]:
    for step in steps:
        if _state(step, side):
            return _state(step, side)
    return {}


def _group(urn: str, op: str, steps: Sequence[Mapping[str, Any]], region: str | None) -> GroupReport:
    old, new = _pick(steps, "oldState"), _pick(steps, "newState")
    old_out = old.get("outputs") or {}
    new_in = new.get("inputs") or {}
    base = {
        "resource": _name_of(urn),
        "urn": urn,
        "op": op,
        "name": _text(new_in.get("name")) or _text(old_out.get("name")),
        "group_id": _text(old_out.get("container_group_id")) or _text(old.get("id")),
        "status": _text(old_out.get("status")),
    }
    if op in ("create", "create-replacement"):
        return _create(base, new_in)
    if op in ("delete", "delete-replaced", "discard"):
        return _delete(base)
    if op not in ("update", "replace"):
        return GroupReport(
            **base,
            impact="noop",
            basis="other",
            notes=(f"Pulumi operation `{op}`: nothing is changed in the cloud by it",),
        )
    r = replan(old, new, region)
    return _changed(base, op, r, steps)


def _unknown_paths(value: Any, path: str = "") -> list[str]:
    """Paths of the spec inputs whose values are not known yet."""
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


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value not in (MASK, UNKNOWN) else None


def _create(base: dict[str, Any], inputs: Mapping[str, Any]) -> GroupReport:
    spec, blind = desired_view(inputs)
    notes = [f"{', '.join(blind)}: hold secrets the preview does not show"] if blind else []
    if spec is None:
        pending = _unknown_paths(inputs)
        notes.append("known only during `pulumi up`: " + (", ".join(pending) or "some inputs"))
        return GroupReport(**base, impact="create", basis="unknown", notes=tuple(notes))
    created: list[tuple[str, str]] = []
    try:
        cpu, memory = spec.instance_size()
        created.append(("instance size", f"{cpu:g} vCPU / {memory:g} GiB"))
    except ValueError:
        pass
    marked = key_paths(spec, [p for p in inputs.get("__secret_paths") or () if isinstance(p, str)])
    created.extend(_created(spec, marked))
    check = inputs.get("__plan")
    if isinstance(check, Mapping):
        notes.extend(n for n in check.get("notes") or () if isinstance(n, str))
    return GroupReport(**base, impact="create", basis="create", created=tuple(created), notes=tuple(notes))


_ITEM_KEY = re.compile(r"\[([^\[\]]*)\]\.[a-z_]+$")
_ELEMENT = re.compile(r"\[\d+\]$")


def _created(spec: ContainerGroupSpec, marked: Sequence[str]) -> Iterable[tuple[str, str]]:
    """The set values of a spec to create, by key path; secrets (typed or marked) masked."""
    for path, value in leaves(spec, reveal=False):
        if _ELEMENT.search(path):
            continue  # a list of scalars is shown whole
        key = _ITEM_KEY.search(path)
        if key and key.group(1) == str(value):
            continue  # an item's key field: already in the path
        hidden = any(path == m or path.startswith((m + ".", m + "[")) for m in marked)
        yield path, SECRET if hidden else _show(value)


def _show(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if value in (CHANGED, SECRET, MASK):
        return SECRET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _delete(base: dict[str, Any]) -> GroupReport:
    gone = base["name"] or base["resource"]
    return GroupReport(
        **base,
        impact="delete",
        basis="delete",
        warnings=(f"deletes {gone}: its containers stop and its addresses are released",),
    )


def _changed(base: dict[str, Any], op: str, r: Replanned, steps: Sequence[Mapping[str, Any]]) -> GroupReport:
    p = r.plan
    action = p.get("action")
    notes = list(r.notes) + [n for n in p.get("notes") or () if isinstance(n, str)]
    warnings = [w for w in p.get("warnings") or () if isinstance(w, str)]
    reasons = []
    replace_fields = tuple(x for x in p.get("replace_fields") or () if isinstance(x, str))
    dbr = bool(p.get("delete_before_replace"))
    replace_reasons = [x for s in steps for x in s.get("replaceReasons") or () if isinstance(x, str)]
    ops = [s["op"] for s in steps]
    if "delete-replaced" in ops and "create-replacement" in ops:
        dbr = dbr or ops.index("delete-replaced") < ops.index("create-replacement")

    if action == "unknown" or r.basis == "unknown":
        pending = _unknown_paths(_state(steps[0], "newState").get("inputs") or {})
        if pending:
            notes.append("known only during `pulumi up`: " + ", ".join(pending))
        if replace_reasons:
            notes.append("Pulumi replaces it if " + ", ".join(replace_reasons) + " turns out to change")
        return GroupReport(
            **base,
            impact="unknown",
            basis="unknown",
            notes=(*notes, f"Pulumi plans to {op} it; the provider decides how once the values are known"),
        )
    if op == "replace" and action != "replace":
        asked = ", ".join(replace_reasons) or "the program or the command line"
        reasons.append(
            f"Pulumi replaces it although an update would do ({p.get('summary', action)}): replacement is "
            f"asked for by {asked} (replaceOnChanges, --replace or deleteBeforeReplace)"
        )
        replace_fields = replace_fields or tuple(replace_reasons)
        action = "replace"
    elif op == "update" and action == "replace":
        warnings.append(
            "the plan rebuilt from this preview says replace, but Pulumi plans an update: the state "
            "changed between the preview and this report; run the preview again"
        )
    elif op == "update" and action == "noop":
        notes.append("nothing differs from the observed group: the update only records the new inputs (no API call)")

    changes = [c for c in p.get("changes") or () if isinstance(c, Mapping)]
    rows = tuple(_row(c, replace_fields, r.drift) for c in changes)
    change_paths = {c.get("path") for c in changes}
    reasons.extend(str(x) for x, path in _explained(p) if path is None or path not in change_paths)
    if any(row.drift for row in rows):
        drifted = ", ".join(row.path for row in rows if row.drift)
        warnings.append(f"reverts changes made outside Pulumi: {drifted}")

    if action == "replace":
        impact = "replace"
        if dbr and not any(w.startswith("downtime") for w in warnings):
            warnings.append("downtime: the old group is deleted before the new one is created")
    elif action == "update":
        impact = {"instance": "update-instance", "containers": "update-containers"}.get(p.get("restart"), "update-none")
    else:
        impact = "noop"
    return GroupReport(
        **base,
        impact=impact,
        update_type=p.get("update_type") if action == "update" else None,
        calls=int(p.get("calls") or 0) if action == "update" else 0,
        restarted=tuple(p.get("restarted_containers") or ()) if action == "update" else (),
        started=tuple(p.get("started_containers") or ()) if action == "update" else (),
        stopped=tuple(p.get("stopped_containers") or ()) if action == "update" else (),
        delete_before_replace=dbr and action == "replace",
        replace_fields=replace_fields if action == "replace" else (),
        rows=rows,
        reasons=tuple(reasons),
        warnings=tuple(dict.fromkeys(warnings)),
        notes=tuple(dict.fromkeys(notes)),
        basis=r.basis,
    )


def _explained(p: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Each reason with the path it explains (``None``: about the group as a whole)."""
    explained = p.get("explained")
    if isinstance(explained, list):
        return [
            (f"{e.get('what')} — {e.get('why')}" if e.get("why") else str(e.get("what")), e.get("path"))
            for e in explained
            if isinstance(e, Mapping)
        ]
    return [(t, None) for t in p.get("reasons") or () if isinstance(t, str)]


def _row(c: Mapping[str, Any], replace_fields: Sequence[str], drift: frozenset[str]) -> Row:
    path = str(c.get("path"))
    replaces = any(path == f or path.startswith((f + ".", f + "[")) for f in replace_fields)
    return Row(
        path=path,
        kind=str(c.get("kind")),
        old=_value(c.get("old")),
        new=_value(c.get("new")),
        rule=str(c.get("rule") or ""),
        replaces=replaces,
        secret=bool(c.get("secret")),
        drift=path in drift,
    )


def _value(v: Any) -> str | None:
    if v is None:
        return None
    text = str(v)
    return SECRET if CHANGED in text or text == MASK else text


# --------------------------------------------------------------------------------------
# gate
# --------------------------------------------------------------------------------------


def gate(report: Report, fail_on: Iterable[str]) -> list[str]:
    """Which ``--fail-on`` conditions the report meets, as sentences (empty: pass)."""
    hits = []
    for cond in fail_on:
        if cond not in FAIL_ON:
            raise ValueError(f"--fail-on: unknown condition {cond!r}; choose from {', '.join(FAIL_ON)}")
        names = [g.resource for g in report.groups if _meets(g, cond)]
        if names:
            hits.append(f"{cond}: {', '.join(names)} ({FAIL_ON[cond]})")
    return hits


def _meets(g: GroupReport, cond: str) -> bool:
    return {
        "create": g.impact == "create",
        "update": g.impact.startswith("update-"),
        "replace": g.impact == "replace",
        "delete": g.impact == "delete",
        "instance-restart": g.impact == "update-instance",
        "container-restart": g.impact == "update-containers",
        "warning": bool(g.warnings),
        "drift": any(r.drift for r in g.rows),
        "unanalysed": g.basis in ("check", "unknown"),
    }[cond]


# --------------------------------------------------------------------------------------
# rendering
# --------------------------------------------------------------------------------------


_RESTART = {"update-none": "none", "update-containers": "containers", "update-instance": "instance"}


def render_json(report: Report, fail_on: Sequence[str] = ()) -> str:
    """The report for bots: counts, groups, other resources, and the ``--fail-on`` verdict."""
    doc = {
        "stack": report.stack,
        "project": report.project,
        "counts": report.counts(),
        "groups": [
            {**asdict(g), "summary": g.summary, "restart": _RESTART.get(g.impact), "created": dict(g.created)}
            for g in report.groups
        ],
        "other_resources": [asdict(o) for o in report.others],
        "change_summary": dict(report.change_summary),
        "failed": gate(report, fail_on),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render_markdown(report: Report, fail_on: Sequence[str] = ()) -> str:
    """A pull-request comment: summary line and table, warnings, one section per group."""
    out: list[str] = [md.marker(report.stack)]
    stack = md.code(report.stack or "?")
    project = f"{md.code(report.project)} · " if report.project else ""
    out.append(f"## ECI container groups: {project}stack {stack}")
    out.append("")
    counts = report.counts()
    changing = [g for g in report.groups if g.impact != "noop"]
    if not changing:
        out.append(f"**No container group changes in {stack}.**")
    else:
        out.append(_summary_line(counts, len(changing), report.stack))
        out.append("")
        out.append("| | Change | Groups |")
        out.append("|---|---|---|")
        for impact, (label, mark) in IMPACTS.items():
            members = [g for g in report.groups if g.impact == impact]
            if members and impact != "noop":
                names = ", ".join(md.code(g.resource) for g in members)
                out.append(f"| {mark} | {label} | {len(members)}: {names} |")
    hits = gate(report, fail_on)
    warned = [(g, w) for g in report.groups for w in g.warnings]
    if warned or hits:
        out += ["", "> [!WARNING]"]
        out += [f"> - **{md.escape(h)}** (fails this check: `--fail-on`)" for h in hits]
        out += [f"> - {md.code(g.resource)}: {md.escape(w)}" for g, w in warned]
    for g in report.groups:
        out.append("")
        out.extend(_section(g))
    if report.others:
        out += ["", "### Other resources (not analysed)", "", "| Operation | Type | Resource |", "|---|---|---|"]
        out += [f"| {md.escape(o.op)} | {md.code(o.type)} | {md.code(o.resource)} |" for o in report.others]
    out += ["", f"<sub>{md.escape(FOOTER)}</sub>"]
    return "\n".join(out) + "\n"


def _summary_line(counts: Mapping[str, int], total: int, stack: str | None) -> str:
    parts = []
    if counts["create"]:
        parts.append(f"{counts['create']} to create")
    updates = counts["update-none"] + counts["update-containers"] + counts["update-instance"]
    if updates:
        split = [
            f"{counts['update-none']} without restart" if counts["update-none"] else "",
            f"{counts['update-containers']} restarting containers" if counts["update-containers"] else "",
            f"{counts['update-instance']} restarting the instance" if counts["update-instance"] else "",
        ]
        parts.append(f"{updates} to update ({', '.join(s for s in split if s)})")
    for key, verb in (("replace", "to replace"), ("delete", "to delete"), ("unknown", "not known until `pulumi up`")):
        if counts[key]:
            parts.append(f"{counts[key]} {verb}")
    noun = "group changes" if total == 1 else "groups change"
    where = f" in {md.code(stack)}" if stack else ""
    return f"**{total} container {noun}{where}:** " + " · ".join(parts)


def _section(g: GroupReport) -> list[str]:
    mark = IMPACTS[g.impact][1]
    out = [f"### {mark} {md.code(g.resource)}: {md.escape(g.summary)}"]
    facts = [md.code(x) for x in (g.name, g.group_id) if x]
    if g.status:
        facts.append(f"status {g.status}")
    if g.impact.startswith("update-"):
        calls = f", {g.calls} calls" if g.calls > 1 else ""
        facts.append(f"UpdateContainerGroup with **{g.update_type}**{calls}")
        facts.append(f"restarts: **{_restart_text(g)}**")
        if g.started:
            facts.append(f"starts {', '.join(md.code(c) for c in g.started)}")
        if g.stopped:
            facts.append(f"stops {', '.join(md.code(c) for c in g.stopped)}")
    elif g.impact == "replace":
        order = "deletes the old group first (downtime)" if g.delete_before_replace else "creates the new group first"
        facts.append(f"**{order}**")
        if g.replace_fields:
            facts.append("because of " + ", ".join(md.code(f) for f in g.replace_fields))
    out.append(" · ".join(facts) if facts else "")
    if g.rows:
        out += ["", "| Field | Change | Rule |", "|---|---|---|"]
        for row in g.rows:
            flags = (" ♻️ replaces" if row.replaces else "") + (" ↺ drift" if row.drift else "")
            out.append(f"| {md.code(row.path)}{flags} | {_change_text(row)} | {md.escape(row.rule)} |")
    if g.reasons:
        out += [""] + [f"- {md.escape(r)}" for r in g.reasons]
    if g.created:
        out += ["", "<details><summary>Spec to create</summary>", "", "| Field | Value |", "|---|---|"]
        out += [f"| {md.code(path)} | {md.code(value)} |" for path, value in g.created]
        out += ["", "</details>"]
    if g.warnings:
        out += [""] + [f"> ⚠️ {md.escape(w)}" for w in g.warnings]
    if g.notes:
        out += ["", "<details><summary>Notes</summary>", ""] + [f"- {md.escape(n)}" for n in g.notes]
        out += ["", "</details>"]
    return out


def _restart_text(g: GroupReport) -> str:
    if g.impact == "update-instance":
        return "the instance" + (f" (all containers: {', '.join(g.restarted)})" if g.restarted else "")
    if g.impact == "update-containers":
        return "containers " + ", ".join(g.restarted)
    return "nothing"


def _change_text(row: Row) -> str:
    if row.secret and row.kind == "changed":
        return f"{md.code(SECRET)} (changed)"
    if row.old is None:
        return "added" + (f": {md.code(row.new)}" if row.new and not row.new.startswith("{") else "")
    if row.new is None:
        return "removed" + (f" (was {md.code(row.old)})" if not row.old.startswith("{") else "")
    return f"{md.code(row.old)} → {md.code(row.new)}"
