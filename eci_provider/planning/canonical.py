"""Canonical forms: the normalisation of docs/update-rules.md as plain nested values that compare with ``==``.

A spec becomes nested dicts and tuples, so comparing two whole groups is mostly dict equality
done in C; the planner only walks into the few top-level fields that differ, to explain them.

* models → ``{field: value}`` without unset fields, empty strings and documented defaults;
* keyed lists (containers by name, volumes by name, ports by port/protocol, …) → ``{key: item}``,
  so order does not matter; when order *does* matter as well (environment variables), the dict
  also holds ``ORDER: (key, …)``;
* other lists → tuples (order matters: commands, args);
* write-only values → :class:`Digest` of their canonical value, salted per resource, so that
  what was last applied can be kept in state without the value itself;
* tolerances (a vSwitch chosen from a list, a vCPU/memory pair the service rounds up, JSON text)
  → small objects whose ``__eq__`` accepts what the service may report.

The *current* state is canonicalised against the desired one (:func:`canon_current`): a computed
field the user did not set is left out, and a write-only value with no record of what was
applied is taken to be the desired one (and reported as unknown) rather than reported as a diff.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel, SecretStr

from ..spec import rules
from ..spec import sizes as _resources
from ..spec.model import ContainerGroupSpec
from ..spec.rules import Rule, Shape

#: Key under which an ordered keyed list records its order.
ORDER = "(order)"
_MISSING: Any = object()


class Digest(str):
    """A salted digest standing in for a write-only value."""

    __slots__ = ()

    def display(self) -> str:
        return f"(write-only, digest {self[7:15]})"


class OneOf:
    """A comma-separated list of candidates; the service reports the one it chose."""

    __slots__ = ("candidates", "raw")

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.candidates = frozenset(p.strip() for p in raw.split(",") if p.strip())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OneOf):
            return self.candidates == other.candidates
        return isinstance(other, str) and (other == self.raw or other in self.candidates)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"one of {self.raw}"


class RoundedUp:
    """A vCPU or memory size the service rounds up: any value in [requested, predicted] matches."""

    __slots__ = ("predicted", "requested")

    def __init__(self, requested: float, predicted: float) -> None:
        self.requested = requested
        self.predicted = predicted

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RoundedUp):
            return self.requested == other.requested
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _resources.satisfies(self.requested, float(other), self.predicted)
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.requested:g} (provisioned as {self.predicted:g})"


@dataclass(frozen=True)
class Applied:
    """What was last applied to the write-only fields: salted digests keyed by path.

    Kept in state instead of the values (DescribeContainerGroups never returns them), so that a
    changed registry password or config file is noticed without storing either.
    """

    salt: str
    digests: Mapping[str, str] = field(default_factory=dict)

    def items_under(self, path: str) -> dict[str, str]:
        """``{key: digest}`` for the items of the keyed write-only list at ``path``."""
        prefix = path + "["
        out = {}
        for p, d in self.digests.items():
            if p.startswith(prefix) and p.endswith("]"):
                out[p[len(prefix) : -1]] = d
        order = self.digests.get(path + ORDER)
        if order is not None:
            out[ORDER] = order
        return out


@dataclass(frozen=True)
class FieldPlan:
    """How one field is canonicalised; computed once per model class."""

    name: str
    rule: Rule
    child: type[BaseModel] | None
    kind: Shape
    key_fields: tuple[str, ...] = ()
    key_defaults: tuple[Any, ...] = ()
    #: The field or something under it is write-only or hidden: paths are needed to digest it.
    has_write_only: bool = False
    #: The current side must be walked beside the desired one (computed or write-only inside).
    needs_peer: bool = False


@cache
def plans(model: type[BaseModel]) -> tuple[FieldPlan, ...]:
    """The rules' field table of ``model`` (:func:`eci_provider.spec.rules.fields_of`), with what
    canonicalisation adds: the item keys' defaults and which subtrees need the other side."""
    out = []
    for row in rules.fields_of(model):
        rule, child = row.rule, row.child
        keys: tuple[str, ...] = rule.keyed_by or ()
        defaults = tuple(rules.rule_of(child, k).doc_default for k in keys) if child is not None and keys else ()
        wo = rule.write_only or bool(rule.hidden_by) or (child is not None and _subtree(child)[0])
        peer = wo or rule.computed or (child is not None and _subtree(child)[1])
        out.append(FieldPlan(row.name, rule, child, row.shape, keys, defaults, wo, peer))
    return tuple(out)


