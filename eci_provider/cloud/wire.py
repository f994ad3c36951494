"""Wire codec: spec ⇄ flattened RPC parameters, and DescribeContainerGroups JSON → spec.

Everything here is driven by the :class:`~eci_provider.spec.rules.Rule` on each field (API name on
Create, on Update, and in Describe); the codec holds no per-field tables.

Encoding conventions, chosen to match the official Python SDK byte for byte except booleans:
lists are ``Name.N`` (1-based), structs ``Name.Sub``, floats keep ``.0`` (``str(2.0)``), and
booleans are spelled ``true``/``false`` as in the API reference (the SDK sends Python's
``True``/``False``; the service is case-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from dataclasses import field as dc_field
from functools import cache
from typing import Any, Literal

import annotated_types
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from ..spec import rules
from ..spec.model import ContainerGroupSpec
from ..spec.problems import describe, flatten_errors
from ..spec.rules import Inline
from ..spec.secret import Secret, sealed_values
from .errors import MalformedResponseError

Mode = Literal["create", "update"]

__all__ = [
    "Observed",
    "WireError",
    "decode_update_params",
    "encode_update",
    "from_describe",
    "from_flat",
    "observe",
    "overlay",
    "to_create_params",
    "to_describe",
    "typed_secrets",
    "unflatten",
    "visible",
]


class WireError(ValueError):
    """A flattened request that cannot be decoded: unknown parameter, bad index, bad value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------
# spec → API tree → flat parameters
# --------------------------------------------------------------------------------------


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return str(value)


def to_api_tree(model: BaseModel, mode: Mode = "create") -> dict[str, Any]:
    """``model`` as nested dicts/lists keyed by API names; unset fields are left out.

    In ``update`` mode the Update spelling is used and create-only fields are dropped, because
    UpdateContainerGroup does not accept them (they are preserved or force a replacement).
    """
    out: dict[str, Any] = {}
    for name, key in _api_fields(type(model), mode):
        value = getattr(model, name)
        if value is not None:
            entries = rules.rule_of(type(model), name).entries
            out[key] = entries.to_entries(value) if entries is not None else _api_value(value, mode)
    return out


@cache
def _api_fields(model: type[BaseModel], mode: Mode) -> tuple[tuple[str, str], ...]:
    """(field name, wire name) for every field ``mode`` can carry, in declaration order."""
    out = []
    for name in model.model_fields:
        rule = rules.rule_of(model, name)
        key = rule.api if mode == "create" else rule.update_name
        if key is not None:
            out.append((name, key))
    return tuple(out)


def _api_value(value: Any, mode: Mode) -> Any:
    if isinstance(value, BaseModel):
        return to_api_tree(value, mode)
    if isinstance(value, (list, tuple)):
        return [_api_value(v, mode) for v in value]
    return value


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Flatten an API tree into RPC query parameters (``Container.1.Port.1.Port``)."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        _flatten_into(out, f"{prefix}{key}", value)
    return out


def _flatten_into(out: dict[str, str], key: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten_into(out, f"{key}.{k}", v)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value, 1):
            _flatten_into(out, f"{key}.{i}", v)
    else:
        out[key] = _scalar(value)


def to_create_params(spec: ContainerGroupSpec, region_id: str) -> dict[str, str]:
    """The flattened CreateContainerGroup parameters, without common or signature parameters."""
    params = flatten(to_api_tree(spec, "create"))
    params["RegionId"] = region_id
    return params


def typed_secrets(spec: BaseModel) -> list[str]:
    """Every value of ``spec`` that is secret by type (``SecretStr``: passwords, config files)."""
    out: list[str] = []
    for name in type(spec).model_fields:
        _collect_secret_str(getattr(spec, name), out)
    return out


