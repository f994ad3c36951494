"""Time ``eci-provider preview-comment`` on a large preview.

The document is tests/data/previews/mixed.json (built from the real provider: every kind of
update, replacements, a create, a delete, secrets, drift) with its container-group steps copied
under new names until it holds ``--groups`` groups, as a big stack's preview would.  Every group
is re-planned (twice where drift is checked), so this measures the planner as the report uses it.

Reported: document size, wall time of analyse + render (Markdown and JSON), per group, and the
report size.

Run: ``.venv/bin/python benchmarks/bench_preview.py [--groups 500] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from eci_provider.preview import analyse, render_json, render_markdown

MIXED = Path(__file__).resolve().parent.parent / "tests" / "data" / "previews" / "mixed.json"


def big_preview(groups: int) -> dict[str, Any]:
    doc = json.loads(MIXED.read_text())
    ours = [s for s in doc["steps"] if "eci:ContainerGroup" in s["urn"]]
    others = [s for s in doc["steps"] if "eci:ContainerGroup" not in s["urn"]]
    copies: list[dict[str, Any]] = []
    round_ = 0
    while len(copies) < groups:
        copies += [json.loads(json.dumps(s).replace(s["urn"], f"{s['urn']}-{round_}")) for s in ours]
        round_ += 1
    doc["steps"] = others + copies[:groups]
    return doc


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    doc = big_preview(args.groups)
    text = json.dumps(doc)
    times, sizes = [], (0, 0)
    for _ in range(args.repeat):
        start = time.perf_counter()
        report = analyse(json.loads(text))
        md, js = render_markdown(report), render_json(report)
        times.append(time.perf_counter() - start)
        sizes = (len(md), len(js))
    n = len(report.groups)
    best, median = min(times), statistics.median(times)
    print(f"preview with {n} container groups ({len(text) / 1e6:.1f} MB of JSON), {args.repeat} runs")
    print(f"  analyse + render: median {median:.2f} s, best {best:.2f} s ({median / n * 1000:.2f} ms per group)")
    print(f"  report: Markdown {sizes[0] / 1e3:.0f} kB, JSON {sizes[1] / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
