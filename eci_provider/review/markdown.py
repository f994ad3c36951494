"""Markdown that survives arbitrary values: table cells, code spans, the comment marker.

Values come from user specs (tag keys, commands, file paths) and may hold ``|``, backticks,
``<``, ``@name``, ``[text](link)`` or newlines; each would break a GitHub table, open HTML,
notify someone or make a link.  Everything printed goes through :func:`code` or :func:`escape`.
"""

from __future__ import annotations

import html
import re

__all__ = ["code", "escape", "marker"]

_MAX = 160
#: Characters that mean something anywhere in a line of GitHub Markdown; escaped with a
#: backslash.  (Line-start syntax such as ``#`` or ``-`` cannot occur: text never starts a line.)
_SPECIAL = re.compile(r"([\\`*~|])")
#: ``_`` makes emphasis only at a word boundary (``private_ip_address`` is safe as it is).
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")
_MENTION = re.compile(r"@(?=\w)")


def _one_line(text: str, limit: int = _MAX) -> str:
    """One line, and no longer than ``limit``: the middle is cut, because what differs
    (a version, a key) is usually at the end."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + "…" + text[-(limit - head - 1) :]


def escape(text: str) -> str:
    """Plain text for a table cell or a list item: no HTML, no Markdown, no mention, one line."""
    text = html.escape(" ".join(str(text).split()), quote=False)
    text = _SPECIAL.sub(r"\\\1", text)
    text = _UNDERSCORE.sub(r"\\_", text)
    text = text.replace("](", "]\\(")  # no inline link: [text](target)
    return _MENTION.sub("@\u200b", text)  # a zero-width space stops GitHub's @mention


def code(text: str | None, table: bool = True) -> str:
    """A code span that holds any text: fenced with more backticks than the text contains.

    Inside a code span nothing is interpreted, except that GitHub ends a *table cell* at ``|``
    even there; in a table (``table=True``) the pipe is escaped, elsewhere it must not be.
    """
    text = _one_line(str(text))
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    body = text.replace("|", "\\|") if table else text
    return f"{fence}{pad}{body}{pad}{fence}"


def marker(stack: str | None) -> str:
    """A hidden line that lets a CI job find and update its own comment for this stack."""
    return f"<!-- eci-provider:preview-comment stack={html.escape(stack or '?')} -->"
