"""Per-field rules: how each spec field travels on the wire and what changing it does.

Every field of the spec models is declared with one of :func:`updatable`, :func:`create_only`
or :func:`field`.  Each returns a pydantic ``Field`` whose ``json_schema_extra`` is a
:class:`Rule`.  The rule is the *only* place that says

* the field's wire name on CreateContainerGroup, on UpdateContainerGroup and in
  DescribeContainerGroups (so the codec in :mod:`eci_provider.cloud.wire` needs no tables);
* whether a change is sent through UpdateContainerGroup or forces a replacement,
  what it restarts, and how the sent list is applied (so :mod:`eci_provider.planning.planner` and the
  emulator need no tables);
* whether DescribeContainerGroups returns the field at all (write-only fields are compared
  against digests of what was last applied, never against the API);
* documented defaults, server-computed values, secrets and tolerances used to normalise.

Because the rule object doubles as the ``json_schema_extra`` callable, ``schema.json`` carries
the same rules as ``x-`` annotations, and ``docs/update-rules.md`` is generated from them:
there is no second list to keep in sync (the peer resource's docs contradict its code).
This mirrors terraform-plugin-framework's plan modifiers: ``RequiresReplace`` lives next to
the attribute it governs.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, get_args, get_origin

from pydantic import AliasChoices, BaseModel, Field

from . import sources


class Restart(str, enum.Enum):
    """What a change to an updatable top-level parameter restarts (UpdateContainerGroup API reference;
    docs/update-rules.md explains the interpretations where it is silent)."""

    NONE = "none"
    CHANGED_CONTAINERS = "changed-containers"
    MOUNTING_CONTAINERS = "mounting-containers"
    INSTANCE = "instance"


class ListMode(str, enum.Enum):
    """How UpdateContainerGroup applies a sent list or struct (UpdateContainerGroup API reference)."""

    #: The sent list replaces the old list whatever UpdateType says (Container[],
    #: InitContainer[], ImageRegistryCredential[]; UpdateContainerGroup API reference).
    FULL = "full"
    #: RenewUpdate replaces the list/struct; IncrementalUpdate merges sent items by key
    #: (Tag.Key, Volume.Name, AcrRegistryInfo.InstanceId) or overwrites sent struct members.
    MERGE = "merge"


class _Same:
    """Sentinel: the wire name is the same as the Create name."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "SAME"


SAME: Any = _Same()


