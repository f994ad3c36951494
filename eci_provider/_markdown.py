"""Markdown that survives arbitrary values: table cells, code spans, the comment marker.

Values come from user specs (tag keys, commands, file paths) and may hold ``|``, backticks,
``<`` or newlines; each would break a GitHub table or open HTML.  Everything printed goes through
:func:`code` or :func:`escape`.
"""

from __future__ import annotations

import html
import re

__all__ = ["code", "escape", "marker"]

_MAX = 120


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX else text[: _MAX - 1] + "…"


def escape(text: str) -> str:
    """Plain text in a table cell or a list item: no HTML, no table breaks, one line."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def code(text: str | None) -> str:
    """A code span that holds any text: fenced with more backticks than the text contains."""
    text = _one_line(str(text))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    # GitHub ends a table cell at "|" even inside a code span, unless it is escaped.
    body = text.replace("|", "\\|")
    return f"{fence}{pad}{body}{pad}{fence}"


def marker(stack: str | None) -> str:
    """A hidden line that lets a CI job find and update its own comment for this stack."""
    return f"<!-- eci-provider:preview-comment stack={html.escape(stack or '?')} -->"
