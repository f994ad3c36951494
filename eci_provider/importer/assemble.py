"""Drafts → imported groups: unique names, config keys for the placeholders, and a validation.

Names are given across all the groups of one run, because they share one program (and one
stack config): two groups may share a name in ECI, but not a Pulumi resource name.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import ValidationError

from ..spec.model import ContainerGroupSpec
from ..spec.problems import flatten_errors
from .convert import Draft, Placeholder, Slot, config_key, fill

__all__ = ["ImportedGroup", "assemble"]

#: What stands in for each placeholder when the imported spec is validated: valid Base64 (a
#: config file's content) and a plausible path or value alike.  It never reaches any output.
VALIDATION_STAND_IN = "AAAA"
#: Names the generated program defines itself.
_TAKEN = frozenset({"pulumi", "config", "ContainerGroup"})


@dataclass(frozen=True)
class ImportedGroup:
    """One group, ready to render: its spec (plain data with :class:`Placeholder` values)."""

    group_id: str
    resource_name: str  # the Pulumi resource name
    variable: str  # the Python variable that holds it
    status: str
    spec: dict[str, Any]
    placeholders: tuple[Placeholder, ...]
    notes: tuple[str, ...]
    #: Where the imported spec breaks a documented rule (``path: message``), so that the
    #: program would fail its preview; empty when it validates.
    problems: tuple[str, ...] = ()

    def filled(self, values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The spec with each placeholder replaced by ``values[key]`` (default: a stand-in)."""
        given = values or {}
        return fill(self.spec, {p.key: given.get(p.key, VALIDATION_STAND_IN) for p in self.placeholders})


def assemble(drafts: Sequence[Draft]) -> list[ImportedGroup]:
    resources = _unique([d.name or d.group_id for d in drafts], sep="-")
    variables = _unique([_identifier(r) for r in resources], sep="_", taken=_TAKEN)
    keys: set[str] = set()
    out = []
    for d, resource, variable in zip(drafts, resources, variables, strict=True):
        placeholders: dict[int, Placeholder] = {}
        for slot in d.slots:
            key = _fresh(config_key(variable, slot.hint), keys)
            placeholders[id(slot)] = Placeholder(key, slot.path, slot.secret, slot.reason, slot.what)
        spec = _replace_slots(d.spec, placeholders)
        group = ImportedGroup(
            d.group_id, resource, variable, d.status, spec, tuple(placeholders.values()), tuple(d.notes)
        )
        out.append(_validated(group))
    return out


def _validated(group: ImportedGroup) -> ImportedGroup:
    data = group.filled()
    try:
        ContainerGroupSpec.model_validate(data)
    except ValidationError as e:
        problems = tuple(f"{path}: {msg}" for path, msg in flatten_errors(e, data))
        return replace(group, problems=problems)
    return group


def _replace_slots(value: Any, placeholders: dict[int, Placeholder]) -> Any:
    if isinstance(value, Slot):
        return placeholders[id(value)]
    if isinstance(value, dict):
        return {k: _replace_slots(v, placeholders) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_slots(v, placeholders) for v in value]
    return value


def _identifier(name: str) -> str:
    text = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_").lower() or "group"
    if text[0].isdigit() or keyword.iskeyword(text):
        text = "group_" + text
    return text


def _unique(names: Iterable[str], *, sep: str, taken: Iterable[str] = ()) -> list[str]:
    seen = set(taken)
    return [_fresh(n, seen, sep) for n in names]


def _fresh(name: str, seen: set[str], sep: str = "_") -> str:
    candidate, n = name, 1
    while candidate in seen:
        n += 1
        candidate = f"{name}{sep}{n}"
    seen.add(candidate)
    return candidate