@dataclass(frozen=True)
class Entries:
    """A mapping field that travels as a list of ``{Key, Value}`` entries (``Tag.N.Key``).

    Declared on the field's rule, so that every walker (wire codec, canonical forms, planner,
    redaction) knows the shape from the rule, not from the field's name.  ``service_prefixes``:
    keys the service adds by itself, never compared, never written back; ``reserved_prefix``:
    keys the provider writes itself (its ownership tag), never part of what the user declared.
    """

    key: str = "Key"
    value: str = "Value"
    service_prefixes: tuple[str, ...] = ()
    reserved_prefix: str | None = None

    def to_entries(self, mapping: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [{self.key: k, self.value: v} for k, v in mapping.items()]

    def from_entries(self, entries: Any) -> dict[str, Any]:
        """The mapping in a list of entries as the service returns it; entries without a key and
        service-owned keys are left out.  Anything but a list of objects is a malformed answer
        (``TypeError``), never read as "no entries": the owner tag is among them, and taking a
        group as untagged could let another stack adopt it."""
        out: dict[str, Any] = {}
        if entries is None:
            return out
        if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
            raise TypeError(f"{self.key}/{self.value} entries must be a list of objects")
        for entry in entries:
            key = entry.get(self.key)
            if key and not self.service_owned(str(key)):
                out[str(key)] = entry.get(self.value) or ""
        return out

    def parse(self, entries: list[Any]) -> dict[str, Any]:
        """The mapping in a list of entries a user or a caller sent, strictly: each must be an
        object with a key, given once (``key``/``value`` accepted beside the API's spelling).
        Raises :class:`EntryProblem` naming the entry by its 0-based index."""
        out: dict[str, Any] = {}
        for i, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                raise EntryProblem(i, None, f"must be an object with {self.key} and {self.value}")
            key = entry.get(self.key, entry.get(self.key.lower()))
            if key is None:
                raise EntryProblem(i, "key", "required")
            if key in out:
                raise EntryProblem(i, "key", f"duplicate key {key!r}")
            value = entry.get(self.value, entry.get(self.value.lower()))
            out[key] = "" if value is None else value
        return out

    def service_owned(self, key: str) -> bool:
        return bool(self.service_prefixes) and key.startswith(self.service_prefixes)

    def provider_owned(self, key: str) -> bool:
        return self.reserved_prefix is not None and key.startswith(self.reserved_prefix)

    def declared(self, mapping: Mapping[str, Any]) -> dict[str, Any]:
        """Only the entries a user declares: neither the service's nor the provider's."""
        return {k: v for k, v in mapping.items() if not (self.service_owned(k) or self.provider_owned(k))}


class EntryProblem(ValueError):
    """One malformed entry of a mapping sent as entries: its index, the member at fault."""

    def __init__(self, index: int, member: str | None, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.member = member
        self.message = message


class Shape(str, enum.Enum):
    """What a field holds, as every walker branches on it; derived once per model
    (:func:`fields_of`) from the annotation and the rule."""

    SCALAR = "scalar"
    STRUCT = "model"
    SCALARS = "scalars"
    STRUCTS = "models"
    #: A list of structs matched by key (``Rule.keyed_by``).
    KEYED = "keyed"
    #: A mapping sent as entries (``Rule.entries``).
    MAP = "map"


@dataclass(frozen=True)
class Inline:
    """DescribeContainerGroups flattens this nested block into its parent object.

    ``prefix`` is prepended to every child's describe key: ``NFSVolume.Server`` comes back as
    ``NFSVolumeServer`` (prefix ``"NFSVolume"``); a probe's ``Exec.Command`` comes back as
    ``Execs`` on the probe itself (prefix ``""``).
    """

    prefix: str = ""


@dataclass(frozen=True)
class Rule:
    """Everything the rest of the project needs to know about one field.

    Attributes are documented where they are read; the constructors below set sensible
    combinations, so model code reads like the API reference.
    """

    #: Wire name segment on CreateContainerGroup (``Container``, ``LivenessProbe``, ``Cpu``).
    api: str
    #: Top level: the UpdateContainerGroup parameter that carries a change; nested: the wire
    #: segment inside that parameter (``SAME`` = as on Create); ``None``: not accepted by
    #: UpdateContainerGroup, so a change means replacement.
    update: str | _Same | None = SAME
    #: Key in DescribeContainerGroups (``SAME`` = ``api``), an :class:`Inline` block, or
    #: ``None`` when the service never returns the field (write-only).
    describe: str | _Same | Inline | None = SAME
    #: Top-level updatable parameters only: what a change restarts.
    restarts: Restart | None = None
    #: Where the restart rule comes from, when it differs from ``source``.
    restart_source: str | None = None
    #: Top-level lists/structs only: how a sent value is applied.
    list_mode: ListMode | None = None
    #: ``ListMode.MERGE`` lists: the item field IncrementalUpdate merges by.
    merge_key: str | None = None
    #: The parameter is accepted only with ``UpdateType=RenewUpdate`` (UpdateContainerGroup API reference).
    renew_only: bool = False
    #: ImageRegistryCredential: sent alone and not growing, it restarts nothing (UpdateContainerGroup API
    #: reference).
    no_restart_if_alone_not_growing: bool = False
    #: Lists whose item identity is a tuple of item fields: order is irrelevant and items are
    #: matched by key. ``None`` means the list is ordered.
    keyed_by: tuple[str, ...] | None = None
    #: With ``keyed_by``: items are identified by key *and* their order matters (environment
    #: variables: later ones may reference earlier ones), so a reorder is a change.
    ordered: bool = False
    #: Documented default that equals an omitted value.
    doc_default: Any = None
    #: The service fills the value when it is not set; an unset desired value matches anything.
    computed: bool = False
    #: Never shown in plain text: masked in reasons, stored only as a digest, secret output.
    secret: bool = False
    #: The value is something two instances cannot share (private IP, EIP, fixed IP), so a
    #: replacement must delete before it creates (docs/update-rules.md, interpretation "pinned-address").
    pins_address: bool = False
    #: The value is JSON text; compare it parsed, not as a string.
    json_text: bool = False
    #: The value is a comma-separated list of candidates and the service reports the one it
    #: chose (VSwitchId, InstanceType): the observed value matches when it is a candidate.
    one_of_csv: bool = False
    #: Top-level fields that must be sent whenever this one is (the service validates them as
    #: one pair: instance Cpu and Memory, ``InvalidParameter.CPU.Memory``).
    send_with: tuple[str, ...] = ()
    #: Name of a sibling boolean that, when true, makes the service hide this field
    #: (``EnvironmentVarHide`` hides a container's environment variables).
    hidden_by: str | None = None
    #: Where the rule comes from: one of :data:`eci_provider.spec.sources.SOURCES`, named so that a
    #: reader can look it up.
    source: str = sources.CREATE
    #: Free-text note shown in docs and plan reasons.
    note: str | None = None
    #: A mapping field: how it travels as entries, and which keys are not the user's.
    entries: Entries | None = None

    # -- derived -----------------------------------------------------------------------
    @property
    def create_only(self) -> bool:
        return self.update is None

    @property
    def write_only(self) -> bool:
        return self.describe is None

    def hidden_in(self, model: object) -> bool:
        """Whether the service hides this field of ``model`` (its ``hidden_by`` sibling is set)."""
        return bool(self.hidden_by and getattr(model, self.hidden_by, None))

    @property
    def update_name(self) -> str | None:
        if self.update is None:
            return None
        return self.api if self.update is SAME else self.update  # type: ignore[return-value]

    @property
    def describe_key(self) -> str | Inline | None:
        if self.describe is None:
            return None
        return self.api if self.describe is SAME else self.describe  # type: ignore[return-value]

    # -- schema.json ---------------------------------------------------------------------
    def __call__(self, schema: dict[str, Any]) -> None:
        """Write this rule into a property's JSON schema as ``x-`` annotations."""
        schema["x-api"] = self.api
        if self.create_only:
            schema["x-update"] = {"mode": "replace", "source": self.source}
        else:
            upd: dict[str, Any] = {"mode": "update", "wire": self.update_name}
            if self.restarts is not None:
                upd["restarts"] = self.restarts.value
                upd["restart_source"] = self.restart_source or self.source
            if self.list_mode is not None:
                upd["list_mode"] = self.list_mode.value
            if self.merge_key:
                upd["merge_key"] = self.merge_key
            if self.renew_only:
                upd["renew_only"] = True
            if self.no_restart_if_alone_not_growing:
                upd["no_restart_if_alone_and_not_growing"] = True
            upd["source"] = self.source
            schema["x-update"] = upd
        key = self.describe_key
        if key is None:
            schema["x-write-only"] = True
        elif isinstance(key, Inline):
            schema["x-describe"] = {"inline_prefix": key.prefix}
        else:
            schema["x-describe"] = key
        for attr, name in (
            ("secret", "x-secret"),
            ("computed", "x-computed"),
            ("pins_address", "x-pins-address"),
            ("json_text", "x-json-text"),
            ("one_of_csv", "x-one-of-csv"),
        ):
            if getattr(self, attr):
                schema[name] = True
        if self.send_with:
            schema["x-send-with"] = list(self.send_with)
        if self.keyed_by:
            schema["x-keyed-by"] = list(self.keyed_by)
            if self.ordered:
                schema["x-ordered"] = True
        if self.doc_default is not None:
            schema["x-default"] = self.doc_default
        if self.hidden_by:
            schema["x-hidden-by"] = self.hidden_by
        if self.note:
            schema["x-note"] = self.note
        if self.entries is not None:
            schema["x-entries"] = {"key": self.entries.key, "value": self.entries.value}


def _field(default: Any, description: str, **kw: Any) -> Any:
    """A pydantic Field carrying its Rule: the keyword arguments that are Rule fields build the
    rule, the others (constraints) go to pydantic."""
    rule = Rule(**{k: kw.pop(k) for k in list(kw) if k in Rule.__dataclass_fields__})
    aliases = [rule.api]
    for extra in (rule.update_name, rule.describe_key):
        if isinstance(extra, str) and extra and extra not in aliases:
            aliases.append(extra)
    return Field(
        default,
        validation_alias=AliasChoices(*aliases),
        description=description,
        json_schema_extra=rule,  # type: ignore[arg-type]
        **kw,
    )


def updatable(
    api: str,
    description: str,
    *,
    restarts: Restart,
    default: Any = None,
    source: str = sources.UPDATE,
    **kw: Any,
) -> Any:
    """A top-level field that UpdateContainerGroup changes through the parameter ``api``."""
    return _field(default, description, api=api, restarts=restarts, source=source, **kw)


def create_only(api: str, description: str, *, default: Any = None, source: str = sources.METADATA, **kw: Any) -> Any:
    """A field UpdateContainerGroup does not accept: changing it means replacement."""
    return _field(default, description, api=api, update=None, source=source, **kw)


def field(api: str, description: str, *, default: Any = None, source: str = sources.UPDATE, **kw: Any) -> Any:
    """A nested field, updated through whatever top-level parameter encloses it."""
    return _field(default, description, api=api, source=source, **kw)


# -- introspection ------------------------------------------------------------------------


def rule_of(model: type[BaseModel], name: str) -> Rule:
    """The rule declared on ``model.name``."""
    extra = model.model_fields[name].json_schema_extra
    if not isinstance(extra, Rule):
        raise TypeError(f"{model.__name__}.{name} has no Rule; declare it with rules.field()")
    return extra


class ModelField(NamedTuple):
    """One row of a model's field table: everything a walker needs to know about a field."""

    name: str
    rule: Rule
    child: type[BaseModel] | None  # the nested model, for a struct or a list of structs
    info: Any  # pydantic's FieldInfo (constraints)
    shape: Shape
    many: bool


@cache
def fields_of(model: type[BaseModel]) -> tuple[ModelField, ...]:
    """The field table of ``model``: each field with its rule, nested model and shape, in
    declaration order.  Computed once per model; the wire codec, the canonical forms, the
    planner and the redaction all walk it (the codec on every poll)."""
    return tuple(_row(model, name, info) for name, info in model.model_fields.items())


def _row(model: type[BaseModel], name: str, info: Any) -> ModelField:
    rule = rule_of(model, name)
    child = model_of(info.annotation)
    many = is_list(info.annotation)
    if rule.entries is not None:
        shape = Shape.MAP
    elif child is not None and many:
        shape = Shape.KEYED if rule.keyed_by else Shape.STRUCTS
    elif child is not None:
        shape = Shape.STRUCT
    else:
        shape = Shape.SCALARS if many else Shape.SCALAR
    return ModelField(name, rule, child, info, shape, many)


@cache
def model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None`` or ``list[X]``, if any (cached: the wire decoder
    asks for every field of every item it decodes, on every poll)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = model_of(arg)
        if found is not None:
            return found
    return None


@cache
def is_list(annotation: Any) -> bool:
    """Whether the (optional) annotation is a list type."""
    if get_origin(annotation) is list:
        return True
    return any(is_list(a) for a in get_args(annotation) if a is not type(None))


@dataclass(frozen=True)
class FieldInfo:
    """One field reached by :func:`walk`, with the top-level parameter that carries it."""

    path: str  # e.g. "containers[].liveness_probe.http_get.port"
    name: str
    model: type[BaseModel]
    rule: Rule
    child: type[BaseModel] | None
    many: bool
    shape: Shape
    top: Rule  # the rule of the enclosing top-level field
    create_only: bool  # this field, or any ancestor, is create-only
    write_only: bool  # this field, or any ancestor, is not returned by Describe
    secret: bool
    wire_create: str  # "Container.N.LivenessProbe.HttpGet.Port"
    wire_update: str | None


def walk(model: type[BaseModel]) -> Iterator[FieldInfo]:
    """Every field of ``model`` and its nested models, depth first, in declaration order."""
    yield from _walk(model, "", "", "", None, False, False, False)


def _walk(
    model: type[BaseModel],
    prefix: str,
    wprefix: str,
    uprefix: str | None,
    top: Rule | None,
    create_only_: bool,
    write_only_: bool,
    secret_: bool,
) -> Iterator[FieldInfo]:
    for name, rule, child, _, shape, many in fields_of(model):
        top_rule = top or rule
        co = create_only_ or rule.create_only
        wo = write_only_ or rule.write_only
        sec = secret_ or rule.secret
        path = f"{prefix}{name}{'[]' if many else ''}"
        wire_c = f"{wprefix}{rule.api}{'.N' if many else ''}"
        if uprefix is None or rule.update_name is None:
            wire_u = None
        else:
            wire_u = f"{uprefix}{rule.update_name}{'.N' if many else ''}"
        info = FieldInfo(path, name, model, rule, child, many, shape, top_rule, co, wo, sec, wire_c, wire_u)
        yield info
        if child is not None:
            yield from _walk(
                child,
                path + ".",
                wire_c + ".",
                None if wire_u is None else wire_u + ".",
                top_rule,
                co,
                wo,
                sec,
            )
