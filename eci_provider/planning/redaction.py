"""Redacted views: a spec field that holds secrets, with only the secret values taken out.

Pulumi hides a secret by hiding the whole top-level input that holds it: in ``pulumi preview
--json`` one secret environment variable turns all of ``containers`` into ``"[secret]"``.  A
reviewer's report (:mod:`eci_provider.review.report`) would then be blind to every image and probe
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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr

from ..spec.model import ContainerGroupSpec
from ..spec.rules import Shape
from . import canonical as C

__all__ = [
    "CHANGED",
    "DRIFTED",
    "MARKERS",
    "SECRET",
    "align",
    "is_marker",
    "key_paths",
    "leaves",
    "settled",
    "views",
]

SECRET = C.SECRET_MASK
CHANGED = "[secret, changed]"
#: In a view of the observed group: the cloud's secret differs from the one last applied.
DRIFTED = "[secret, drifted]"
MARKERS = frozenset({SECRET, CHANGED, DRIFTED})


def is_marker(value: Any) -> bool:
    """Whether ``value`` is one of the markers (documents are untrusted: it may be any JSON)."""
    return isinstance(value, str) and value in MARKERS


_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def key_paths(spec: ContainerGroupSpec, index_paths: Any) -> list[str]:
    """Turn the program's index paths into the planner's key paths:
    ``["containers", 0, "environment_vars", 2, "value"]`` →
    ``containers[web].environment_vars[DB_PASSWORD].value``; ``["tags", "team.io/token"]`` →
    ``tags[team.io/token]``.

    An index path is a list of segments (field or tag key, or list position), so that a tag key
    holding dots or brackets cannot be misread.  Dotted strings (``containers[0].image``), as
    states written by earlier versions hold them, are still read.  Anything else is ignored.
    """
    out = []
    for path in index_paths if isinstance(index_paths, (list, tuple)) else ():
        if isinstance(path, str):
            segments: list[Any] = [int(i) if i else n for n, i in _TOKEN.findall(path)]
        elif isinstance(path, (list, tuple)) and all(_segment(x) is not None for x in path):
            segments = [_segment(x) for x in path]
        else:
            continue
        converted = _key_path(spec, segments)
        if converted:
            out.append(converted)
    return out


def _segment(x: Any) -> str | int | None:
    """A path segment; positions come back from the engine as floats (protobuf numbers)."""
    if isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool)):
        return x
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return None


def _key_path(spec: ContainerGroupSpec, segments: list[Any]) -> str | None:
    node: Any = spec
    parts: list[str] = []
    plan_: Any = None
    for seg in segments:
        if isinstance(seg, str) and isinstance(node, dict):  # tags: a mapping, keyed by tag key
            if not parts:
                return None
            parts[-1] += f"[{seg}]"
            node = node.get(seg)
        elif isinstance(seg, str):
            if not isinstance(node, BaseModel) or seg not in type(node).model_fields:
                return None
            plan_ = C.plan_of(type(node), seg)
            node = getattr(node, seg)
            parts.append(seg)
        else:
            if not isinstance(node, list) or not 0 <= seg < len(node) or not parts:
                return None
            item = node[seg]
            keyed = plan_ is not None and plan_.kind is Shape.KEYED and isinstance(item, BaseModel)
            parts[-1] += f"[{C.item_key(item, plan_) if keyed else seg}]"
            node = item
    return ".".join(parts) or None


class _Opaque(Exception):
    """A whole structure is secret: the field cannot be shown without hiding its keys."""


def views(
    spec: ContainerGroupSpec,
    secret_paths: Sequence[str],
    previous: ContainerGroupSpec | None,
    changed: str = CHANGED,
) -> dict[str, Any]:
    """``{field: view}`` for each top-level field of ``spec`` that holds a secret.

    ``secret_paths`` are key paths the program marked secret; values secret by type (registry
    passwords, config files) are found by their rules.  A field whose secret is a structure is
    left out (see the module docstring).  A secret that differs from ``previous`` at the same
    key path is marked ``changed`` (:data:`CHANGED` in new inputs; :data:`DRIFTED` in a view of
    the observed group, compared with what was applied).
    """
    marked = frozenset(secret_paths)
    holding = [
        fp
        for fp in C.plans(ContainerGroupSpec)
        if (value := getattr(spec, fp.name)) is not None and _holds_secret(fp, value, fp.name, marked)
    ]
    before: dict[str, Any] = {}
    if previous is not None:  # the previous values of those fields only (a spec has hundreds of leaves)
        for fp in holding:
            if (old := getattr(previous, fp.name)) is not None:
                before.update(_field_leaves(old, fp, fp.name, True))
    ctx = _Ctx(marked, before, changed)
    out: dict[str, Any] = {}
    for fp in holding:
        value = getattr(spec, fp.name)
        try:
            out[fp.name] = _view(value, fp, fp.name, ctx)
        except _Opaque:
            continue
    return out


def settled(view: Any) -> Any:
    """An old view as the baseline of a comparison: every marker reads :data:`SECRET`."""
    if isinstance(view, dict):
        return {k: settled(v) for k, v in view.items()}
    if isinstance(view, list):
        return [settled(v) for v in view]
    return SECRET if is_marker(view) else view


# --------------------------------------------------------------------------------------
# walking a spec by key path
# --------------------------------------------------------------------------------------


def _secret_here(fp: C.FieldPlan, value: Any, path: str, marked: frozenset[str]) -> bool:
    return path in marked or fp.rule.secret or isinstance(value, SecretStr)


def _holds_secret(fp: C.FieldPlan, value: Any, path: str, marked: frozenset[str]) -> bool:
    if _secret_here(fp, value, path, marked) or any(C.under(m, path) for m in marked):
        return True
    # Only a field whose rules put a secret field below it can hold one by type.
    return C.covers_typed_secret(path) and any(True for _ in _typed_secrets(value))


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


@dataclass(frozen=True)
class _Ctx:
    marked: frozenset[str]
    before: Mapping[str, Any]
    changed: str

    def marker(self, path: str, value: Any) -> str:
        return SECRET if self.before.get(path, _ABSENT) == _scalar(value) else self.changed


_ABSENT: Any = object()


def _view(value: Any, fp: C.FieldPlan, path: str, ctx: _Ctx) -> Any:
    if _secret_here(fp, value, path, ctx.marked):
        if fp.kind is Shape.SCALAR:
            return ctx.marker(path, value)
        if fp.kind is Shape.SCALARS:
            return [ctx.marker(path, value)]
        raise _Opaque(path)
    if fp.kind is Shape.SCALAR:
        return _scalar(value)
    if fp.kind is Shape.SCALARS:
        return [
            ctx.marker(f"{path}[{i}]", v) if f"{path}[{i}]" in ctx.marked else _scalar(v) for i, v in enumerate(value)
        ]
    if fp.kind is Shape.MAP:
        return {k: (ctx.marker(f"{path}[{k}]", v) if f"{path}[{k}]" in ctx.marked else v) for k, v in value.items()}
    if fp.kind is Shape.STRUCT:
        return _view_model(value, path, ctx)
    items = []
    for i, item in enumerate(value):
        key = C.item_key(item, fp) if fp.kind is Shape.KEYED else str(i)
        items.append(_view_model(item, f"{path}[{key}]", ctx))
    return items


def _view_model(model: BaseModel, path: str, ctx: _Ctx) -> dict[str, Any]:
    if path in ctx.marked:
        raise _Opaque(path)
    out = {}
    for fp in C.plans(type(model)):
        value = getattr(model, fp.name)
        if value is not None:
            out[fp.name] = _view(value, fp, f"{path}.{fp.name}", ctx)
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
    if fp.kind is Shape.SCALAR:
        yield path, _leaf(value, reveal)
    elif fp.kind is Shape.SCALARS:
        yield path, [_leaf(v, reveal) for v in value]
        for i, v in enumerate(value):
            yield f"{path}[{i}]", _leaf(v, reveal)
    elif fp.kind is Shape.MAP:
        for k in sorted(value):
            yield f"{path}[{k}]", value[k]
    elif fp.kind is Shape.STRUCT:
        yield from _model_leaves(value, path, reveal)
    else:
        for i, item in enumerate(value):
            key = C.item_key(item, fp) if fp.kind is Shape.KEYED else str(i)
            yield from _model_leaves(item, f"{path}[{key}]", reveal)


def _model_leaves(model: BaseModel, path: str, reveal: bool) -> Iterator[tuple[str, Any]]:
    for fp in C.plans(type(model)):
        value = getattr(model, fp.name)
        if value is not None:
            yield from _field_leaves(value, fp, f"{path}.{fp.name}", reveal)


# --------------------------------------------------------------------------------------
# aligning two sides by key path
# --------------------------------------------------------------------------------------

#: ``resolve(key path, a, b) -> (a, b)`` for each pair of scalars at the same key path.
Resolve = Callable[[str, Any, Any], tuple[Any, Any]]


def align(a: dict[str, Any], b: dict[str, Any], resolve: Resolve) -> None:
    """Walk two spec dicts (as Pulumi inputs hold them) side by side, keyed list items matched
    by key, and let ``resolve`` rewrite each pair of scalars in place.

    Used where one side shows a value and the other only a marker (a value marked secret or
    unmarked since the last update): the report decides which value stands for both.
    """
    _align_model(a, b, ContainerGroupSpec, "", resolve)


def _align_model(a: dict[str, Any], b: dict[str, Any], model: type[BaseModel], path: str, resolve: Resolve) -> None:
    for fp in C.plans(model):
        if fp.name not in a or fp.name not in b:
            continue
        p = f"{path}.{fp.name}" if path else fp.name
        av, bv = a[fp.name], b[fp.name]
        if fp.kind is Shape.SCALAR or (fp.kind is Shape.SCALARS and (av in ([SECRET],) or bv in ([SECRET],))):
            a[fp.name], b[fp.name] = resolve(p, av, bv)
        elif fp.kind is Shape.SCALARS and isinstance(av, list) and isinstance(bv, list) and len(av) == len(bv):
            for i in range(len(av)):
                av[i], bv[i] = resolve(f"{p}[{i}]", av[i], bv[i])
        elif fp.kind is Shape.MAP and isinstance(av, dict) and isinstance(bv, dict):
            for k in av.keys() & bv.keys():
                av[k], bv[k] = resolve(f"{p}[{k}]", av[k], bv[k])
        elif fp.kind is Shape.STRUCT and isinstance(av, dict) and isinstance(bv, dict) and fp.child is not None:
            _align_model(av, bv, fp.child, p, resolve)
        elif fp.kind in (Shape.KEYED, Shape.STRUCTS) and isinstance(av, list) and isinstance(bv, list) and fp.child:
            b_items = {_dict_key(item, fp, i): item for i, item in enumerate(bv) if isinstance(item, dict)}
            for i, item in enumerate(av):
                key = _dict_key(item, fp, i) if isinstance(item, dict) else None
                if key is not None and key in b_items:
                    _align_model(item, b_items[key], fp.child, f"{p}[{key}]", resolve)


def _dict_key(item: Mapping[str, Any], fp: C.FieldPlan, index: int) -> str:
    """:func:`.canonical.item_key` of an item still in its dict form."""
    if fp.kind is not Shape.KEYED:
        return str(index)
    parts = []
    for k, default in zip(fp.key_fields, fp.key_defaults, strict=True):
        v = item.get(k)
        v = default if v is None else v
        parts.append(str(int(v) if isinstance(v, float) and v.is_integer() else v))
    return parts[0] if len(parts) == 1 and fp.key_defaults[0] is None else "/".join(parts)
