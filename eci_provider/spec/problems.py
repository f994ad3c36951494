"""Turn pydantic validation errors into ``(field path, message)`` pairs a person can act on.

Pydantic's own wording is written for Python programmers ("Value error, ...", "String should
match pattern '^[A-Za-z_]...'", "Input should be greater than or equal to 1"); a spec author
needs the field, what is allowed and the limit.  :func:`describe` rewrites each kind of error
once, here, for the command line, the provider's check failures and the emulator alike.

Pydantic reports cross-field rules at the model that owns them; :func:`spec._problems` puts
the real field paths in the error context, and this module joins them to the location.

Input values are left out by default: an invalid registry password must not be echoed into a
CI log, and the emulator's messages never carry values.  Given the input (``data``), a message
may show the offending value of a field that is not secret, when that is what makes it clear
(``'MY-VAR' must start with a letter or _ ...``), and items of the top-level keyed lists are
named by their key (``containers[web]``), as the planner names them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from . import rules
from .display import number
from .model import ENV_KEY_PATTERN, ContainerGroupSpec

#: The message of a missing required field (the emulator maps it to ``MissingParameter``).
REQUIRED = "required"

#: What each ``pattern`` constraint of the spec allows, in words (a test checks that every
#: pattern the spec declares is described here).
PATTERNS: dict[str, str] = {
    ENV_KEY_PATTERN: "must start with a letter or _ and contain only letters, digits and _",
}

_PREFIXES = ("Value error, ", "Assertion failed, ")
#: Error kinds whose message reads best after the offending value, when it may be shown.
_VALUE_FIRST = frozenset(
    {
        "string_pattern_mismatch",
        "literal_error",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "spec_value",
    }
)
_SHOWN_MAX = 64


def _number(x: Any) -> str:
    return number(x) if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _too_short(ctx: Mapping[str, Any]) -> str:
    return f"needs at least {_count(ctx['min_length'], 'item')}"


def _too_long(ctx: Mapping[str, Any]) -> str:
    actual = ctx.get("actual_length")
    got = f" (got {actual})" if actual is not None else ""
    return f"at most {_count(ctx['max_length'], 'item')} are allowed{got}"


def _string_too_short(ctx: Mapping[str, Any]) -> str:
    n = ctx["min_length"]
    return "must not be empty" if n == 1 else f"must be at least {n} characters long"


def _pattern(ctx: Mapping[str, Any]) -> str:
    return PATTERNS.get(ctx.get("pattern", ""), "is not in the format this field takes (see schema.json)")


_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: REQUIRED,
    "extra_forbidden": lambda ctx: "unknown field (check the spelling; see schema.json)",
    "greater_than": lambda ctx: f"must be greater than {_number(ctx['gt'])}",
    "greater_than_equal": lambda ctx: f"must be at least {_number(ctx['ge'])}",
    "less_than": lambda ctx: f"must be less than {_number(ctx['lt'])}",
    "less_than_equal": lambda ctx: f"must be at most {_number(ctx['le'])}",
    "string_too_short": _string_too_short,
    "string_too_long": lambda ctx: f"must be at most {ctx['max_length']} characters long",
    "too_short": _too_short,
    "too_long": _too_long,
    "string_pattern_mismatch": _pattern,
    "literal_error": lambda ctx: f"must be {ctx['expected']}",
    "string_type": lambda ctx: "must be a string",
    "int_type": lambda ctx: "must be a whole number",
    "int_parsing": lambda ctx: "must be a whole number",
    "int_from_float": lambda ctx: "must be a whole number, not a fraction",
    "float_type": lambda ctx: "must be a number",
    "float_parsing": lambda ctx: "must be a number",
    "finite_number": lambda ctx: "must be a finite number",
    "bool_type": lambda ctx: "must be true or false",
    "bool_parsing": lambda ctx: "must be true or false",
    "list_type": lambda ctx: "must be a list",
    "dict_type": lambda ctx: "must be an object",
    "model_type": lambda ctx: "must be an object",
    "model_attributes_type": lambda ctx: "must be an object",
}


def describe(err: ErrorDetails | Mapping[str, Any]) -> str:
    """The message for one pydantic error, without pydantic's wording, patterns or URLs."""
    ctx = err.get("ctx") or {}
    build = _MESSAGES.get(err["type"])
    if build is not None:
        return build(ctx)
    msg = str(err["msg"])
    for prefix in _PREFIXES:
        msg = msg.removeprefix(prefix)
    return msg


