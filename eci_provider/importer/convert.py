"""An observed container group → the smallest spec that declares it, with placeholders.

The input is what :func:`eci_provider.cloud.wire.observe` decoded from DescribeContainerGroups
(the same decoding the provider uses on every refresh); the output is plain data by field name,
as a program passes it to ``ContainerGroup``.  Every decision reads the field's
:class:`~eci_provider.spec.rules.Rule`, so a field added to the spec is imported without a
change here:

* **Write-only** values (``Rule.write_only``, or hidden through ``Rule.hidden_by``) are not in
  the answer, so nothing can be imported for them.  Where the spec cannot do without one (a
  secret leaf of an item the answer does list, such as a config file's content; the block of a
  volume whose type Describe reports but whose settings it never returns), a
  :class:`Placeholder` stands in: the program reads it from the stack config, and it is never
  an invented value.
* **Documented defaults** (``Rule.doc_default``) are left out: declaring them changes nothing.
* **Values the service computes** (``Rule.computed``) are kept, because they pin where and on
  what the group runs (zone, vSwitch, security group, resource group, instance type): left out,
  a replacement could land elsewhere.  Two exceptions, which the service derives from the rest
  of the spec: the instance's vCPU/memory when they are exactly the size the containers'
  requests give, and a container's vCPU/memory of 0 (reported for "not requested").
* **Tags**: the provider's own (``eci-provider/``) are left out; the service's (``acs:``,
  ``aliyun``) never reach here (the wire decoder drops them).
* **Environment variables that look secret** (``DB_PASSWORD``, ``API_TOKEN``...) are not
  written into the program either: DescribeContainerGroups returns them in plain text, but a
  generated program is meant to be committed.  They become secret placeholders too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from ..cloud.wire import Observed
from ..planning import canonical as C
from ..spec import sizes
from ..spec.model import RESERVED_TAG_PREFIX, Container, ContainerGroupSpec, InitContainer, Volume
from ..spec.problems import REQUIRED, flatten_errors
from ..spec.rules import Shape
from ..spec.status import REPLACE_STATUSES, TERMINAL_STATUSES

__all__ = ["Draft", "Placeholder", "Slot", "draft"]

Reason = Literal["write-only", "sensitive"]

#: Environment variable names whose value is kept out of a generated program.
SENSITIVE_ENV = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY", re.I)
#: Registries that serve public images without a login (Docker Hub's names).
_PUBLIC_REGISTRIES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})


@dataclass(frozen=True)
class Slot:
    """Where a placeholder stands, before it has a config key."""

    path: str  # the planner's key path: volumes[cfg].config_file_volume.config_file_to_paths[app.conf].content
    secret: bool
    reason: Reason
    what: str  # for the person filling it in: "the content of app.conf in volume cfg, Base64"
    hint: str  # a word or two for the config key: "cfg_app_conf_content"


@dataclass(frozen=True)
class Placeholder:
    """A value the program reads from the stack config instead of holding it."""

    key: str  # the config key: pulumi config set [--secret] KEY VALUE
    path: str
    secret: bool
    reason: Reason
    what: str

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "path": self.path, "secret": self.secret, "reason": self.reason, "what": self.what}


@dataclass
class Draft:
    """One group's spec as plain data, with :class:`Slot` objects where placeholders go."""

    group_id: str
    name: str
    status: str
    spec: dict[str, Any]
    slots: list[Slot] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def draft(observed: Observed) -> Draft:
    """The minimal spec declaring ``observed`` (see the module docstring for the rules)."""
    spec = observed.spec
    out = Draft(observed.container_group_id, spec.name, observed.status, {})
    out.spec = _model(spec, "", out)
    _drop_derived_size(spec, out.spec)
    out.notes.extend(_notes(observed))
    return out


# --------------------------------------------------------------------------------------
# the walk
# --------------------------------------------------------------------------------------


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _model(obj: BaseModel, path: str, draft_: Draft) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fp in C.plans(type(obj)):
        name, rule = fp.name, fp.rule
        value = getattr(obj, name)
        here = _join(path, name)
        if rule.write_only or rule.hidden_in(obj):
            if rule.secret and fp.child is None:  # a secret leaf of an item Describe lists
                out[name] = _slot(draft_, here, True, "write-only", _what(obj, name), _hint(obj, name))
            continue
        if value is None or (rule.doc_default is not None and value == rule.doc_default):
            continue
        if rule.computed and _is_zero(value):
            continue  # the service reports 0 for a size that was not requested
        if fp.kind is Shape.MAP:
            assert rule.entries is not None
            declared = rule.entries.declared(value)
            if declared:
                out[name] = declared
        elif fp.kind is Shape.STRUCT:
            block = _model(value, here, draft_)
            if block:
                out[name] = block
        elif fp.kind is Shape.KEYED:
            out[name] = [_item(item, f"{here}[{C.item_key(item, fp)}]", draft_) for item in value]
        elif fp.kind is Shape.STRUCTS:
            out[name] = [_item(item, f"{here}[{i}]", draft_) for i, item in enumerate(value)]
        else:
            out[name] = list(value) if isinstance(value, list) else value
    return out


