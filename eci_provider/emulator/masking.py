"""Secret values out of the admin listing, found from the field rules rather than from a list.

``GET /__emulator/groups`` (and :meth:`.Emulator.groups`) show each group's stored spec and its
Describe element; the store keeps secrets in clear.  A field is secret when its rule says so
(``Rule.secret``; :func:`eci_provider.spec.rules.walk` reaches every nested field), whatever its
Python type, so a field the spec marks secret later is masked without a change here.
Pydantic's masking of ``SecretStr`` stays underneath as a second line.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, SecretStr

from ..spec import rules
from ..spec.model import ContainerGroupSpec

#: What a masked value reads as (pydantic's own rendering of a ``SecretStr``).
MASK = "**********"


def secret_paths() -> list[tuple[str, ...]]:
    """Field-name paths of the outermost secret fields, e.g. ``("image_registry_credentials",
    "password")``; a secret inside a secret is masked with its parent.  Walked on every call,
    not cached: the listing is rare, and the rules are the single source."""
    paths = [f.path for f in rules.walk(ContainerGroupSpec) if f.rule.secret]
    outermost = [p for p in paths if not any(p.startswith(q + ".") for q in paths)]
    return [tuple(part.removesuffix("[]") for part in p.split(".")) for p in outermost]


def masked(spec: ContainerGroupSpec) -> ContainerGroupSpec:
    """``spec`` with the value of every secret field replaced by :data:`MASK`."""
    for path in secret_paths():
        spec = _mask(spec, path)
    return spec


def _mask(value: Any, path: tuple[str, ...]) -> Any:
    if value is None:
        return None
    if not path:
        # A SecretStr stays one, so that Describe leaves it out as the service does.
        return SecretStr(MASK) if isinstance(value, SecretStr) else MASK
    if isinstance(value, list):
        return [_mask(item, path) for item in value]
    if not isinstance(value, BaseModel):
        return value
    name, rest = path[0], path[1:]
    return value.model_copy(update={name: _mask(getattr(value, name), rest)})
