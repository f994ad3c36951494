"""Secrets on Pulumi's wire: the secret sentinel, and which inputs hold a secret.

A dynamic provider cannot accept secrets: the engine hands it plain values and re-marks only
what it sends back under the name of an input that held a secret.  So the provider marks them
itself, with the wire's secret sentinel (``Output.secret`` does not exist in a provider), on
every top-level value that holds a secret: one secret by type (a registry password, a config
file: found from the rules, so a new secret field needs no change here) or a path the program
marked secret.  The program side uses :func:`typed_secret_slots` to mark typed secrets before
they ever leave the program.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from ..planning import canonical as C
from ..spec import rules
from ..spec.model import ContainerGroupSpec

__all__ = ["holds_typed_secret", "is_sentinel", "protect", "secret", "top_of", "typed_secret_slots"]

_SIG = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc._special_sig_key
_SECRET = "1b47061264138c4ac30d75fd1eb44270"  # pulumi.runtime.rpc._special_secret_sig
PROVIDER = "__provider"


def secret(value: Any) -> dict[str, Any]:
    """``value`` in the wire secret sentinel."""
    return {_SIG: _SECRET, "value": value}


def is_sentinel(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG) == _SECRET


@cache
def _patterns() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(f.path.replace("[]", "").split(".")) for f in rules.walk(ContainerGroupSpec) if f.secret)


def typed_secret_slots(props: Mapping[str, Any], only: str | None = None) -> Iterator[tuple[dict[str, Any], str]]:
    """``(parent, key)`` of each set value in ``props`` (inputs as plain data) that is secret by
    type, optionally under one top-level field only."""
    for names in _patterns():
        if only is not None and names[0] != only:
            continue
        parents: list[Any] = [props]
        for name in names[:-1]:
            values = [p.get(name) for p in parents if isinstance(p, dict)]
            parents = [x for v in values for x in (v if isinstance(v, list) else [v])]
        for parent in parents:
            if isinstance(parent, dict) and parent.get(names[-1]) is not None:
                yield parent, names[-1]


def holds_typed_secret(name: str, value: Any) -> bool:
    return any(parent[key] for parent, key in typed_secret_slots({name: value}, only=name))


def top_of(path: Any) -> str | None:
    """The top-level input of a secret mark (a list of segments, or a legacy dotted string)."""
    if isinstance(path, str):
        return C.top_field(path)
    if isinstance(path, (list, tuple)) and path and isinstance(path[0], str):
        return path[0]
    return None


def protect(props: Mapping[str, Any], marks: Any = ()) -> dict[str, Any]:
    """``props`` without ``__provider``, each top-level value that holds a secret (typed, or
    under a mark) in the sentinel."""
    marked = {top_of(p) for p in marks or ()}
    out = {}
    for k, v in props.items():
        if k == PROVIDER:
            continue
        if v is not None and not is_sentinel(v) and (k in marked or holds_typed_secret(k, v)):
            v = secret(v)
        out[k] = v
    return out
