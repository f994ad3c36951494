"""Redacted views: a spec field that holds secrets, with only the secret values taken out.

Pulumi hides a secret by hiding the whole top-level input that holds it: in ``pulumi preview
--json`` one secret environment variable turns all of ``containers`` into ``"[secret]"``.  A
reviewer's report (:mod:`eci_provider.preview`) would then be blind to every image and probe
change.  So ``check`` also publishes, for each such field, a *view*: the same value with each
secret leaf replaced by a marker.  The marker says whether the secret changed since the
previous inputs (which ``check`` sees in plain text) and nothing else; no digest of the value
is published, because a digest of a short password can be guessed offline.

Marker semantics, used by both sides:

* a new view marks a secret leaf :data:`CHANGED` when its value differs from the previous
  inputs' value at the same key path, else :data:`SECRET`;
* an old view is read with every marker :data:`SECRET` (:func:`settled`), so an old and a new
  view compare equal exactly where the secret did not change.

A secret that is a whole structure (a container marked secret as one value) cannot be viewed
without hiding its keys; such a field gets no view, and the report falls back to the plan made
by ``check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, SecretStr

from . import _canonical as C
from .spec import ContainerGroupSpec

__all__ = ["CHANGED", "SECRET", "key_paths", "leaves", "settled", "views"]

SECRET = C.SECRET_MASK
CHANGED = "[secret, changed]"

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_paths(spec: ContainerGroupSpec, index_paths: Sequence[str]) -> list[str]:
    """Turn the program's index paths (``containers[0].environment_vars[2].value``) into the
    planner's key paths (``containers[web].environment_vars[DB_PASSWORD].value``)."""
    out = []
    for path in index_paths:
        converted = _key_path(spec, path)
        if converted:
            out.append(converted)
    return out


def _key_path(spec: ContainerGroupSpec, path: str) -> str | None:
    node: Any = spec
    parts: list[str] = []
    plan_: Any = None
    for name, index in _TOKEN.findall(path):
        if name and isinstance(node, dict):  # tags: a mapping, keyed by tag key
            parts[-1] += f"[{name}]"
            node = node.get(name)
        elif name:
            if not isinstance(node, BaseModel) or name not in type(node).model_fields:
                return None
            plan_ = C.plan_of(type(node), name)
            node = getattr(node, name)
            parts.append(name)
        else:
            i = int(index)
            if not isinstance(node, list) or i >= len(node) or not parts:
                return None
            item = node[i]
            keyed = plan_ is not None and plan_.kind == "keyed" and isinstance(item, BaseModel)
            parts[-1] += f"[{C.item_key(item, plan_) if keyed else i}]"
            node = item
    return ".".join(parts) or None


class _Opaque(Exception):
    """A whole structure is secret: the field cannot be shown without hiding its keys."""


def views(spec: ContainerGroupSpec, secret_paths: Sequence[str], previous: ContainerGroupSpec | None) -> dict[str, Any]:
    """``{field: view}`` for each top-level field of ``spec`` that holds a secret.

    ``secret_paths`` are key paths the program marked secret; values secret by type (registry
    passwords, config files) are found by their rules.  A field whose secret is a structure is
    left out (see the module docstring).
    """
    marked = frozenset(secret_paths)
    before = dict(leaves(previous)) if previous is not None else {}
    out: dict[str, Any] = {}
    for fp in C.plans(ContainerGroupSpec):
        value = getattr(spec, fp.name)
        if value is None or not _holds_secret(fp, value, fp.name, marked):
            continue
        try:
            out[fp.name] = _view(value, fp, fp.name, marked, before)
        except _Opaque:
            continue
    return out


def settled(view: Any) -> Any:
    """An old view as the baseline of a comparison: every marker reads :data:`SECRET`."""
    if isinstance(view, dict):
        return {k: settled(v) for k, v in view.items()}
    if isinstance(view, list):
        return [settled(v) for v in view]
    return SECRET if view == CHANGED else view


# --------------------------------------------------------------------------------------
# walking a spec by key path
# --------------------------------------------------------------------------------------


