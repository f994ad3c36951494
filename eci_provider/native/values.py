"""Pulumi's property values, as the plain data :mod:`eci_provider.provider.operations` speaks.

The native plugin receives :class:`~pulumi.provider.experimental.property_value.PropertyValue`
trees: numbers as floats, secrets marked on any node (the engine sends them, because the plugin
accepts secrets), values not known yet as the engine's unknown marker.  Operations take plain
data: numbers as the program wrote them, the wire's secret sentinel on top-level values, and the
program's secret marks as paths (``__secret_paths``).  This module converts both ways and does
nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi.provider.experimental.property_value import Computed, PropertyValue

from ..provider import sentinel
from ..provider.state import UNKNOWN

__all__ = ["NotPlainData", "dotted", "from_plain", "from_plain_map", "secret_paths", "to_plain", "to_plain_map"]

Path = list[str | int]


class NotPlainData(ValueError):
    """An input holds what a container group has no use for (an asset, an archive, a resource)."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(f"{dotted(path)}: a {kind} is not a valid value here")
        self.path = path


def to_plain(value: PropertyValue, path: Path | None = None) -> Any:
    """``value`` as plain data, secrets unwrapped (:func:`secret_paths` says where they were).

    A whole number comes back as an ``int`` (the engine carries every number as a float; the
    spec's integer fields want integers, and the inputs' digest must not depend on the door).
    """
    path = path or []
    v = value.value
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, float):
        return int(v) if v.is_integer() else v
    if isinstance(v, Computed):
        return UNKNOWN
    if isinstance(v, Mapping):
        return {k: to_plain(item, [*path, k]) for k, item in v.items()}
    if isinstance(v, Sequence):
        return [to_plain(item, [*path, i]) for i, item in enumerate(v)]
    raise NotPlainData(path, type(v).__name__)


def to_plain_map(values: Mapping[str, PropertyValue]) -> dict[str, Any]:
    return {k: to_plain(v, [k]) for k, v in values.items()}


def secret_paths(values: Mapping[str, PropertyValue]) -> list[Path]:
    """Where ``values`` hold a value marked secret, outermost marks only (``__secret_paths``)."""
    return list(_marks(values, []))


def _marks(value: Mapping[str, PropertyValue] | Sequence[PropertyValue], path: Path) -> Iterator[Path]:
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, item in items:
        here = [*path, key]
        if item.is_secret:
            yield here
        elif isinstance(item.value, Mapping) or (isinstance(item.value, Sequence) and not isinstance(item.value, str)):
            yield from _marks(item.value, here)


def from_plain(value: Any) -> PropertyValue:
    """Plain data (secret sentinels included) as a property value."""
    if sentinel.is_sentinel(value):
        return from_plain(value.get("value")).with_secret(True)
    if value is None or isinstance(value, (bool, str, float)):
        return PropertyValue(value)
    if isinstance(value, int):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(k): from_plain(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return PropertyValue([from_plain(v) for v in value])
    raise TypeError(f"cannot send a {type(value).__name__} to the engine")


def from_plain_map(values: Mapping[str, Any]) -> dict[str, PropertyValue]:
    return {k: from_plain(v) for k, v in values.items()}


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out