def _item(item: BaseModel, path: str, draft_: Draft) -> dict[str, Any]:
    out = _model(item, path, draft_)
    if isinstance(item, Volume):
        _volume_block(item, out, path, draft_)
    if isinstance(item, (Container, InitContainer)):
        _sensitive_env(item, out, path, draft_)
    return out


def _volume_block(volume: Volume, out: dict[str, Any], path: str, draft_: Draft) -> None:
    """A volume's type is reported, but for some types not the block that configures it
    (HostPathVolume): the settings its type requires become placeholders."""
    for fp in C.plans(Volume):
        if fp.rule.api != volume.type or not fp.rule.write_only:
            continue
        block = {}
        for sub in _required_in_block(volume.type, fp.name):
            what = f"{sub} of the {volume.type} of volume {volume.name}"
            hint = f"{volume.name}_{fp.name}_{sub}"
            block[sub] = _slot(draft_, f"{path}.{fp.name}.{sub}", False, "write-only", what, hint)
        if block:
            out[fp.name] = block


@cache
def _required_in_block(volume_type: str, block: str) -> tuple[str, ...]:
    """The settings of ``block`` that a volume of ``volume_type`` requires, as the model says."""
    try:
        Volume.model_validate({"name": "v", "type": volume_type, block: {}})
    except ValidationError as e:
        prefix = block + "."
        return tuple(
            p[len(prefix) :] for p, msg in flatten_errors(e, model=Volume) if p.startswith(prefix) and REQUIRED in msg
        )
    return ()


def _sensitive_env(container: Container | InitContainer, out: dict[str, Any], path: str, draft_: Draft) -> None:
    for env in out.get("environment_vars") or ():
        key = env.get("key", "")
        if "value" in env and SENSITIVE_ENV.search(key):
            where = f"{path}.environment_vars[{key}].value"
            what = f"environment variable {key} of container {container.name}"
            env["value"] = _slot(draft_, where, True, "sensitive", what, f"{container.name}_{key}")


def _slot(draft_: Draft, path: str, secret: bool, reason: Reason, what: str, hint: str) -> Slot:
    slot = Slot(path, secret, reason, what, hint)
    draft_.slots.append(slot)
    return slot


def _what(obj: BaseModel, name: str) -> str:
    path = getattr(obj, "path", None)
    if name == "content" and path is not None:
        return f"the content of config file {path}, Base64"
    return f"{name} of {type(obj).__name__}"


def _hint(obj: BaseModel, name: str) -> str:
    own = getattr(obj, "path", None) or getattr(obj, "name", None) or getattr(obj, "server", None)
    return f"{own}_{name}" if own else name


def _is_zero(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0


def _drop_derived_size(spec: ContainerGroupSpec, data: dict[str, Any]) -> None:
    """Leave out the instance's vCPU/memory when they are the size the containers' requests
    give: the service reports a size for every group, whether or not one was asked for."""
    if spec.cpu is None or spec.memory is None:
        return
    counted = [c for c in spec.containers if not c.resource_ignored()]
    sums = (sum(c.cpu or 0 for c in counted), sum(c.memory or 0 for c in counted))
    try:
        derived = sizes.instance_size(None, None, sums)
    except sizes.SpecOutOfRange:
        return
    if (spec.cpu, spec.memory) == derived:
        data.pop("cpu", None)
        data.pop("memory", None)


# --------------------------------------------------------------------------------------
# notes for the person reading the program
# --------------------------------------------------------------------------------------


def _notes(observed: Observed) -> list[str]:
    notes = []
    status = observed.status
    if status in REPLACE_STATUSES:
        notes.append(f"last seen {status}: the first pulumi up replaces it with a new group")
    elif status in TERMINAL_STATUSES:
        notes.append(f"last seen {status}: a finished group cannot be updated, so any change replaces it")
    owner = [k for k in observed.spec.tags or {} if k.startswith(RESERVED_TAG_PREFIX)]
    if owner:
        notes.append(f"it carries the tag {owner[0]}: a Pulumi stack created it and may still manage it")
    hosts = sorted({h for c in _all_containers(observed.spec) if (h := registry_host(c.image))})
    if hosts:
        notes.append(
            f"images come from {', '.join(hosts)}: if a login is needed, add image_registry_credentials "
            "(DescribeContainerGroups never returns them)"
        )
    return notes


def _all_containers(spec: ContainerGroupSpec) -> list[Any]:
    return [*(spec.init_containers or ()), *spec.containers]


def registry_host(image: str) -> str | None:
    """The registry an image reference names, or None for Docker Hub (``nginx``, ``library/x``)."""
    first, sep, _ = image.partition("/")
    if not sep or not ("." in first or ":" in first or first == "localhost"):
        return None
    return None if first in _PUBLIC_REGISTRIES else first


def config_key(*parts: str) -> str:
    """A stack config key from free text: lowercase letters, digits and single underscores."""
    text = "_".join(parts).lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_") or "value"


def fill(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with each :class:`Placeholder` replaced by ``values[key]`` (for validation)."""
    if isinstance(value, Placeholder):
        return values[value.key]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value
