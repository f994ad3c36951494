"""Turn pydantic validation errors into ``(field path, message)`` pairs a person can act on.

Pydantic reports cross-field rules at the model that owns them; :func:`spec._problems` puts
the real field paths in the error context, and this module joins them to the location.  Input
values are never included: an invalid registry password must not be echoed into a CI log.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

_PREFIXES = ("Value error, ", "Assertion failed, ")


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("["):
            out += part
        else:
            out += ("." if out else "") + str(part)
    return out


def _join(base: str, rel: str) -> str:
    if not rel:
        return base
    if not base:
        return rel
    return base + (rel if rel.startswith("[") else "." + rel)


def flatten_errors(exc: ValidationError) -> list[tuple[str, str]]:
    """One ``(path, message)`` per problem, e.g. ``("containers[0].ports[1].port", "...")``."""
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_input=False, include_url=False):
        # Drop pydantic's union/function-name noise from the location.
        loc = tuple(
            p
            for p in err["loc"]
            if not (isinstance(p, str) and ("[" in p and p.endswith("]") and not p.startswith("[")))
        )
        base = _path(loc)
        ctx = err.get("ctx") or {}
        if err["type"] == "spec_rule" and "problems" in ctx:
            for rel, msg in ctx["problems"]:
                out.append((_join(base, rel), msg))
            continue
        msg = err["msg"]
        for prefix in _PREFIXES:
            if msg.startswith(prefix):
                msg = msg[len(prefix) :]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see schema.json)"
        out.append((base or "(spec)", msg))
    return out


def format_errors(exc: ValidationError) -> str:
    """A multi-line message naming every bad field."""
    lines = [f"{path}: {msg}" for path, msg in flatten_errors(exc)]
    return "invalid container group spec:\n  " + "\n  ".join(lines)