# -- paths -----------------------------------------------------------------------------------


def _path(loc: tuple[Any, ...], model: type[BaseModel] | None) -> tuple[str, bool]:
    """The dotted path of ``loc`` (``containers[0].ports[1].port``, ``tags['k']``), and whether
    the value there is secret; ``model`` is walked alongside to tell field names from dict keys."""
    out, secret = "", False
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("["):
            out += part
        elif model is not None and part in model.model_fields:
            secret = secret or rules.rule_of(model, part).secret
            model = rules.model_of(model.model_fields[part].annotation)
            out += ("." if out else "") + part
        elif model is not None:  # a name the model does not have (an unknown field)
            out += ("." if out else "") + part
        else:  # inside a mapping: a key (a tag key)
            out += f"[{part!r}]"
    return out, secret


def _join(base: str, rel: str) -> str:
    if not rel:
        return base
    if not base:
        return rel
    return base + (rel if rel.startswith("[") else "." + rel)


def _clean(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The location without pydantic's union/function-name segments (``function-after[...]``)."""
    return tuple(p for p in loc if not (isinstance(p, str) and "[" in p and p.endswith("]") and not p.startswith("[")))


_TOP_ITEM = re.compile(r"^(?P<field>[a-z_]+)\[(?P<index>\d+)\]")


def _keyed(path: str, data: Mapping[str, Any]) -> str:
    """``containers[0]...`` → ``containers[web]...`` when the item's key is a unique string."""
    m = _TOP_ITEM.match(path)
    if not m or m.group("field") not in ContainerGroupSpec.model_fields:
        return path
    name = m.group("field")
    rule = rules.rule_of(ContainerGroupSpec, name)
    child = rules.model_of(ContainerGroupSpec.model_fields[name].annotation)
    if not rule.keyed_by or len(rule.keyed_by) != 1 or child is None:
        return path
    items = _given(data, ContainerGroupSpec, name)
    keys = [_given(item, child, rule.keyed_by[0]) if isinstance(item, Mapping) else None for item in items or ()]
    index = int(m.group("index"))
    key = keys[index] if isinstance(items, list) and index < len(keys) else None
    if not _short_text(key) or keys.count(key) != 1:
        return path
    return f"{name}[{key}]" + path[m.end() :]


def _given(data: Mapping[str, Any], model: type[BaseModel], name: str) -> Any:
    """The value the input gives for field ``name``, under its name or any of its API aliases."""
    if name in data:
        return data[name]
    alias = model.model_fields[name].validation_alias
    for choice in getattr(alias, "choices", ()):
        if isinstance(choice, str) and choice in data:
            return data[choice]
    return None


def _shown(value: Any) -> str | None:
    """The value as it may appear in a message, or None when it should not (long, or not a scalar)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return _number(value)
    if _short_text(value):
        return repr(value)
    return None


def _short_text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _SHOWN_MAX and value.isprintable()


# -- the public functions --------------------------------------------------------------------


def flatten_errors(
    exc: ValidationError, data: Any = None, model: type[BaseModel] = ContainerGroupSpec
) -> list[tuple[str, str]]:
    """One ``(path, message)`` per problem, e.g. ``("containers[0].ports[1].port", "...")``.

    ``data``, the input that failed, lets a message show a non-secret offending value and name
    top-level list items by key; without it, paths use indices and no value is shown.
    """
    given = data if isinstance(data, Mapping) else None
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False, include_input=given is not None):
        base, secret = _path(_clean(err["loc"]), model)
        ctx = err.get("ctx") or {}
        if err["type"] == "spec_rule" and "problems" in ctx:
            out.extend((_join(base, rel), msg) for rel, msg in ctx["problems"])
            continue
        msg = describe(err)
        value = _shown(err.get("input")) if given is not None and not secret else None
        if value is not None and err["type"] in _VALUE_FIRST:
            msg = f"{value} {msg}"
        out.append((base or "(spec)", msg))
    if given is not None:
        out = [(_keyed(path, given), msg) for path, msg in out]
    return out


def format_errors(exc: ValidationError, data: Any = None) -> str:
    """A multi-line message naming every bad field (see :func:`flatten_errors` for ``data``)."""
    lines = [f"{path}: {msg}" for path, msg in flatten_errors(exc, data)]
    return "invalid container group spec:\n  " + "\n  ".join(lines)
