"""Fitting the Markdown report into a size budget (``preview-comment --max-chars``).

GitHub rejects a comment body over 65,536 characters, and a stack with a hundred-odd changing
groups already writes more.  A report longer than its budget is shortened; what a reviewer
must see comes first:

1. the summary (marker, heading, summary line, a table of counts) and a note saying that the
   report is shortened, how many groups are shown how, and where the full report is;
2. every ``--fail-on`` verdict and every warning;
3. every group that replaces, deletes or restarts the instance, in full;
4. every other group, in one line each;
5. the other resources, then the footer.

What does not fit is left out and counted.  Groups of (3) that do not fit in full collapse to
one line: deletes first (a delete's section says little more than its warning), then
replacements, then instance restarts (the effect a reviewer is least likely to expect from an
update).  A group of (3) is never left out while another one is shown in full.  One-line
groups are cut from the end, those of (4) before those of (3).  When (1) and (2) alone exceed
the budget, warnings are cut from the end, with a count; when (1) does, the table goes, then
the summary line; a budget too small even for the marker and the note gets the note cut to the
budget.  The result is never longer than the budget.

Lengths are counted in code points (Python's ``len``): the characters GitHub counts in a body.
A code point is at most 4 UTF-8 bytes, so a body within 65,536 characters also stays within
the 262,144 bytes GitHub has been measured to accept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import markdown as md
from . import render
from .report import IMPACTS, GroupReport, Report

__all__ = ["MUST_KEEP", "fit"]

#: Groups kept in full while they fit; those later in this order collapse first.
MUST_KEEP = ("update-instance", "replace", "delete")
#: Names listed in one ``--fail-on`` verdict of a shortened report (the rest are counted).
MOST_NAMES = 10
GROUPS_HEADING = ("", "### Groups in one line", "")


def _size(lines: Iterable[str]) -> int:
    """Characters ``lines`` take in the report: each line and its newline."""
    return sum(len(line) + 1 for line in lines)


def _fitting(sizes: Sequence[int], room: int) -> int:
    """How many of ``sizes``, from the first, fit in ``room``."""
    used = 0
    for i, size in enumerate(sizes):
        used += size
        if used > room:
            return i
    return len(sizes)


@dataclass(frozen=True)
class _Shown:
    """What a shortened report shows: groups in full, groups in one line, alerts."""

    full: tuple[GroupReport, ...]
    one_line: tuple[GroupReport, ...]
    left_out: tuple[GroupReport, ...]
    #: The warning box as shown (no box at all when not even its count fits).
    alert_box: tuple[str, ...]
    alerts_left_out: int


def fit(
    report: Report, hits: Sequence[tuple[str, Sequence[str]]], max_chars: int, full_report_url: str | None = None
) -> str:
    """The report shortened to at most ``max_chars`` characters (see the module's docstring)."""
    keep = sorted((g for g in report.groups if g.effect in MUST_KEEP), key=lambda g: MUST_KEEP.index(g.effect))
    rest = [g for g in report.groups if g.effect not in MUST_KEEP]
    alerts = [render.failure_line(cond, names, MOST_NAMES) for cond, names in hits] + render.warning_lines(report)
    head = render.head(report, names=False)
    others = _others_line(report)
    groups = len(report.groups)
    worst_note = _note(max_chars, full_report_url, (groups, groups, groups), len(alerts))
    worst_cut = _groups_cut(report.groups) if report.groups else []
    reserved = _size(head) + _size(worst_note) + _size(others) + (_size(GROUPS_HEADING) + _size(worst_cut))
    if reserved > max_chars:
        return _minimal(report, head, max_chars, full_report_url, len(alerts))

    room = max_chars - reserved
    box, shown_alerts = _alerts_fitting(alerts, room)
    full, one_line = _groups_fitting(keep, rest, room - _size(box))
    in_full = {id(g) for g in full}
    in_view = in_full | {id(g) for g in one_line}
    shown = _Shown(
        full=tuple(g for g in report.groups if id(g) in in_full),  # in the report's order
        one_line=one_line,
        left_out=tuple(g for g in (*keep, *rest) if id(g) not in in_view),
        alert_box=tuple(box),
        alerts_left_out=len(alerts) - shown_alerts,
    )
    text = _assemble(report, head, shown, _note(max_chars, full_report_url, _counts(shown), shown.alerts_left_out))
    text = _with_extras(report, text, others, max_chars)
    if len(text) > max_chars:  # cannot happen by construction; the budget is a promise all the same
        return _minimal(report, head, max_chars, full_report_url, len(alerts))
    return text


def _counts(shown: _Shown) -> tuple[int, int, int]:
    return len(shown.full), len(shown.one_line), len(shown.left_out)


def _alerts_fitting(alerts: Sequence[str], room: int) -> tuple[list[str], int]:
    """The warning box holding as many verdicts and warnings as fit in ``room``, from the
    first, with a line counting the others; and how many it holds.  When not even that line
    fits, there is no box (the note counts the warnings left out)."""
    whole = _alert_box(alerts, len(alerts))
    if _size(whole) <= room:
        return whole, len(alerts)
    empty = _alert_box((), len(alerts))  # the count line's number only shrinks as more fit
    if _size(empty) > room:
        return [], 0
    shown = _fitting([len(a) + 1 for a in alerts], room - _size(empty))
    return _alert_box(alerts[:shown], len(alerts)), shown


def _alert_box(shown: Sequence[str], total: int) -> list[str]:
    """The warning box with ``shown`` in it, and a count of the ``total`` that are not."""
    if not total:
        return []
    left = total - len(shown)
    cut = [f"> - …and {left} more {'warning' if left == 1 else 'warnings'} left out here: see the full report"]
    return ["", render.WARNING, *shown, *(cut if left else [])]


def _groups_fitting(
    keep: Sequence[GroupReport], rest: Sequence[GroupReport], room: int
) -> tuple[tuple[GroupReport, ...], tuple[GroupReport, ...]]:
    """Which groups are shown in full and which in one line, within ``room``.

    ``keep`` is in collapse order (the last collapses first).  The first ``k`` are in full for
    the largest ``k`` that leaves room for every other one of ``keep`` in one line; then one-line
    groups follow, as many as fit: the collapsed ones of ``keep``, then ``rest``.
    """
    sections = [_size(["", *render.section(g)]) for g in keep]
    keep_lines = [len(render.one_line(g)) + 1 for g in keep]
    full = 0
    while full < len(keep) and sum(sections[: full + 1]) + sum(keep_lines[full + 1 :]) <= room:
        full += 1
    room -= sum(sections[:full])
    collapsed = keep[full:]
    lined = _fitting(keep_lines[full:], room)
    room -= sum(keep_lines[full : full + lined])
    if lined < len(collapsed):
        return tuple(keep[:full]), tuple(collapsed[:lined])
    rest_lined = _fitting([len(render.one_line(g)) + 1 for g in rest], room)
    return tuple(keep[:full]), (*collapsed, *rest[:rest_lined])


def _assemble(report: Report, head: list[str], shown: _Shown, note: list[str]) -> str:
    out = [*head, *note, *shown.alert_box]
    for g in shown.full:
        out += ["", *render.section(g)]
    if shown.one_line or shown.left_out:
        out += [*GROUPS_HEADING, *(render.one_line(g) for g in shown.one_line), *_groups_cut(shown.left_out)]
    return "\n".join(out) + "\n"


def _with_extras(report: Report, text: str, others: list[str], max_chars: int) -> str:
    """``text`` with the other resources (a table when it fits, else a line) and the footer
    when it fits."""
    table = render.others_table(report)
    listed = table if len(text) + _size(table) <= max_chars else others
    text += "".join(line + "\n" for line in listed)
    footer = render.footer()
    return text + "".join(line + "\n" for line in footer) if len(text) + _size(footer) <= max_chars else text


def _others_line(report: Report) -> list[str]:
    n = len(report.others)
    if not n:
        return []
    return ["", f"**{n} other {'resource' if n == 1 else 'resources'} (not analysed)**: listed in the full report"]


def _groups_cut(left_out: Sequence[GroupReport]) -> list[str]:
    """The line counting the groups left out, by kind (empty when none is)."""
    if not left_out:
        return []
    kinds = Counter(g.impact for g in left_out)
    by_kind = "; ".join(f"{label}: {kinds[k]}" for k, (label, _) in IMPACTS.items() if kinds[k])
    noun = "group" if len(left_out) == 1 else "groups"
    return [f"- …and {len(left_out)} more {noun} left out here ({md.escape(by_kind)}): see the full report"]


def _note(max_chars: int, full_report_url: str | None, counts: tuple[int, int, int], alerts_left_out: int) -> list[str]:
    """Says that the report is shortened, what it shows, and where the whole of it is."""
    full, one_line, left_out = counts
    alerts = f"; warnings: {alerts_left_out} left out" if alerts_left_out else ""
    summary = f"[the job summary]({full_report_url})" if full_report_url else "the job summary"
    return [
        "",
        "> [!NOTE]",
        f"> Shortened to fit {max_chars:,} characters. Groups: {full} in full, {one_line} in one line, "
        f"{left_out} left out{alerts}. The full report is in {summary} of the CI run that posted this, "
        "and `eci-provider preview-comment --format json` (or `--max-chars 0`) gives it from the same preview.",
    ]


def _minimal(report: Report, head: list[str], max_chars: int, full_report_url: str | None, alerts: int) -> str:
    """For a budget too small for the summary table: the summary line, or just the marker, and
    the note; cut to the budget when even that is too long."""
    note = _note(max_chars, full_report_url, (0, 0, len(report.groups)), alerts)
    for lines in (head[:4], head[:1]):
        text = "\n".join([*lines, *note]) + "\n"
        if len(text) <= max_chars:
            return text
    return text[:max_chars]
