"""The pull-request comment fits where it is posted: ``preview-comment --max-chars``.

GitHub rejects a comment body over 65,536 characters.  The documents here are previews of big
stacks: the container-group steps of tests/data/previews/mixed.json (built from the real
provider) copied under new names, every kind of change alike (``BIG``) or mostly harmless
updates around a few replacements, deletes and instance restarts (``QUIET``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from previews import DATA, many_groups

from eci_provider.cli import main
from eci_provider.review import markdown as md
from eci_provider.review.comment import render_markdown
from eci_provider.review.report import Report, analyse

GITHUB_LIMIT = 65_536
#: Kept in full while they fit, in this order: deletes collapse first, instance restarts last.
MUST_KEEP = ("update-instance", "replace", "delete")
QUIET_MIX = {"shop-tags": 1400, "shop-web": 588, "shop-init": 4, "db": 3, "cache": 2, "legacy": 3}

_FULL = re.compile(r"^### \S+ `([^`]+)`: ")
_ONE_LINE = re.compile(r"^- \S+ `([^`]+)`: ")
_GROUPS_LEFT_OUT = re.compile(r"^- …and (\d+) more groups? left out here")
_WARNINGS_LEFT_OUT = re.compile(r"^> - …and (\d+) more warnings? left out here")
_NOTE_COUNTS = re.compile(r"(\d+) in full, (\d+) in one line, (\d+) left out(?:; warnings: (\d+) left out)?")


def _mixed() -> dict[str, Any]:
    return json.loads((DATA / "mixed.json").read_text())


@pytest.fixture(scope="module")
def big() -> Report:
    report = analyse(many_groups(_mixed(), 2000))
    assert len(report.groups) == 2000
    return report


@pytest.fixture(scope="module")
def quiet() -> Report:
    report = analyse(many_groups(_mixed(), QUIET_MIX))
    assert len(report.groups) == 2000
    return report


def _shown(text: str) -> tuple[list[str], list[str]]:
    """The groups a comment shows in full and in one line, by resource name."""
    full = [m.group(1) for m in map(_FULL.match, text.splitlines()) if m]
    one_line = [m.group(1) for m in map(_ONE_LINE.match, text.splitlines()) if m]
    return full, one_line


def _section_of(text: str, name: str) -> str:
    """The full section of ``name`` in a rendered report: its heading to the next heading."""
    start = text.index(next(line for line in text.splitlines() if _FULL.match(line) and f"`{name}`:" in line))
    end = text.find("\n### ", start + 1)
    return text[start : end if end >= 0 else len(text)].split("\n\n<sub>")[0].rstrip("\n")


def _left_out(text: str, pattern: re.Pattern[str]) -> int:
    counts = [int(m.group(1)) for m in map(pattern.match, text.splitlines()) if m]
    assert len(counts) <= 1, counts
    return counts[0] if counts else 0


def _budgets(report: Report) -> Iterator[int]:
    """Budgets from tiny to just below the full report's length."""
    full = len(render_markdown(report))
    yield from (1, 2, 40, 100, 200, 400, 700, 1000, 1500, 2500, 4000, 8000, 16_000, 32_000, GITHUB_LIMIT)
    yield from (full // 2, full - 1)


# -- the budget is never exceeded ------------------------------------------------------------


@pytest.mark.parametrize("mix", ["big", "quiet"])
def test_the_comment_never_exceeds_its_budget(mix: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(mix)
    full = render_markdown(report)
    assert len(full) > GITHUB_LIMIT  # the reason this exists: 2,000 groups do not fit
    for budget in _budgets(report):
        text = render_markdown(report, max_chars=budget)
        assert len(text) <= budget, (budget, len(text))
        if budget >= 400:  # room for the marker and the pointer: the comment is still found and useful
            assert text.startswith(md.marker("prod") + "\n"), budget
            assert "--format json" in text and "job summary" in text, budget


def test_a_report_that_fits_is_the_full_report() -> None:
    report = analyse(_mixed())
    full = render_markdown(report)
    assert full == (DATA / "mixed.md").read_text()
    assert render_markdown(report, max_chars=len(full)) == full
    assert render_markdown(report, max_chars=GITHUB_LIMIT) == full
    assert render_markdown(report, max_chars=len(full) - 1) != full


# -- what is kept ------------------------------------------------------------------------------


def test_every_group_that_must_be_kept_is_there_in_full_when_it_fits(quiet: Report) -> None:
    full_text = render_markdown(quiet)
    text = render_markdown(quiet, max_chars=GITHUB_LIMIT)
    assert len(text) <= GITHUB_LIMIT
    keep = [g.resource for g in quiet.groups if g.impact in MUST_KEEP]
    assert len(keep) == 12
    full, one_line = _shown(text)
    assert sorted(full) == sorted(keep)
    for name in keep:  # word for word the section of the full report
        assert _section_of(text, name) == _section_of(full_text, name)
    # The summary and every warning are there too; the rest is in one line each, then cut.
    assert "**2000 container groups change in `prod`:**" in text
    warnings = [line for line in full_text.splitlines() if line.startswith("> - ")]
    assert warnings and all(line in text.splitlines() for line in warnings)
    assert one_line and not set(one_line) & set(keep)
    assert one_line == [g.resource for g in quiet.groups if g.impact not in MUST_KEEP][: len(one_line)]


def test_groups_that_must_be_kept_collapse_deletes_first_then_replacements_then_instance_restarts(
    quiet: Report,
) -> None:
    impact = {g.resource: g.impact for g in quiet.groups}
    rank = {name: MUST_KEEP.index(impact[name]) for name in impact if impact[name] in MUST_KEEP}
    seen_states = set()
    for budget in range(1_000, 8_000, 250):
        text = render_markdown(quiet, max_chars=budget)
        full, one_line = _shown(text)
        collapsed = [n for n in one_line if n in rank]
        assert set(full) <= set(rank)  # only groups that must be kept are ever in full
        if full and collapsed:  # everything still in full ranks before everything collapsed
            assert max(rank[n] for n in full) <= min(rank[n] for n in collapsed), budget
        # A group that must be kept is left out only when all of them are in one line.
        left_out = set(rank) - set(full) - set(one_line)
        assert not (left_out and full), budget
        seen_states.add(frozenset(impact[n] for n in collapsed))
    # The budgets walk through every stage: deletes collapsed, then replacements, then all.
    assert {frozenset({"delete"}), frozenset({"delete", "replace"}), frozenset(MUST_KEEP)} <= seen_states


# -- what is left out is counted -----------------------------------------------------------------


@pytest.mark.parametrize("mix", ["big", "quiet"])
def test_the_left_out_count_is_what_is_missing(mix: str, request: pytest.FixtureRequest) -> None:
    report: Report = request.getfixturevalue(mix)
    names = [g.resource for g in report.groups]
    warnings = [line for line in render_markdown(report).splitlines() if line.startswith("> - ")]
    for budget in _budgets(report):
        text = render_markdown(report, max_chars=budget)
        full, one_line = _shown(text)
        assert len(set(full + one_line)) == len(full) + len(one_line)  # no group twice
        missing = len(names) - len(full) - len(one_line)
        note = _NOTE_COUNTS.search(text)
        if budget < 400 and note is None:
            continue  # too small for the note; never longer than the budget (tested above)
        assert note is not None, budget
        shown_warnings = len([line for line in text.splitlines() if line in warnings])
        missing_warnings = len(warnings) - shown_warnings
        counts = tuple(int(n or 0) for n in note.groups())
        assert counts == (len(full), len(one_line), missing, missing_warnings), budget
        if "### Groups in one line" in text:  # the list ends with the count of groups left out
            assert _left_out(text, _GROUPS_LEFT_OUT) == missing, budget
        if "> [!WARNING]" in text:  # the box ends with the count of warnings left out
            assert _left_out(text, _WARNINGS_LEFT_OUT) == missing_warnings, budget


def test_when_even_the_warnings_do_not_fit_they_are_cut_with_a_count(big: Report) -> None:
    warnings = [line for line in render_markdown(big).splitlines() if line.startswith("> - ")]
    assert len(warnings) == 600
    text = render_markdown(big, max_chars=8_000)
    shown = [line for line in text.splitlines() if line in warnings]
    assert 0 < len(shown) < len(warnings)
    assert shown == warnings[: len(shown)]  # in the report's order, cut at the end
    assert _left_out(text, _WARNINGS_LEFT_OUT) == len(warnings) - len(shown)
    assert "**2000 container groups change in `prod`:**" in text  # the summary stays


def test_fail_on_verdicts_are_kept_with_their_count(big: Report) -> None:
    text = render_markdown(big, ["replace", "delete"], max_chars=4_000)
    assert len(text) <= 4_000
    verdicts = [line for line in text.splitlines() if "fails this check" in line]
    assert len(verdicts) == 2
    assert "replace: " in verdicts[0] and "and 390 more" in verdicts[0]
    assert "delete: " in verdicts[1] and "and 90 more" in verdicts[1]


# -- where the full report is -------------------------------------------------------------------


def test_the_comment_says_where_the_full_report_is(big: Report) -> None:
    text = render_markdown(big, max_chars=GITHUB_LIMIT)
    assert "> [!NOTE]" in text and "job summary" in text and "`eci-provider preview-comment --format json`" in text
    url = "https://github.com/acme/shop/actions/runs/123"
    linked = render_markdown(big, max_chars=GITHUB_LIMIT, full_report_url=url)
    assert f"[the job summary]({url})" in linked and len(linked) <= GITHUB_LIMIT


def test_the_cli_budgets_the_comment_and_writes_the_full_report(
    big: Report, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "preview.json"
    doc.write_text(json.dumps(many_groups(_mixed(), 2000)))
    comment, full = tmp_path / "comment.md", tmp_path / "full.md"
    assert main(["preview-comment", str(doc), "-o", str(comment), "--full-output", str(full)]) == 0
    assert len(comment.read_text()) <= GITHUB_LIMIT  # the default budget is GitHub's limit
    assert comment.read_text() == render_markdown(big, max_chars=GITHUB_LIMIT)
    assert full.read_text() == render_markdown(big)
    smaller = tmp_path / "smaller.json"  # over the limit too, and quicker to analyse
    smaller.write_text(json.dumps(many_groups(_mixed(), 300)))
    assert main(["preview-comment", str(smaller), "--max-chars", "3000"]) == 0
    assert len(capsys.readouterr().out) <= 3000
    assert main(["preview-comment", str(smaller), "--max-chars", "0"]) == 0  # 0: no budget
    unlimited = capsys.readouterr().out
    assert len(unlimited) > GITHUB_LIMIT and "Shortened to fit" not in unlimited
    assert main(["preview-comment", str(smaller), "--format", "json"]) == 0  # JSON is always whole
    assert len(json.loads(capsys.readouterr().out)["groups"]) == 300
    assert main(["preview-comment", str(doc), "--full-report-url", "javascript:alert(1)"]) == 2
    assert "--full-report-url" in capsys.readouterr().err
    assert main(["preview-comment", str(doc), "--max-chars", "-1"]) == 2
