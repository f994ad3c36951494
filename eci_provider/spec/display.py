"""How a spec value reads to a person: one spelling in plans, the PR report, previews and errors.

Four places used to spell values their own way, so one plan said ``True`` and ``1.0`` where the
report of the same change said ``true`` and ``1``.  Values are spelled as the schema and the
Pulumi CLI's own diff spell them (JSON): ``true``/``false``, numbers without a trailing ``.0``,
strings bare (quoted when empty or holding a comma or a quote), lists in brackets,
mappings in braces.  Masking secrets and shortening long text stay with the
caller, which knows what is secret and how much room there is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

__all__ = ["UNSET", "number", "show"]

#: How an unset value reads.
UNSET = "(unset)"


def number(value: float | int) -> str:
    """``1.0`` → ``1``, ``0.25`` → ``0.25``; the shortest text that reads back to the value."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def show(value: Any) -> str:
    """A scalar, or a list of them, as a person reads it."""
    if value is None:
        return UNSET
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    text = str(value)
    # Quoted (JSON) where bare text would read as something else: nothing at all, or the
    # separator of list items (["a, b"] is not ["a", "b"]).  Brackets alone stay bare: the
    # secret markers ("[secret]") are bracketed text.
    return json.dumps(text) if not text or any(c in text for c in ',"') else text
