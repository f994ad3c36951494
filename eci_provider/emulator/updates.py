"""UpdateContainerGroup semantics (docs/update-rules.md), implemented independently of the planner.

This module is the one place that holds the update model's interpretations, so each can be
changed alone when the real service turns out to behave differently.  The tables below restate
the UpdateContainerGroup API reference; a test checks that they agree with the per-field rules in
:mod:`eci_provider.spec.rules`, so the planner (which reads the rules) and the emulator (which reads
these tables) cannot drift apart silently, while still being two implementations.

Interpretations implemented here (also listed in docs/emulator.md):

* An omitted top-level parameter is unchanged in both modes.
* An item re-sent under the same key (container or init container by name, volume by name, ACR
  registry by instance ID, registry credential by server, config file by path) keeps its
  create-only fields (``Rule.create_only``) from the existing item; new items get them unset.
  A kept ``DiskVolume`` block is dropped when the volume's new type is not DiskVolume.
* "No change" is judged on a normalised spec: keyed lists compared as sets (``keyed_by``,
  except lists whose rule says their order matters),
  numbers by value, documented defaults equal to unset, empty lists equal to unset, and the
  instance ``Cpu``/``Memory`` by the size the instance gets (a request that rounds to the
  current size is no change).
* Restarts are computed from what *changed*, not from what was sent; credentials restart the
  instance unless they were the only parameter sent and the list did not grow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from ..spec import rules
from ..spec.model import ContainerGroupSpec, Volume, revealed
from . import errors
from .placement import DEFAULT_RESOURCE_GROUP, SizeError, instance_size

UPDATE_TYPES = ("RenewUpdate", "IncrementalUpdate")
DEFAULT_UPDATE_TYPE = "RenewUpdate"  # UpdateContainerGroup API reference

#: The sent list replaces the whole list, whatever UpdateType says (UpdateContainerGroup API reference); items keyed by.
FULL_LISTS: dict[str, str] = {
    "containers": "name",
    "init_containers": "name",
    "image_registry_credentials": "server",
}
#: RenewUpdate replaces the list; IncrementalUpdate merges sent items by this key (UpdateContainerGroup API
#: reference).
MERGE_LISTS: dict[str, str] = {"tags": "key", "volumes": "name", "acr_registry_infos": "instance_id"}
#: RenewUpdate replaces the struct; IncrementalUpdate overwrites only the members sent.
MERGE_STRUCTS = frozenset({"dns_config"})
#: Accepted only with UpdateType=RenewUpdate (UpdateContainerGroup API reference).
RENEW_ONLY = frozenset({"image_registry_credentials"})
#: A change restarts the whole instance (meta for the first two; inferred for the rest).
INSTANCE_RESTART = ("init_containers", "image_registry_credentials", "cpu", "memory", "dns_config")
#: ... except credentials sent alone whose count does not grow (UpdateContainerGroup API reference).
NO_RESTART_IF_ALONE_NOT_GROWING = frozenset({"image_registry_credentials"})
#: A change restarts nothing (UpdateContainerGroup API reference).
NO_RESTART = ("tags", "resource_group_id", "restart_policy", "acr_registry_infos")
#: A changed container restarts itself; a changed volume restarts the containers mounting it.
CONTAINER_RESTART = "containers"
VOLUME_RESTART = "volumes"


@dataclass(frozen=True)
class UpdatePlan:
    """The effective spec of an accepted update, and what it restarts."""

    spec: ContainerGroupSpec
    changed: tuple[str, ...]
    restart_instance: bool
    instance_reasons: tuple[str, ...]
    #: Existing containers to restart, with the reason shown in their event.
    restart_containers: dict[str, str]

    def pending(self) -> dict[str, Any]:
        """The JSON the lifecycle keeps until Updating completes."""
        return {
            "changed_params": [_api(f) for f in self.changed],
            "restart_instance": self.restart_instance,
            "instance_reasons": list(self.instance_reasons),
            "restart_containers": dict(self.restart_containers),
        }


def _api(field_name: str) -> str:
    return rules.rule_of(ContainerGroupSpec, field_name).update_name or field_name


def plan_update(current: ContainerGroupSpec, sent: Mapping[str, Any], update_type: str | None = None) -> UpdatePlan:
    """Apply the decoded UpdateContainerGroup parameters ``sent`` to ``current``.

    Raises :class:`~.errors.ApiError`: ``InvalidParameter`` for a bad UpdateType or credentials
    under IncrementalUpdate, the validation codes for an invalid effective spec, and
    ``NoNeedUpdate`` when nothing would change.
    """
    update_type = update_type or DEFAULT_UPDATE_TYPE
    if update_type not in UPDATE_TYPES:
        raise errors.invalid("UpdateType", f"must be one of {', '.join(UPDATE_TYPES)}")
    renew = update_type == "RenewUpdate"
    for name in sent:
        if name in RENEW_ONLY and not renew:
            raise errors.invalid(
                _api(name), "is accepted only with UpdateType=RenewUpdate (UpdateContainerGroup API reference)"
            )

    data = revealed(current)
    for name, value in sent.items():
        merged = _apply(name, getattr(current, name), value, renew)
        if merged is None:
            data.pop(name, None)
        else:
            data[name] = revealed(merged)
    try:
        effective = ContainerGroupSpec.model_validate(data, context={"allow_owner_tag": True})
    except ValidationError as e:
        raise errors.from_validation(e, "update") from None
    try:
        before, after = comparable(current), comparable(effective)
    except SizeError as e:
        raise errors.seed_error("InvalidParameter.CPU.Memory", str(e)) from None

    changed = tuple(n for n in ContainerGroupSpec.model_fields if _is_updatable(n) and before.get(n) != after.get(n))
    if not changed:
        raise errors.seed_error("NoNeedUpdate")

    reasons = []
    for name in INSTANCE_RESTART:
        if name not in changed:
            continue
        if (
            name in NO_RESTART_IF_ALONE_NOT_GROWING
            and set(sent) == {name}
            and len(getattr(effective, name) or ()) <= len(getattr(current, name) or ())
        ):
            continue
        reasons.append(_api(name))
    return UpdatePlan(
        spec=effective,
        changed=changed,
        restart_instance=bool(reasons),
        instance_reasons=tuple(reasons),
        restart_containers=_container_restarts(before, after, effective),
    )


def _is_updatable(name: str) -> bool:
    return not rules.rule_of(ContainerGroupSpec, name).create_only


# --------------------------------------------------------------------------------------
# Applying what was sent
# --------------------------------------------------------------------------------------


def _apply(name: str, old: Any, new: Any, renew: bool) -> Any:
    if name in FULL_LISTS:
        return _replace_list(old, new, FULL_LISTS[name])
    if name in MERGE_LISTS:
        if name == "tags":  # the spec keeps tags as a mapping, already keyed
            return dict(new) if renew else {**(old or {}), **new}
        key = MERGE_LISTS[name]
        return _replace_list(old, new, key) if renew else _merge_list(old, new, key)
    if name in MERGE_STRUCTS:
        if renew or old is None:
            return _preserve(old, new)
        sent = {f: getattr(new, f) for f in type(new).model_fields if getattr(new, f) is not None}
        return old.model_copy(update=sent)
    return new


def _replace_list(old: list[Any] | None, new: list[Any], key: str) -> list[Any]:
    by_key = {getattr(item, key): item for item in old or ()}
    return [_preserve(by_key.get(getattr(item, key)), item) for item in new]


def _merge_list(old: list[Any] | None, new: list[Any], key: str) -> list[Any]:
    merged = {getattr(item, key): item for item in old or ()}
    for item in new:
        k = getattr(item, key)
        merged[k] = _preserve(merged.get(k), item)
    return list(merged.values())


def _preserve(old: Any, new: Any) -> Any:
    """``new`` with every create-only field taken from ``old`` (the item it re-sends), recursively.

    UpdateContainerGroup cannot carry create-only fields, so a re-sent item keeps the ones it
    was created with; an item without a predecessor gets them unset (docs/update-rules.md, interpretation
    "create-only-in-items").
    """
    if not isinstance(new, BaseModel):
        return new
    cls = type(new)
    updates: dict[str, Any] = {}
    for name in cls.model_fields:
        rule = rules.rule_of(cls, name)
        nv = getattr(new, name)
        ov = getattr(old, name, None) if isinstance(old, BaseModel) else None
        if rule.create_only:
            updates[name] = ov
        elif isinstance(nv, BaseModel):
            updates[name] = _preserve(ov, nv)
        elif nv is None and isinstance(ov, BaseModel):
            # A block holding only create-only fields cannot be re-sent at all (Update has no
            # name for them), so its absence keeps them rather than clearing the block.
            updates[name] = _create_only_part(ov)
        elif rule.keyed_by and isinstance(nv, list):
            olds = {_key(i, rule.keyed_by): i for i in ov or ()}
            updates[name] = [_preserve(olds.get(_key(i, rule.keyed_by)), i) for i in nv]
    out = new.model_copy(update=updates)
    if isinstance(out, Volume) and out.type != "DiskVolume" and out.disk_volume is not None:
        out = out.model_copy(update={"disk_volume": None})
    return out


def _create_only_part(model: BaseModel) -> BaseModel | None:
    """``model`` reduced to its create-only fields (recursively), or None if it has none."""
    cls = type(model)
    kept: dict[str, Any] = {}
    for name in cls.model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        if rules.rule_of(cls, name).create_only:
            kept[name] = value
        elif isinstance(value, BaseModel):
            part = _create_only_part(value)
            if part is not None:
                kept[name] = part
    return cls.model_construct(**kept) if kept else None


def _key(item: Any, keyed_by: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(getattr(item, k, None) for k in keyed_by)


# --------------------------------------------------------------------------------------
# Comparing: the emulator's own normalisation
# --------------------------------------------------------------------------------------


def normalise(value: Any, rule: rules.Rule | None = None) -> Any:
    """Plain data in which equal specs are equal (see the module docstring)."""
    if isinstance(value, BaseModel):
        out = {}
        for name in type(value).model_fields:
            r = rules.rule_of(type(value), name)
            v = normalise(getattr(value, name), r)
            if v is None or v == [] or v == {}:
                continue
            if r.doc_default is not None and v == normalise(r.doc_default):
                continue
            out[name] = v
        return out
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [normalise(v) for v in value]
        # Keyed lists are sets, unless the rule says their order matters (environment variables).
        unordered = rule is not None and rule.keyed_by and not getattr(rule, "ordered", False)
        if unordered and all(isinstance(i, dict) for i in items):
            keyed_by = rule.keyed_by  # type: ignore[union-attr]
            items.sort(key=lambda d: json.dumps([d.get(k) for k in keyed_by], sort_keys=True, default=str))
        return items
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return value


def comparable(spec: ContainerGroupSpec) -> dict[str, Any]:
    """The normalised spec, with the values the service fills in made explicit."""
    out = normalise(spec)
    out["cpu"], out["memory"] = instance_size(spec)
    out["resource_group_id"] = spec.resource_group_id or DEFAULT_RESOURCE_GROUP
    return out


def _container_restarts(before: dict[str, Any], after: dict[str, Any], effective: ContainerGroupSpec) -> dict[str, str]:
    old = {c["name"]: c for c in before.get("containers") or ()}
    new = {c["name"]: c for c in after.get("containers") or ()}
    out = {name: "its spec changed" for name in new if name in old and new[name] != old[name]}
    old_vols = {v["name"]: v for v in before.get("volumes") or ()}
    new_vols = {v["name"]: v for v in after.get("volumes") or ()}
    changed_vols = {n for n in new_vols if n in old_vols and new_vols[n] != old_vols[n]}
    for c in effective.containers:
        if c.name not in old or c.name in out:
            continue
        hit = sorted({m.name for m in c.volume_mounts or () if m.name in changed_vols})
        if hit:
            out[c.name] = f"volume {', '.join(hit)} changed"
    return out