def _collect_secret_str(value: Any, out: list[str]) -> None:
    if isinstance(value, SecretStr):
        out.append(value.get_secret_value())
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect_secret_str(getattr(value, name), out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _collect_secret_str(v, out)


def encode_update(update_type: str, fields: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The flattened UpdateContainerGroup parameters of one call, and every secret value in them.

    ``fields`` are top-level spec fields by name, as plain data with secret leaves sealed (a
    planner ``UpdateCall``).  This is where they are unsealed: the parameters go straight to the
    signer, and the secret values to the client, which scrubs them from any error text.
    """
    sensitive: list[str] = []
    tree: dict[str, Any] = {}
    for name, value in fields.items():
        rule = rules.rule_of(ContainerGroupSpec, name)
        if rule.update_name is None:
            raise ValueError(f"{name} is create-only; UpdateContainerGroup cannot carry it")
        model = rules.model_of(ContainerGroupSpec.model_fields[name].annotation)
        tree[rule.update_name] = _data_to_api(value, model, sensitive, rule.entries)
    return {"UpdateType": update_type, **flatten(tree)}, sensitive


def _data_to_api(
    value: Any, model: type[BaseModel] | None, sensitive: list[str], entries: rules.Entries | None = None
) -> Any:
    """Plain spec data (field names, sealed secrets) → an API tree in the Update spelling."""
    if isinstance(value, Secret):
        revealed_value = value.reveal()
        sensitive.extend(sealed_values(value))
        return _data_to_api(revealed_value, model, sensitive, entries)
    if isinstance(value, Mapping) and model is not None:
        return {
            key: _data_to_api(value[name], rules.model_of(model.model_fields[name].annotation), sensitive)
            for name, key in _api_fields(model, "update")
            if value.get(name) is not None
        }
    if isinstance(value, Mapping) and entries is not None:
        return entries.to_entries({k: _data_to_api(v, None, sensitive) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return [_data_to_api(v, model, sensitive) for v in value]
    return value


# --------------------------------------------------------------------------------------
# flat parameters → spec (what the emulator receives)
# --------------------------------------------------------------------------------------


def unflatten(params: Mapping[str, str]) -> dict[str, Any]:
    """Rebuild the API tree from flattened parameters; numeric segments become list indices."""
    root: dict[str, Any] = {}
    for key, value in params.items():
        parts = key.split(".")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if part.isdigit():
                if not isinstance(node, _Indexed):
                    raise WireError("InvalidParameter", f"{key}: unexpected list index {part}")
                node = node.child(_list_index(part, key), last, value, key)
            else:
                if isinstance(node, _Indexed):
                    raise WireError("InvalidParameter", f"{key}: expected a list index before {part}")
                nxt = parts[i + 1] if not last else None
                if last:
                    if part in node:
                        raise WireError("InvalidParameter", f"{key}: given twice")
                    node[part] = value
                else:
                    want_list = nxt is not None and nxt.isdigit()
                    existing = node.get(part)
                    if existing is None:
                        existing = _Indexed() if want_list else {}
                        node[part] = existing
                    elif want_list != isinstance(existing, _Indexed):
                        raise WireError("InvalidParameter", f"{key}: mixes list and struct forms")
                    node = existing
    return _materialise(root)


#: More digits than any list index of a request can need (a body holds a few hundred thousand
#: parameters at most); checked before ``int()``, which refuses numbers over 4300 digits.
_MAX_INDEX_DIGITS = 6


def _list_index(part: str, key: str) -> int:
    """A list index as the API spells it: ASCII digits from 1, without a leading zero.

    ``str.isdigit`` also accepts digits of other scripts (``١``), and ``int`` reads ``01`` as 1,
    which would make two spellings of one parameter.
    """
    if part.startswith("0"):
        raise WireError("InvalidParameter", f"{key}: list indices start at 1, without leading zeros")
    if not part.isascii() or len(part) > _MAX_INDEX_DIGITS:
        raise WireError("InvalidParameter", f"{key}: a list index is a number from 1 to {10**_MAX_INDEX_DIGITS - 1}")
    return int(part)


class _Indexed(dict):  # type: ignore[type-arg]
    """A list under construction, keyed by 1-based index."""

    def child(self, idx: int, last: bool, value: str, key: str) -> Any:
        if last:
            if idx in self:
                raise WireError("InvalidParameter", f"{key}: given twice")
            self[idx] = value
            return None
        return self.setdefault(idx, {})


def _materialise(node: Any) -> Any:
    if isinstance(node, _Indexed):
        idxs = sorted(node)
        if idxs != list(range(1, len(idxs) + 1)):
            raise WireError("InvalidParameter", f"list indices must be 1..N without gaps, got {idxs}")
        return [_materialise(node[i]) for i in idxs]
    if isinstance(node, dict):
        return {k: _materialise(v) for k, v in node.items()}
    return node


@cache
def _allowed(mode: Mode) -> frozenset[str]:
    """Every flattened parameter name (lists as ``N``) a request of ``mode`` may carry."""
    names: set[str] = set()
    for f in rules.walk(ContainerGroupSpec):
        wire = f.wire_create if mode == "create" else (None if f.create_only else f.wire_update)
        if wire is None or f.child is not None:
            continue
        if f.rule.entries is not None:
            names |= {f"{wire}.N.{f.rule.entries.key}", f"{wire}.N.{f.rule.entries.value}"}
        else:
            names.add(wire)
    return frozenset(names)


def check_names(params: Iterable[str], mode: Mode) -> None:
    """Reject a parameter the API does not define for ``mode`` (strict, to catch client bugs)."""
    allowed = _allowed(mode)
    for key in params:
        pattern = re.sub(r"\.[0-9]+(?=\.|$)", ".N", key)
        if pattern not in allowed:
            action = "CreateContainerGroup" if mode == "create" else "UpdateContainerGroup"
            raise WireError("InvalidParameter", f"The parameter {key} is not accepted by {action}.")


def from_flat(params: Mapping[str, str], *, context: Mapping[str, Any] | None = None) -> ContainerGroupSpec:
    """Decode flattened CreateContainerGroup parameters (business parameters only)."""
    check_names(params, "create")
    return ContainerGroupSpec.model_validate(unflatten(params), context=dict(context or {}))


def decode_update_params(params: Mapping[str, str]) -> dict[str, Any]:
    """Decode UpdateContainerGroup's changeable parameters into ``{field name: value}``.

    Only the parameters that were sent appear; each is validated with the same item models as
    the spec, so a malformed container is rejected the same way on Create and on Update.
    """
    check_names(params, "update")
    tree = unflatten(params)
    out: dict[str, Any] = {}
    for name, finfo in ContainerGroupSpec.model_fields.items():
        rule = rules.rule_of(ContainerGroupSpec, name)
        if rule.update_name is None or rule.update_name not in tree:
            continue
        raw = tree.pop(rule.update_name)
        if rule.entries is not None and isinstance(raw, list):
            try:
                raw = rule.entries.parse(raw)
            except rules.EntryProblem as e:
                member = f".{rule.entries.key}" if e.member else ""
                raise WireError("InvalidParameter", f"{rule.update_name}.{e.index + 1}{member}: {e.message}") from None
        try:
            out[name] = _adapter(finfo.annotation).validate_python(raw, context={"update_item": True})
        except ValidationError as e:
            first = e.errors()[0]
            loc = ".".join(str(x) for x in first["loc"])
            raise WireError(
                "InvalidParameter", f"{rule.update_name}{'.' + loc if loc else ''}: {describe(first)}"
            ) from None
    return out


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


# --------------------------------------------------------------------------------------
# DescribeContainerGroups JSON ⇄ spec
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """One DescribeContainerGroups element: the observed spec, and runtime facts beside it."""

    spec: ContainerGroupSpec
    container_group_id: str
    status: str
    intranet_ip: str | None = None
    internet_ip: str | None = None
    ipv6_address: str | None = None
    creation_time: str | None = None
    events: tuple[dict[str, Any], ...] = ()
    restart_counts: dict[str, int] = dc_field(default_factory=dict)
    raw: dict[str, Any] = dc_field(default_factory=dict, repr=False, compare=False)


def from_describe(group: Mapping[str, Any]) -> ContainerGroupSpec:
    """Decode one element of ``ContainerGroups`` into the observed spec.

    Handles the response's quirks: init containers say ``Command`` where containers say
    ``Commands``; probes carry ``Execs``; volume blocks come flat (``NFSVolumeServer``); the
    env-var field reference sits under ``ValueFrom``; numbers may be floats; empty strings,
    empty lists, blank objects and a 0 where 0 is not allowed mean unset; and tags whose keys
    start with ``acs:`` or ``aliyun`` belong to the service and are dropped.  Write-only fields
    are absent.
    """
    data = _decode_model(ContainerGroupSpec, group)
    return ContainerGroupSpec.model_validate(data, context={"observed": True})


#: A container group ID as the service writes them (``eci-bp1...``): what an ID given by a user
#: (``adopt_id``, ``pulumi import``, ``eci-provider import --id``) must look like before any call.
GROUP_ID = re.compile(r"eci-[0-9a-z]{1,64}")

#: The action whose answers :func:`observe` decodes, named in its errors.
DESCRIBE = "DescribeContainerGroups"


def observe(group: Mapping[str, Any]) -> Observed:
    """:func:`from_describe` plus the runtime facts the provider reports as outputs.

    A group that cannot be decoded (a field of the wrong type, ``Containers`` that is not a list
    of objects) is a :class:`~eci_provider.cloud.errors.MalformedResponseError` naming the group
    and, where it can, the field.  Every reader (the provider's waits and reads, the importer)
    gets the same typed error, never a bare ``AttributeError`` and never a group taken as gone.
    """
    gid = str(group.get("ContainerGroupId", "")) if isinstance(group, Mapping) else ""
    try:
        return _observe(group)
    except ValidationError as e:
        raise _unreadable(gid, e) from None
    except (TypeError, ValueError, AttributeError) as e:  # a part outside the spec is malformed
        try:
            from_describe(group)  # when the spec is malformed as well, its error names the field
        except ValidationError as spec_error:
            raise _unreadable(gid, spec_error) from None
        except (TypeError, ValueError, AttributeError):
            pass
        raise MalformedResponseError(
            "MalformedResponse", f"group {gid or '(no ID)'} cannot be read ({type(e).__name__})", action=DESCRIBE
        ) from None


def _observe(group: Mapping[str, Any]) -> Observed:
    counts: dict[str, int] = {}
    for key in ("InitContainers", "Containers"):
        for c in group.get(key) or ():
            if c.get("Name"):
                counts[c["Name"]] = int(c.get("RestartCount") or 0)
    status = _text(group, "Status")
    if status is None:
        raise TypeError("Status is missing")  # every listed group has one: without it, no rule applies
    events = group.get("Events") or []
    if not isinstance(events, list) or not all(isinstance(e, Mapping) for e in events):
        raise TypeError("Events must be a list of objects")
    return Observed(
        spec=from_describe(group),
        container_group_id=_text(group, "ContainerGroupId") or "",
        status=status,
        intranet_ip=_text(group, "IntranetIp"),
        internet_ip=_text(group, "InternetIp"),
        ipv6_address=_text(group, "Ipv6Address"),
        creation_time=_text(group, "CreationTime"),
        events=tuple(events),
        restart_counts=counts,
        raw=dict(group),
    )


def _text(group: Mapping[str, Any], key: str) -> str | None:
    """A string field of the answer, None when absent or empty; anything else is malformed (a
    null ``Status`` read as the text ``'None'`` would be a status no rule knows)."""
    value = group.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


def _unreadable(gid: str, error: ValidationError) -> MalformedResponseError:
    problems = "; ".join(f"{path}: {msg}" for path, msg in flatten_errors(error)[:3])
    return MalformedResponseError(
        "MalformedResponse", f"group {gid or '(no ID)'} cannot be read ({problems})", action=DESCRIBE
    )


def _lookup(obj: Mapping[str, Any], key: str) -> Any:
    node: Any = obj
    for part in key.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _empty(value: Any) -> bool:
    """Unset, or an object whose every leaf is blank (the API returns ``{"Port": 0}`` handlers)."""
    if value is None or value == [] or value == {}:
        return True
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    return False


def _blank(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_blank(v) for v in value.values())
    if isinstance(value, list):
        return all(_blank(v) for v in value)
    return value is None or value == "" or (value == 0 and not isinstance(value, bool)) or value is False


def _decode_model(model: type[BaseModel], obj: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rule, child, finfo, *_ in rules.fields_of(model):
        key = rule.describe_key
        if key is None:
            continue
        if isinstance(key, Inline):
            assert child is not None
            block = _decode_model(child, obj, prefix + key.prefix)
            if not _blank(block):
                out[name] = block
            continue
        raw = _lookup(obj, prefix + key)
        if _empty(raw):
            continue
        if rule.entries is not None:
            out[name] = rule.entries.from_entries(raw) or None
            continue
        if child is not None:
            if isinstance(raw, list):
                items = [_decode_model(child, item) for item in raw if isinstance(item, Mapping)]
                out[name] = [i for i in items if i] or None
            elif isinstance(raw, Mapping):
                decoded = _decode_model(child, raw)
                if decoded:
                    out[name] = decoded
            continue
        if raw == "":
            continue  # an empty optional string means unset in this API
        if raw == 0 and not isinstance(raw, bool) and _positive_only(finfo):
            continue  # the service reports 0 for "unset" where 0 is not a valid value
        out[name] = raw
    return {k: v for k, v in out.items() if v is not None}


def _positive_only(finfo: Any) -> bool:
    """Whether the field's own constraints reject 0 (``gt=0`` or ``ge>=1``)."""
    for m in finfo.metadata:
        if isinstance(m, annotated_types.Gt) and m.gt >= 0:  # type: ignore[operator]
            return True
        if isinstance(m, annotated_types.Ge) and m.ge > 0:  # type: ignore[operator]
            return True
    return False


def to_describe(spec: ContainerGroupSpec) -> dict[str, Any]:
    """The spec part of a DescribeContainerGroups element, as the service renders it.

    Write-only fields are left out.  The emulator adds status, IPs, container states and events.
    """
    return _encode_describe(spec)


def _encode_describe(model: BaseModel, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, rule, *_ in rules.fields_of(type(model)):
        value = getattr(model, name)
        key = rule.describe_key
        if value is None or key is None or rule.hidden_in(model):
            continue
        if isinstance(key, Inline):
            out.update(_encode_describe(value, prefix + key.prefix))
            continue
        if isinstance(value, BaseModel):
            encoded: Any = _encode_describe(value)
        elif rule.entries is not None:
            encoded = rule.entries.to_entries(value)
        elif isinstance(value, list):
            encoded = [_encode_describe(v) if isinstance(v, BaseModel) else v for v in value]
        elif isinstance(value, SecretStr):
            continue
        else:
            encoded = value
        _assign(out, prefix + key, encoded)
    return out


def _assign(obj: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value


def visible(model: BaseModel) -> Any:
    """``model`` without the fields DescribeContainerGroups never returns.

    Decoding a Describe response can only give back this much of a spec; the rest (write-only
    fields, and environment variables a container hides) is compared by digest instead.  Empty
    optional strings read back as unset, which is what they mean.
    """
    updates: dict[str, Any] = {}
    for name, rule, *_ in rules.fields_of(type(model)):
        value = getattr(model, name)
        if value is None:
            continue
        if rule.write_only or rule.hidden_in(model) or value == "":
            updates[name] = None
        elif isinstance(value, BaseModel):
            shown = visible(value)
            # Describe leaves out blank objects, so a block with nothing visible is absent.
            updates[name] = None if _blank(shown.model_dump()) else shown
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            updates[name] = [visible(v) for v in value]
    return model.model_copy(update=updates) if updates else model


def overlay(desired: BaseModel | None, observed: BaseModel | None) -> Any:
    """``desired`` with every field DescribeContainerGroups shows replaced by ``observed``.

    This is what a refresh writes back as the resource's inputs, so that drift shows up as a
    change in the next preview: visible fields take the observed value (an item the service no
    longer lists disappears), write-only and hidden fields keep the desired value (they cannot
    be observed), values the service chose where the user set nothing stay unset, so do
    documented defaults the user left unset (Describe reports ``SpotStrategy: NoSpot`` for every
    group; written back, the engine would show a spurious ``- spot_strategy`` in every later
    diff), and the provider's own tags are left out.
    """
    if observed is None and desired is None:
        return None
    model = type(desired) if desired is not None else type(observed)
    out: dict[str, Any] = {}
    for name, rule, child, *_ in rules.fields_of(model):
        dv = getattr(desired, name) if desired is not None else None
        ov = getattr(observed, name) if observed is not None else None
        if rule.write_only or rule.hidden_in(desired):
            value = dv
        elif dv is None and (rule.computed or (rule.doc_default is not None and ov == rule.doc_default)):
            value = None
        elif child is not None and rule.keyed_by:
            value = _overlay_keyed(dv, ov, rule.keyed_by)
        elif isinstance(dv, BaseModel) or isinstance(ov, BaseModel):
            value = overlay(dv, ov)
        elif rule.entries is not None and isinstance(ov, dict):
            value = {k: v for k, v in ov.items() if not rule.entries.provider_owned(k)} or None
        else:
            value = ov
        if value is not None:
            out[name] = value
    if not out:
        return None
    return model.model_construct(**out)


def _overlay_keyed(desired: list[Any] | None, observed: list[Any] | None, keyed_by: tuple[str, ...]) -> Any:
    if observed is None:
        return None
    by_key = {tuple(getattr(i, k) for k in keyed_by): i for i in desired or ()}
    items = [overlay(by_key.get(tuple(getattr(o, k) for k in keyed_by)), o) for o in observed]
    return [i for i in items if i is not None] or None