@cache
def _subtree(model: type[BaseModel]) -> tuple[bool, bool]:
    """(has write-only or hidden fields, has fields needing the desired peer) anywhere below."""
    fields = plans(model)
    return any(fp.has_write_only for fp in fields), any(fp.needs_peer for fp in fields)


@cache
def _plans_by_name(model: type[BaseModel]) -> dict[str, FieldPlan]:
    return {fp.name: fp for fp in plans(model)}


def plan_of(model: type[BaseModel], name: str) -> FieldPlan:
    return _plans_by_name(model)[name]


def item_key(item: BaseModel, fp: FieldPlan) -> str:
    if len(fp.key_fields) == 1 and fp.key_defaults[0] is None:
        return str(getattr(item, fp.key_fields[0]))
    parts = []
    for k, default in zip(fp.key_fields, fp.key_defaults, strict=True):
        v = getattr(item, k)
        parts.append(str(default if v is None else v))
    return "/".join(parts)


def digest(salt: str, path: str, canonical: Any) -> Digest:
    text = json.dumps(canonical, sort_keys=True, default=_json_default, ensure_ascii=False)
    h = hashlib.sha256(f"{salt}\0{path}\0{text}".encode()).hexdigest()
    return Digest("sha256:" + h[:32])


def _json_default(o: Any) -> Any:
    if isinstance(o, OneOf):
        return o.raw
    if isinstance(o, RoundedUp):
        return o.requested
    return str(o)


# --------------------------------------------------------------------------------------
# desired side
# --------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    salt: str
    applied: Applied | None = None
    unknown: list[str] = field(default_factory=list)
    collect: dict[str, str] | None = None  # filled by applied_record()
    plain: dict[str, Any] | None = None  # write-only path -> canonical value, for explanations
    mask: bool = False  # replace secret values by "[secret]" (for explanations only)


