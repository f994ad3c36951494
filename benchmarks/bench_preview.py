"""Time ``eci-provider preview-comment`` on large previews, against parsing the same document.

The document is tests/data/previews/mixed.json (built from the real provider: every kind of
update, replacements, a create, a delete, secrets, drift) with its container-group steps copied
under new names until it holds ``--groups`` groups, as a big stack's preview would
(``tests/previews.many_groups``, which the report's tests use too).  Every group is re-planned
(twice where drift is checked), so this measures the planner as the report uses it.

The baseline is ``json.loads`` of the document, measured in the same run: the least any report
of it costs.  Reported, as multiples of that baseline (medians of ``--repeat`` runs): the
analysis, the full Markdown report, the comment cut to GitHub's 65,536 characters (the full
report is rendered first to measure it, so this includes it), and the JSON report; then the
sizes, and what the comment keeps.

Run: ``.venv/bin/python benchmarks/bench_preview.py [--groups 500 2000] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from previews import DATA, many_groups

from eci_provider.review.comment import render_json, render_markdown
from eci_provider.review.report import Report, analyse

GITHUB_LIMIT = 65_536


def median_time(run: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The median wall time of ``repeat`` calls, and what the last one returned."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def measure(groups: int, repeat: int) -> None:
    text = json.dumps(many_groups(json.loads((DATA / "mixed.json").read_text()), groups))
    baseline, doc = median_time(lambda: json.loads(text), repeat)
    analysis, report = median_time(lambda: analyse(doc), repeat)
    assert isinstance(report, Report)
    full_time, full = median_time(lambda: render_markdown(report), repeat)
    cut_time, comment = median_time(lambda: render_markdown(report, max_chars=GITHUB_LIMIT), repeat)
    json_time, js = median_time(lambda: render_json(report), repeat)

    print(f"preview with {len(report.groups)} container groups ({len(text) / 1e6:.1f} MB of JSON), {repeat} runs")
    print(f"  baseline, json.loads of the document: {baseline * 1000:.0f} ms (= 1.00)")
    for label, seconds in (
        ("analyse", analysis),
        ("Markdown, full", full_time),
        (f"Markdown, cut to {GITHUB_LIMIT:,} characters", cut_time),
        ("JSON", json_time),
    ):
        print(f"  {label + ':':<40} {seconds / baseline:6.2f} x baseline")
    kept = next((line for line in comment.splitlines() if line.startswith("> Shortened")), "")
    shown = kept.split(". Groups: ", 1)[1].split(". The full", 1)[0] if kept else "everything (it fits)"
    print(f"  report: full Markdown {len(full):,} characters, JSON {len(js):,}")
    print(f"  comment: {len(comment):,} characters (budget {GITHUB_LIMIT:,}); groups: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for groups in args.groups:
        measure(groups, args.repeat)


if __name__ == "__main__":
    main()