def _secret_here(fp: C.FieldPlan, value: Any, path: str, marked: frozenset[str]) -> bool:
    return path in marked or fp.rule.secret or isinstance(value, SecretStr)


def _holds_secret(fp: C.FieldPlan, value: Any, path: str, marked: frozenset[str]) -> bool:
    if _secret_here(fp, value, path, marked) or any(m.startswith((path + ".", path + "[")) for m in marked):
        return True
    return any(True for _ in _typed_secrets(value))


def _typed_secrets(value: Any) -> Iterator[None]:
    if isinstance(value, SecretStr):
        yield None
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _typed_secrets(getattr(value, name))
    elif isinstance(value, list):
        for v in value:
            yield from _typed_secrets(v)


def _scalar(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_none=True)
    return value


def _marker(path: str, value: Any, before: Mapping[str, Any]) -> str:
    return SECRET if before.get(path, _ABSENT) == _scalar(value) else CHANGED


_ABSENT: Any = object()


def _view(value: Any, fp: C.FieldPlan, path: str, marked: frozenset[str], before: Mapping[str, Any]) -> Any:
    if _secret_here(fp, value, path, marked):
        if fp.kind == "scalar":
            return _marker(path, value, before)
        if fp.kind == "scalars":
            return [_marker(path, value, before)]
        raise _Opaque(path)
    if fp.kind == "scalar":
        return _scalar(value)
    if fp.kind == "scalars":
        return [
            _marker(f"{path}[{i}]", v, before) if f"{path}[{i}]" in marked else _scalar(v) for i, v in enumerate(value)
        ]
    if fp.kind == "tags":
        return {k: (_marker(f"{path}[{k}]", v, before) if f"{path}[{k}]" in marked else v) for k, v in value.items()}
    if fp.kind == "model":
        return _view_model(value, path, marked, before)
    items = []
    for i, item in enumerate(value):
        key = C.item_key(item, fp) if fp.kind == "keyed" else str(i)
        items.append(_view_model(item, f"{path}[{key}]", marked, before))
    return items


def _view_model(model: BaseModel, path: str, marked: frozenset[str], before: Mapping[str, Any]) -> dict[str, Any]:
    if path in marked:
        raise _Opaque(path)
    out = {}
    for fp in C.plans(type(model)):
        value = getattr(model, fp.name)
        if value is not None:
            out[fp.name] = _view(value, fp, f"{path}.{fp.name}", marked, before)
    return out


def leaves(spec: ContainerGroupSpec, reveal: bool = True) -> Iterator[tuple[str, Any]]:
    """Every scalar of ``spec`` by key path (lists of scalars also as a whole); values typed
    secret in plain text when ``reveal`` (to tell a changed secret), else as :data:`SECRET`."""
    for fp in C.plans(ContainerGroupSpec):
        value = getattr(spec, fp.name)
        if value is not None:
            yield from _field_leaves(value, fp, fp.name, reveal)


def _leaf(value: Any, reveal: bool) -> Any:
    return SECRET if isinstance(value, SecretStr) and not reveal else _scalar(value)


def _field_leaves(value: Any, fp: C.FieldPlan, path: str, reveal: bool) -> Iterator[tuple[str, Any]]:
    if fp.kind == "scalar":
        yield path, _leaf(value, reveal)
    elif fp.kind == "scalars":
        yield path, [_leaf(v, reveal) for v in value]
        for i, v in enumerate(value):
            yield f"{path}[{i}]", _leaf(v, reveal)
    elif fp.kind == "tags":
        for k in sorted(value):
            yield f"{path}[{k}]", value[k]
    elif fp.kind == "model":
        yield from _model_leaves(value, path, reveal)
    else:
        for i, item in enumerate(value):
            key = C.item_key(item, fp) if fp.kind == "keyed" else str(i)
            yield from _model_leaves(item, f"{path}[{key}]", reveal)


def _model_leaves(model: BaseModel, path: str, reveal: bool) -> Iterator[tuple[str, Any]]:
    for fp in C.plans(type(model)):
        value = getattr(model, fp.name)
        if value is not None:
            yield from _field_leaves(value, fp, f"{path}.{fp.name}", reveal)