def canon(spec: ContainerGroupSpec, salt: str = "", plain: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical form of a desired spec.

    ``plain``, when given, receives the canonical value behind each write-only digest, with
    secrets masked, so that an explanation can show a non-secret value the user just wrote.
    """
    return _canon_model(spec, "", _Ctx(salt, plain=plain), top=True)


def applied_record(spec: ContainerGroupSpec, salt: str) -> Applied:
    """Digests of every write-only value of ``spec``, to be kept in state after applying it."""
    ctx = _Ctx(salt, collect={})
    _canon_model(spec, "", ctx, top=True)
    assert ctx.collect is not None
    return Applied(salt, dict(sorted(ctx.collect.items())))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def top_field(path: str) -> str:
    """The top-level field a key path starts with: ``containers[web].image`` → ``containers``."""
    return path.split(".", 1)[0].split("[", 1)[0].split("(", 1)[0]


def under(path: str, prefix: str) -> bool:
    """Whether key path ``path`` lies strictly below ``prefix`` (a field or an item of it)."""
    return path.startswith((prefix + ".", prefix + "["))


def at_or_under(path: str, prefix: str) -> bool:
    """Whether key path ``path`` is ``prefix`` or lies below it."""
    return path == prefix or under(path, prefix)


def related(a: str, b: str) -> bool:
    """Whether one key path is the other or lies below it: a change at one touches the other."""
    return at_or_under(a, b) or under(b, a)


def pattern(path: str) -> str:
    """A key path without its item keys: ``volumes[cfg].config_file_volume`` →
    ``volumes[].config_file_volume`` (the form of :func:`eci_provider.spec.rules.walk`'s paths).
    Keys may hold dots and brackets, so brackets are counted, not split on."""
    out, depth = [], 0
    for ch in path.replace(ORDER, ""):
        if ch == "[":
            depth += 1
            if depth == 1:
                out.append("[]")
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


@cache
def _typed_secret_patterns() -> tuple[str, ...]:
    return tuple(f.path for f in rules.walk(ContainerGroupSpec) if f.secret)


@cache
def _covers(p: str) -> bool:
    return any(s == p or s.startswith((p + ".", p + "[]")) for s in _typed_secret_patterns())


def covers_typed_secret(path: str) -> bool:
    """Whether the value at key path ``path`` may be, or contain, a value secret by type."""
    return _covers(pattern(path))


def _canon_model(model: BaseModel, path: str, ctx: _Ctx, top: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fp in plans(type(model)):
        value = getattr(model, fp.name)
        if value is None:
            continue
        if not fp.has_write_only:  # hot path: nothing below needs a path or a digest
            cv = _canon_field(value, fp, "", ctx)
        elif fp.rule.write_only or fp.rule.hidden_in(model):
            cv = _write_only(value, fp, _join(path, fp.name), ctx)
        else:
            cv = _canon_field(value, fp, _join(path, fp.name), ctx)
        if cv is not _MISSING:
            out[fp.name] = cv
    if top:
        _tolerances(model, out)  # type: ignore[arg-type]
    return out


def _tolerances(spec: ContainerGroupSpec, out: dict[str, Any]) -> None:
    """vCPU/memory pairs the service rounds up match what it provisions (ECI instance specifications)."""
    try:
        rounding = spec.cpu_memory_rounding()
    except _resources.SpecOutOfRange:
        return
    if rounding is not None and not rounding.exact:
        assert spec.cpu is not None and spec.memory is not None
        out["cpu"] = RoundedUp(spec.cpu, rounding.cpu)
        out["memory"] = RoundedUp(spec.memory, rounding.memory)


SECRET_MASK = "[secret]"


def _scalar(value: Any, rule: Rule, mask: bool = False) -> Any:
    if mask and (rule.secret or isinstance(value, SecretStr)):
        return SECRET_MASK
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value == "" or (
        rule.doc_default is not None and value == rule.doc_default and type(value) is type(rule.doc_default)
    ):
        return _MISSING
    if rule.json_text and isinstance(value, str):
        try:
            return json.dumps(json.loads(value), sort_keys=True, separators=(",", ":"))
        except ValueError:
            return value
    if rule.one_of_csv and isinstance(value, str) and "," in value:
        return OneOf(value)
    return value


def _canon_field(value: Any, fp: FieldPlan, path: str, ctx: _Ctx) -> Any:
    kind = fp.kind
    if kind is Shape.SCALAR:
        return _scalar(value, fp.rule, ctx.mask)
    if kind is Shape.STRUCT:
        d = _canon_model(value, path, ctx)
        return d or _MISSING
    if kind is Shape.SCALARS:
        return tuple(value) if value else _MISSING
    if kind is Shape.STRUCTS:
        items = tuple(_canon_model(v, f"{path}[{i}]", ctx) for i, v in enumerate(value))
        return items or _MISSING
    if kind is Shape.MAP:
        assert fp.rule.entries is not None
        return fp.rule.entries.declared(value) or _MISSING
    assert fp.child is not None  # keyed
    return _keyed(value, fp, path, lambda item, key, p: _canon_model(item, p, ctx))


def _keyed(
    items: Iterable[BaseModel], fp: FieldPlan, path: str, canon_item: Callable[[BaseModel, str, str], dict[str, Any]]
) -> Any:
    """A keyed list as ``{key: item without its key fields}``, plus its order where it matters;
    ``canon_item(item, key, path)`` canonicalises one item."""
    out: dict[str, Any] = {}
    for item in items:
        key = item_key(item, fp)
        d = canon_item(item, key, f"{path}[{key}]")
        for k in fp.key_fields:
            d.pop(k, None)
        out[key] = d
    if not out:
        return _MISSING
    if fp.rule.ordered:
        out[ORDER] = tuple(out)
    return out


def _write_only(value: Any, fp: FieldPlan, path: str, ctx: _Ctx) -> Any:
    """Write-only values are kept as digests: per item for keyed lists, else whole."""
    plain = _canon_field(value, fp, path, _Ctx(ctx.salt))
    if plain is _MISSING:
        return _MISSING
    shown = _canon_field(value, fp, path, _Ctx(ctx.salt, mask=True)) if ctx.plain is not None else None
    if fp.kind is Shape.KEYED:
        out: dict[str, Any] = {}
        for key, item in plain.items():
            p = f"{path}[{key}]" if key != ORDER else path + ORDER
            out[key] = d = digest(ctx.salt, p, item)
            if ctx.collect is not None:
                ctx.collect[p] = d
            if ctx.plain is not None:
                ctx.plain[p] = shown[key]  # type: ignore[index]
        return out
    d = digest(ctx.salt, path, plain)
    if ctx.collect is not None:
        ctx.collect[path] = d
    if ctx.plain is not None:
        ctx.plain[path] = shown
    return d


# --------------------------------------------------------------------------------------
# current side, canonicalised against the desired one
# --------------------------------------------------------------------------------------


def canon_current(
    current: ContainerGroupSpec, desired: ContainerGroupSpec, applied: Applied | None
) -> tuple[dict[str, Any], list[str]]:
    """The canonical form of ``current``, aligned with ``desired``; and the unknown paths.

    With ``applied`` given, write-only values come from its digests (absent = unset when last
    applied).  Without it, a write-only value the current spec carries is compared; one it lacks
    is unknown: it is taken to match, and its path is returned so the plan can say so.
    """
    ctx = _Ctx(applied.salt if applied else "", applied=applied)
    out = _current_model(current, desired, "", ctx)
    return out, ctx.unknown


def _current_model(cur: BaseModel | None, des: BaseModel | None, path: str, ctx: _Ctx) -> dict[str, Any]:
    """Canonicalise ``cur`` against its desired peer ``des``; ``cur`` may be absent.

    An absent current block is still walked when the desired one exists: Describe leaves out a
    block whose every visible field is empty, but its write-only fields still have a record
    (or are unknown) and must not read as "added".
    """
    model = type(cur) if cur is not None else type(des)
    out: dict[str, Any] = {}
    for fp in plans(model):
        value = getattr(cur, fp.name) if cur is not None else None
        if not fp.needs_peer:  # hot path: canonicalise as on the desired side
            if value is not None:
                cv = _canon_field(value, fp, "", ctx)
                if cv is not _MISSING:
                    out[fp.name] = cv
            continue
        rule = fp.rule
        dvalue = getattr(des, fp.name) if des is not None else None
        if rule.computed and dvalue is None:
            continue  # filled in by the service; the user did not ask for a value
        p = _join(path, fp.name)
        hidden = rule.hidden_in(cur) or rule.hidden_in(des)
        if rule.write_only or hidden:
            cv = _current_write_only(value, dvalue, fp, p, ctx)
        elif fp.kind is Shape.STRUCT and (value is not None or dvalue is not None):
            cv = _current_model(value, dvalue, p, ctx) or _MISSING
        elif value is None:
            continue
        elif fp.kind is Shape.KEYED:
            cv = _current_keyed(value, dvalue, fp, p, ctx)
        else:
            cv = _canon_field(value, fp, p, ctx)
        if cv is not _MISSING:
            out[fp.name] = cv
    return out


def _current_keyed(value: list[Any], dvalue: list[Any] | None, fp: FieldPlan, path: str, ctx: _Ctx) -> Any:
    assert fp.child is not None
    if not _subtree(fp.child)[1]:
        return _canon_field(value, fp, path, ctx)
    peers = {item_key(i, fp): i for i in dvalue or ()}
    return _keyed(value, fp, path, lambda item, key, p: _current_model(item, peers.get(key), p, ctx))


def _current_write_only(value: Any, dvalue: Any, fp: FieldPlan, path: str, ctx: _Ctx) -> Any:
    if ctx.applied is not None:
        if fp.kind is Shape.KEYED:
            items = ctx.applied.items_under(path)
            return {k: Digest(v) for k, v in items.items()} or _MISSING
        d = ctx.applied.digests.get(path)
        return Digest(d) if d is not None else _MISSING
    if value is not None:
        return _write_only(value, fp, path, ctx)
    if dvalue is not None:
        ctx.unknown.append(path)
        return _write_only(dvalue, fp, path, ctx)
    return _MISSING


# --------------------------------------------------------------------------------------
# helpers for the planner
# --------------------------------------------------------------------------------------


def create_only_paths(canonical: Mapping[str, Any], model: type[BaseModel], path: str) -> Iterator[str]:
    """Paths of create-only fields set inside a canonical item (for items added by an update)."""
    for fp in plans(model):
        if fp.name not in canonical:
            continue
        p = _join(path, fp.name)
        if fp.rule.create_only:
            yield p
        elif fp.kind is Shape.STRUCT and fp.child is not None and isinstance(canonical[fp.name], Mapping):
            yield from create_only_paths(canonical[fp.name], fp.child, p)
        elif fp.kind is Shape.KEYED and fp.child is not None and isinstance(canonical[fp.name], Mapping):
            for key, item in canonical[fp.name].items():
                if key != ORDER and isinstance(item, Mapping):
                    yield from create_only_paths(item, fp.child, f"{p}[{key}]")
