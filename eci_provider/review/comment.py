"""What ``eci-provider preview-comment`` prints: the pull-request comment, or JSON for bots.

The report (:mod:`.report`) is the data; :mod:`.render` writes it out in full, and :mod:`.fit`
shortens a comment that would be too long.  This module chooses between them.
"""

from __future__ import annotations

from collections.abc import Sequence

from .fit import fit
from .render import as_json, markdown
from .report import Report, failures, gate

__all__ = ["render_json", "render_markdown"]


def render_markdown(
    report: Report, fail_on: Sequence[str] = (), max_chars: int | None = None, full_report_url: str | None = None
) -> str:
    """A pull-request comment: summary line and table, warnings, one section per group.

    With ``max_chars``, a report longer than that is shortened to fit (GitHub rejects a comment
    over 65,536 characters): see :mod:`.fit` for what is kept.  ``full_report_url``
    links the full report from a shortened one (the CI run whose job summary holds it).
    """
    hits = failures(report, fail_on)
    full = markdown(report, hits)
    if max_chars is None or len(full) <= max_chars:
        return full
    return fit(report, hits, max_chars, full_report_url)


def render_json(report: Report, fail_on: Sequence[str] = ()) -> str:
    """The report for bots: counts, groups, other resources, and the ``--fail-on`` verdict."""
    return as_json(report, gate(report, fail_on))
