"""Presenting a :class:`~eci_provider.review.report.Report`: Markdown for a pull request, JSON for bots.

Every value that comes from a spec (tag keys, commands, images) goes through
:mod:`._markdown`, so that no value can break a table, open HTML, mention someone or link.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from ..planning.redaction import SECRET
from . import markdown as md
from .report import IMPACTS, GroupReport, Report, Row, failure_text

FOOTER = (
    "Rebuilt by eci-provider preview-comment from pulumi preview --json, with the planner the provider runs "
    "(rules: docs/update-rules.md). Secrets are shown as [secret]. Status is as last seen by Pulumi "
    "(refresh to update it). Each rule names its source: an Alibaba Cloud document (the CreateContainerGroup, "
    "DescribeContainerGroups or UpdateContainerGroup API reference, the Alibaba Cloud API metadata, the ECI "
    "instance specifications), or docs/update-rules.md (interpretation) where those are silent."
)
_RESTART = {"update-none": "none", "update-containers": "containers", "update-instance": "instance"}


def as_json(report: Report, hits: Sequence[str]) -> str:
    counts = report.counts()
    if not counts["adopt"]:  # reports without adoptions read as they did before adoption existed
        del counts["adopt"]
    doc = {
        "stack": report.stack,
        "project": report.project,
        "counts": counts,
        "groups": [_group_json(g) for g in report.groups],
        "other_resources": [asdict(o) for o in report.others],
        "change_summary": dict(report.change_summary),
        "failed": list(hits),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _group_json(g: GroupReport) -> dict[str, Any]:
    out = {**asdict(g), "summary": g.summary, "created": dict(g.created)}
    out["restart"] = _RESTART.get(g.impact) or ((g.adopt or {}).get("restart") if g.impact == "adopt" else None)
    if g.adopt is None:
        del out["adopt"]
    return out


def markdown(report: Report, hits: Sequence[tuple[str, Sequence[str]]]) -> str:
    """The full report: summary, verdicts and warnings, every group in full, other resources."""
    out = head(report, names=True)
    verdicts = [failure_line(cond, names) for cond, names in hits]
    alerts = verdicts + warning_lines(report)
    if alerts:
        out += ["", WARNING, *alerts]
    for g in report.groups:
        out.append("")
        out.extend(section(g))
    out += others_table(report)
    out += footer()
    return "\n".join(out) + "\n"


WARNING = "> [!WARNING]"


def head(report: Report, names: bool) -> list[str]:
    """The marker, the heading, the summary line and the table per impact (with the groups'
    names when ``names``; a shortened report has no room for 2,000 names there)."""
    out: list[str] = [md.marker(report.stack)]
    stack = md.code(report.stack or "?", table=False)
    project = f"{md.code(report.project, table=False)} · " if report.project else ""
    out += [f"## ECI container groups: {project}stack {stack}", ""]
    counts = report.counts()
    changing = [g for g in report.groups if g.impact != "noop"]
    if not changing:
        out.append(f"**No container group changes in {stack}.**")
        return out
    out += [_summary_line(counts, len(changing), stack), "", "| | Change | Groups |", "|---|---|---|"]
    for impact, (label, mark) in IMPACTS.items():
        members = [g for g in report.groups if g.impact == impact]
        if members and impact != "noop":
            listed = ": " + ", ".join(md.code(g.resource) for g in members) if names else ""
            out.append(f"| {mark} | {md.escape(label)} | {len(members)}{listed} |")
    return out


def failure_line(cond: str, names: Sequence[str], most: int | None = None) -> str:
    """One ``--fail-on`` verdict, as an item of the warning box."""
    return f"> - **{md.escape(failure_text(cond, names, most))}** (fails this check: `--fail-on`)"


def warning_lines(report: Report) -> list[str]:
    """Every group's warnings, as items of the warning box, in the report's order."""
    return [f"> - {md.code(g.resource, table=False)}: {md.escape(w)}" for g in report.groups for w in g.warnings]


def one_line(g: GroupReport) -> str:
    """A group in one line, for a shortened report: what happens to it, not why."""
    mark = IMPACTS[g.impact][1]
    return f"- {mark} {md.code(g.resource, table=False)}: {md.escape(g.summary)}"


def others_table(report: Report) -> list[str]:
    if not report.others:
        return []
    out = ["", "### Other resources (not analysed)", "", "| Operation | Type | Resource |", "|---|---|---|"]
    return out + [f"| {md.escape(o.op)} | {md.code(o.type)} | {md.code(o.resource)} |" for o in report.others]


def footer() -> list[str]:
    return ["", f"<sub>{md.escape(FOOTER)}</sub>"]


def _summary_line(counts: Mapping[str, int], total: int, stack: str) -> str:
    parts = []
    if counts["create"]:
        parts.append(f"{counts['create']} to create")
    if counts["adopt"]:
        parts.append(f"{counts['adopt']} to adopt")
    updates = counts["update-none"] + counts["update-containers"] + counts["update-instance"]
    if updates:
        split = [
            f"{counts['update-none']} without restart" if counts["update-none"] else "",
            f"{counts['update-containers']} restarting containers" if counts["update-containers"] else "",
            f"{counts['update-instance']} restarting the instance" if counts["update-instance"] else "",
        ]
        parts.append(f"{updates} to update ({', '.join(s for s in split if s)})")
    for key, verb in (
        ("replace", "to replace"),
        ("delete", "to delete"),
        ("forget", "to drop from the stack"),
        ("unknown", "known only during pulumi up"),
        ("unanalysed", "to update, not analysed"),
    ):
        if counts[key]:
            parts.append(f"{counts[key]} {verb}")
    noun = "group changes" if total == 1 else "groups change"
    return f"**{total} container {noun} in {stack}:** " + " · ".join(parts)


def section(g: GroupReport) -> list[str]:
    mark = IMPACTS[g.impact][1]
    out = [f"### {mark} {md.code(g.resource, table=False)}: {md.escape(g.summary)}"]
    facts = _facts(g)
    if facts:
        out.append(" · ".join(facts))
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


def _facts(g: GroupReport) -> list[str]:
    facts = []
    if g.name and g.name != g.resource:
        facts.append(f"group {md.code(g.name, table=False)}")
    if g.group_id:
        facts.append(md.code(g.group_id, table=False))
    if g.status:
        facts.append(f"last seen {md.escape(g.status)}")
    if g.size:
        facts.append(md.escape(g.size))
    if g.impact == "adopt":
        facts += _adopt_facts(g)
    elif g.impact.startswith("update-"):
        calls = f", {g.calls} calls" if g.calls > 1 else ""
        facts.append(f"UpdateContainerGroup with **{md.escape(g.update_type or '?')}**{calls}")
        facts.append(f"restarts: **{_restart_text(g)}**")
        if g.started:
            facts.append("starts " + ", ".join(md.code(c, table=False) for c in g.started))
        if g.stopped:
            facts.append("stops " + ", ".join(md.code(c, table=False) for c in g.stopped))
    elif g.impact == "replace":
        if g.delete_before_replace is None:
            facts.append("order (create or delete first) set by the resource options")
        elif g.delete_before_replace:
            facts.append("**deletes the old group first (downtime)**")
        else:
            facts.append("**creates the new group first, then deletes the old one**")
        if g.replace_fields:
            facts.append("because of " + ", ".join(md.code(f, table=False) for f in g.replace_fields))
    return facts


def _adopt_facts(g: GroupReport) -> list[str]:
    adopt = g.adopt or {}
    action = adopt.get("action")
    facts = []
    if action == "noop":
        facts.append("no change: one UpdateContainerGroup sets its owner tag")
    elif action == "update":
        calls = f", {g.calls} calls" if g.calls > 1 else ""
        facts.append(f"then UpdateContainerGroup with **{md.escape(g.update_type or '?')}**{calls}")
        restart = {"instance": "update-instance", "containers": "update-containers"}.get(str(adopt.get("restart")))
        shown = GroupReport(g.resource, g.urn, g.op, restart or "update-none", restarted=g.restarted)
        facts.append(f"restarts: **{_restart_text(shown)}**")
    elif action == "replace":
        first = "deletes it first (downtime)" if g.delete_before_replace else "creates the new group first"
        facts.append(f"**replaced** (adopt\\_replace): {first}")
        if g.replace_fields:
            facts.append("because of " + ", ".join(md.code(f, table=False) for f in g.replace_fields))
    unverified = adopt.get("unverified") or ()
    if unverified:
        facts.append(f"{len(unverified)} write-only value(s) not verified")
    if adopt.get("sent"):
        facts.append(f"{len(adopt['sent'])} write-only value(s) sent")
    return facts


def _restart_text(g: GroupReport) -> str:
    names = ", ".join(md.code(c, table=False) for c in g.restarted)
    if g.impact == "update-instance":
        return "the instance" + (f" (all containers: {names})" if names else "")
    if g.impact == "update-containers":
        return "containers " + names
    return "nothing"


def _change_text(row: Row) -> str:
    if row.detail:
        return md.escape(row.detail)
    if row.secret and row.kind == "changed":
        return f"{md.code(SECRET)} (changed)"
    if row.old is None:
        return "added" + (f": {md.code(row.new)}" if row.new and not row.new.startswith("{") else "")
    if row.new is None:
        return "removed" + (f" (was {md.code(row.old)})" if not row.old.startswith("{") else "")
    old, new = _elide(row.old, row.new)
    return f"{md.code(old)} → {md.code(new)}"


def _elide(old: str, new: str, width: int = 60) -> tuple[str, str]:
    """Long values that share a beginning are shown from shortly before they differ, so that a
    version bump at the end of a long image name stays visible."""
    if len(old) <= width and len(new) <= width:
        return old, new
    common = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        common += 1
    slash = old.rfind("/", 0, common)  # start at a path segment when one is near
    cut = slash + 1 if slash >= 8 and common - slash <= 48 else max(0, common - 24)
    if cut < 8:
        return old, new
    return "…" + old[cut:], "…" + new[cut:]
