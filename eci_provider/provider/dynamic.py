"""Pulumi glue: the dynamic provider and the ``ContainerGroup`` resource.

Only glue lives here; decisions come from :mod:`eci_provider.planning.planner`, cloud work from
:mod:`eci_provider.provider.apply`.  Things the Pulumi dynamic SDK forces on us, and how they are met
(Pulumi's dynamic provider protocol):

* The provider object is pickled (by reference: it lives in an importable module) into every
  resource's state.  It therefore holds nothing: settings, credentials and the client live in a
  module-level runtime that :meth:`ContainerGroupProvider.configure` fills in the provider
  process, from the stack config (``eci:*``) or the environment.
* ``diff`` can only say changes/replaces/delete-before-replace.  To put the plan in front of a
  reviewer, ``check`` adds the input ``planned_change`` (a one-line summary, which
  ``pulumi preview --diff`` prints as ``~ planned_change: "…" => "…"``) and ``__plan`` (the
  structured plan, hidden from the text diff) and ``__redacted`` (inputs that hold secrets, with
  only the secret values taken out, because Pulumi prints such an input whole as
  ``[secret]``).  ``eci-provider preview-comment`` re-runs the planner from these and the
  previous outputs.  The authoritative decision, made by ``diff`` from the last observed state,
  is also written to stderr, which the engine shows as a diagnostic.
* ``diff`` returns ``changes=None`` (DIFF_UNKNOWN) when the inputs changed, so the engine adds
  its own detailed property diff and ``replace_on_changes`` works; and ``changes=True`` when
  only the observed state differs (drift, a finished instance), because with unchanged inputs
  the engine would turn DIFF_UNKNOWN into "no change" and drop our replacement.
* A failed create cannot be reported partially; :func:`apply.create` adopts what an earlier
  attempt left behind instead.
* The engine strips secrets before calling the provider and re-marks outputs only by matching
  top-level input names.  Outputs that are secret by type (registry passwords, config files,
  digests of secret values) and every observed value under a path the program marked secret
  are returned with the wire secret sentinel.
"""

from __future__ import annotations

import base64
import difflib
import secrets as _secrets
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pydantic import BaseModel, ValidationError
from typing_extensions import Unpack

from ..cloud import wire
from ..cloud.client import EciClient
from ..cloud.errors import NotFoundError
from ..cloud.waiters import Waiter
from ..planning import canonical as _canonical
from ..planning import redaction as _redaction
from ..planning.planner import Applied, Plan, applied_record, inputs_plan, pinned, plan, region_move
from ..planning.redaction import key_paths
from ..spec import rules
from ..spec.args import ContainerGroupArgs
from ..spec.model import ContainerGroupSpec, revealed
from ..spec.problems import flatten_errors
from . import apply
from .settings import Settings, connect

__all__ = ["ContainerGroup", "ContainerGroupProvider"]

#: Provider-owned inputs (never part of the spec).
IDENTITY = "__identity"
SECRET_PATHS = "__secret_paths"
PLAN = "__plan"
#: Fields holding secrets, with only the secret values taken out (see :mod:`._redaction`).
REDACTED = "__redacted"
SUMMARY = "planned_change"
PROVIDER = "__provider"
_INTERNAL_INPUTS = (IDENTITY, SECRET_PATHS, PLAN, REDACTED, SUMMARY, PROVIDER)

#: Outputs the provider computes (everything else in the outputs echoes the inputs).
OUTPUTS = (
    "container_group_id",
    "region_id",
    "status",
    "intranet_ip",
    "internet_ip",
    "ipv6_address",
    "events",
    "restart_counts",
    "cpu_memory",
    "observed",
    "observed_redacted",
    "applied_salt",
    "applied_digests",
    "applied_secret_digests",
    "last_plan",
)
SPEC_FIELDS = tuple(ContainerGroupSpec.model_fields)

_SIG = "4dabf18193072939515e22adb298388d"  # pulumi.runtime.rpc._special_sig_key
_SECRET = "1b47061264138c4ac30d75fd1eb44270"  # pulumi.runtime.rpc._special_secret_sig


def _secret(value: Any) -> dict[str, Any]:
    """The wire secret sentinel: ``Output.secret`` cannot be used inside a provider."""
    return {_SIG: _SECRET, "value": value}


# --------------------------------------------------------------------------------------
# settings and the per-process runtime
# --------------------------------------------------------------------------------------


class _Runtime:
    """Settings and the shared client of this provider process (never pickled)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: dict[str, Any] = {}
        self._settings: Settings | None = None
        self._waiter: Waiter | None = None

    def configure(self, config: Mapping[str, Any]) -> None:
        """Take the stack config.  The SDK configures each distinct pickled provider of a process
        once (states written by different versions pickle it differently), while other
        operations may be running: the same config changes nothing, and a new one never closes
        a client that is in use (it is dropped, and closed when collected)."""
        with self._lock:
            if dict(config) == self._config:
                return
            self._config = dict(config)
            self._settings = None
            self._waiter = None

    @property
    def settings(self) -> Settings:
        with self._lock:
            if self._settings is None:
                self._settings = Settings.from_config(lambda k: self._config.get(k))
            return self._settings

    @property
    def waiter(self) -> Waiter:
        settings = self.settings
        with self._lock:
            if self._waiter is None:
                self._waiter = connect(settings)
            return self._waiter

    @property
    def client(self) -> EciClient:
        return self.waiter.client


_runtime = _Runtime()


def _log(message: str) -> None:
    """stderr of a dynamic provider is shown by the engine as a diagnostic (not debug-only)."""
    print(f"eci-provider: {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------
# inputs ⇄ spec
# --------------------------------------------------------------------------------------


class Invalid(Exception):
    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))
        self.problems = problems


def _spec_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k in SPEC_FIELDS and v is not None}


def desired_spec(props: Mapping[str, Any]) -> ContainerGroupSpec:
    """The spec as it is applied: the user's inputs plus the ownership tag."""
    spec_data = _spec_inputs(props)
    identity = props.get(IDENTITY)
    if identity:
        spec_data["tags"] = {**(spec_data.get("tags") or {}), apply.OWNER_TAG: apply.owner_value(identity)}
    return _validated(spec_data)


def _user_spec(props: Mapping[str, Any]) -> ContainerGroupSpec:
    return _validated(_spec_inputs(props))


def _validated(spec_data: Mapping[str, Any]) -> ContainerGroupSpec:
    try:
        return ContainerGroupSpec.model_validate(spec_data, context={"allow_owner_tag": True})
    except ValidationError as e:
        raise Invalid(flatten_errors(e)) from None


def _has_unknown(value: Any) -> bool:
    if isinstance(value, pulumi.output.Unknown):
        return True
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_unknown(v) for v in value)
    return False


def _applied_from(outs: Mapping[str, Any]) -> Applied | None:
    salt = outs.get("applied_salt")
    if not salt:
        return None
    digests = dict(outs.get("applied_digests") or {})
    digests.update(outs.get("applied_secret_digests") or {})
    return Applied(salt, digests)


_SECRET_FIELD_PATHS = tuple(f.path for f in rules.walk(ContainerGroupSpec) if f.secret)


def _split_digests(applied: Applied, marked: Sequence[str] = ()) -> tuple[dict[str, str], dict[str, str]]:
    """Digests covering a secret go to a secret output; the rest stay readable, so that a
    reviewer's tool can tell a changed grace period from an unchanged one.  A secret is a field
    typed secret or a path the program marked (``marked``, key paths): a salted digest of a
    short secret, next to its salt, could be guessed offline."""
    plain, hidden = {}, {}
    for path, digest in applied.digests.items():
        pattern = _pattern(path)
        covers_secret = any(s == pattern or s.startswith((pattern + ".", pattern + "[]")) for s in _SECRET_FIELD_PATHS)
        covers_secret = covers_secret or any(_canonical.related(path, m) for m in marked)
        (hidden if covers_secret else plain)[path] = digest
    return plain, hidden


def _pattern(path: str) -> str:
    """``volumes[cfg].config_file_volume`` → ``volumes[].config_file_volume`` (keys may hold dots)."""
    out, depth = [], 0
    for ch in path.replace(_canonical.ORDER, ""):
        if ch == "[":
            depth += 1
            if depth == 1:
                out.append("[]")
        elif ch == "]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def _mask_observed(observed: dict[str, Any], secret_fields: set[str]) -> dict[str, Any]:
    return {k: (_secret(v) if k in secret_fields else v) for k, v in observed.items()}


def _protect(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` with every top-level field that holds a secret wrapped in the secret sentinel.

    The provider receives secrets in plain text (it cannot accept secrets) and the engine only
    re-marks what it sent back afterwards; wrapping them here keeps them secret on the wire as
    well.  A field holds a secret when it contains a value secret by type (a registry password,
    a config file) or a path the program marked secret (``__secret_paths``).
    """
    marked = {_top_of(p) for p in props.get(SECRET_PATHS) or ()}
    out = {}
    for k, v in props.items():
        if k == PROVIDER:
            continue
        if v is not None and not _is_sentinel(v) and (k in marked or _contains_typed_secret(k, v)):
            v = _secret(v)
        out[k] = v
    return out


def _top_of(path: Any) -> str | None:
    """The top-level input of a secret path (a list of segments, or a legacy dotted string)."""
    if isinstance(path, str):
        return _canonical.top_field(path)
    if isinstance(path, (list, tuple)) and path and isinstance(path[0], str):
        return path[0]
    return None


def _is_sentinel(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SIG) == _SECRET


def _typed_secret_slots(props: Mapping[str, Any], only: str | None = None) -> Iterator[tuple[dict[str, Any], str]]:
    """``(parent, key)`` of each value in ``props`` that is secret by type (a field declared
    ``secret=True``: registry passwords, config-file contents), optionally of one top-level
    field only.  Driven by the rules, so a new secret field is covered without a change here."""
    for pattern in _SECRET_FIELD_PATHS:
        names = pattern.replace("[]", "").split(".")
        if only is not None and names[0] != only:
            continue
        parents: list[Any] = [props]
        for name in names[:-1]:
            values = [p.get(name) for p in parents if isinstance(p, dict)]
            parents = [x for v in values for x in (v if isinstance(v, list) else [v])]
        for parent in parents:
            if isinstance(parent, dict) and parent.get(names[-1]) is not None:
                yield parent, names[-1]


def _contains_typed_secret(name: str, value: Any) -> bool:
    return any(parent[key] for parent, key in _typed_secret_slots({name: value}, only=name))


def _outputs(
    props: Mapping[str, Any],
    obs: wire.Observed,
    applied: Applied,
    last: Plan | None,
    secret_paths: list[str],
    applied_spec: ContainerGroupSpec | None,
) -> dict[str, Any]:
    """The resource's outputs.  ``applied_spec`` (what was applied, when it is known) tells which
    observed secrets differ from it (drift)."""
    plain, hidden = _split_digests(applied, secret_paths)
    secret_fields = {_canonical.top_field(p) for p in secret_paths}
    observed_views = _redaction.views(obs.spec, secret_paths, applied_spec, changed=_redaction.DRIFTED)
    size = obs.spec.cpu, obs.spec.memory
    outs = _protect(props)
    outs.update(
        {
            "container_group_id": obs.container_group_id,
            "region_id": _runtime.settings.region,
            "status": obs.status,
            "intranet_ip": obs.intranet_ip,
            "internet_ip": obs.internet_ip,
            "ipv6_address": obs.ipv6_address,
            "events": [
                {k: e.get(k) for k in ("Type", "Reason", "Message", "LastTimestamp") if e.get(k) is not None}
                for e in obs.events[-5:]
            ],
            "restart_counts": obs.restart_counts,
            "cpu_memory": {"cpu": size[0], "memory": size[1]},
            "observed": _mask_observed(obs.spec.model_dump(mode="json", exclude_none=True), secret_fields),
            "observed_redacted": {k: v for k, v in observed_views.items() if k in secret_fields},
            "applied_salt": applied.salt,
            "applied_digests": plain,
            "applied_secret_digests": _secret(hidden),
            "last_plan": (last.to_dict() if last is not None else {"action": "create", "summary": "create"}),
        }
    )
    return outs


def _dump_inputs(spec: BaseModel) -> dict[str, Any]:
    """A spec as Pulumi inputs: snake_case names, secrets revealed (the engine re-marks them)."""
    return revealed(spec)


# --------------------------------------------------------------------------------------
# the provider
# --------------------------------------------------------------------------------------


class ContainerGroupProvider(ResourceProvider):
    """Reconciles one ECI container group per resource. Holds no state: see :class:`_Runtime`."""

    def configure(self, req: ConfigureRequest) -> None:
        _runtime.configure(req.config._props)

    # -- check ----------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = _protect(news)
        if PROVIDER in news:
            inputs[PROVIDER] = news[PROVIDER]
        if _has_unknown(_spec_inputs(news)):
            inputs[SUMMARY] = "unknown until the inputs it depends on are known"
            inputs[PLAN] = {"action": "unknown"}
            return CheckResult(inputs, [])
        try:
            desired = desired_spec(news)
        except Invalid as e:
            # No property name: the engine would print the property's whole value before the
            # reason (`property containers value {[...]} has a problem`), burying the one field
            # at fault; the reason names it by its full path.
            return CheckResult(inputs, [CheckFailure("", f"{p}: {m}") for p, m in e.problems])
        secret_paths = key_paths(desired, news.get(SECRET_PATHS))
        old_inputs = _spec_inputs(_olds)
        before: ContainerGroupSpec | None = None
        if old_inputs and not _has_unknown(old_inputs):
            try:
                before = desired_spec(_olds)
                p: Plan | None = inputs_plan(before, desired, _olds.get(SECRET_PATHS), news.get(SECRET_PATHS))
            except Invalid:
                p = None
            inputs[SUMMARY] = p.summary() if p else "replace (the previous inputs no longer validate)"
            inputs[PLAN] = p.to_dict() if p else {"action": "unknown"}
        else:
            inputs[SUMMARY] = "create"
            inputs[PLAN] = {"action": "create", "summary": "create"}
        inputs[REDACTED] = _redaction.views(desired, secret_paths, before)
        return CheckResult(inputs, [])

    # -- diff -----------------------------------------------------------------------------
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        spec_in = _spec_inputs(news)
        unknown = [k for k, v in spec_in.items() if _has_unknown(v)]
        if unknown:
            unknown_create_only = [k for k in unknown if rules.rule_of(ContainerGroupSpec, k).create_only]
            # A replacement with an address pinned (or maybe pinned) must delete first.
            dbr = bool(unknown_create_only) and bool(pinned(spec_in))
            return DiffResult(changes=True, replaces=unknown_create_only, delete_before_replace=dbr)
        desired = desired_spec(news)
        p = self._plan(olds, desired, key_paths(desired, news.get(SECRET_PATHS) or []))
        name = news.get(IDENTITY, id_)
        lines = [f"{name} ({id_}): {p.summary()}"]
        lines += [f"  - {reason}" for reason in p.reasons]
        lines += [f"  ! {warning}" for warning in p.warnings]
        _log("\n".join(lines))
        if p.action == "noop":
            return DiffResult(changes=False)
        inputs_changed = _spec_inputs(olds) != spec_in
        changes: bool | None = None if inputs_changed else True
        if p.action == "replace":
            return DiffResult(
                changes=changes, replaces=list(p.replace_top_fields), delete_before_replace=p.delete_before_replace
            )
        return DiffResult(changes=changes, replaces=[], delete_before_replace=False)

    def _plan(self, olds: Mapping[str, Any], desired: ContainerGroupSpec, secret_paths: list[str]) -> Plan:
        moved = region_move(olds.get("region_id"), _runtime.settings.region)
        if moved is not None:
            return moved
        observed = olds.get("observed")
        current = ContainerGroupSpec.model_validate(observed, context={"observed": True}) if observed else None
        return plan(desired, current, olds.get("status"), applied=_applied_from(olds), secret_paths=secret_paths)

    # -- create ---------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        desired = desired_spec(props)
        identity = props.get(IDENTITY) or f"unnamed/{desired.name}"
        created = apply.create(_runtime.waiter, desired, identity, timeout=_runtime.settings.timeout)
        obs = created.observed
        if created.adopted:
            _log(f"{identity}: adopted {obs.container_group_id}, left behind by an earlier attempt")
        applied = applied_record(desired, _secrets.token_hex(8))
        secret_paths = key_paths(desired, props.get(SECRET_PATHS) or [])
        return CreateResult(obs.container_group_id, _outputs(props, obs, applied, None, secret_paths, desired))

    # -- update ---------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        desired = desired_spec(news)
        secret_paths = key_paths(desired, news.get(SECRET_PATHS) or [])
        p = self._plan(olds, desired, secret_paths)
        applied = applied_record(desired, olds.get("applied_salt") or _secrets.token_hex(8))
        waiter = _runtime.waiter
        if p.action == "update":
            obs = apply.update(waiter, id_, p, desired, applied, timeout=_runtime.settings.timeout)
        elif p.action == "noop":
            found = waiter.observe(id_)
            if found is None:
                raise NotFoundError("NotFound", f"{id_} no longer exists; run `pulumi refresh`")
            obs = found
        else:
            raise RuntimeError(
                f"{id_} now needs a {p.action} ({p.summary()}), but the engine asked for an update; "
                "run `pulumi preview` again"
            )
        return UpdateResult(_outputs(news, obs, applied, p, secret_paths, desired))

    # -- read (refresh) --------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = _runtime.client.describe_container_groups([id_])
        if not found:
            return ReadResult(None, {})  # gone: the engine drops it from the state
        obs = wire.observe(found[0])
        inputs = {k: v for k, v in props.items() if k in _INTERNAL_INPUTS and k != PROVIDER}
        try:
            before = _user_spec(props)
            merged = wire.overlay(before, obs.spec)
            inputs.update(_dump_inputs(merged))
        except Invalid:
            inputs.update(_dump_inputs(obs.spec))
        applied = _applied_from(props) or Applied(_secrets.token_hex(8), {})
        secret_paths = props.get(SECRET_PATHS) or []
        try:
            paths = key_paths(desired_spec(inputs), secret_paths)
        except Invalid:
            paths = []
        last = props.get("last_plan")
        # The outputs keep echoing what was last *applied*; only ``observed`` takes the cloud's
        # values.  Their difference is drift, which a preview report can then point out.
        applied_echo = {k: v for k, v in props.items() if k in SPEC_FIELDS}
        echoed = {**inputs, **applied_echo} if applied_echo else inputs
        try:
            applied_spec: ContainerGroupSpec | None = desired_spec(echoed)
        except Invalid:
            applied_spec = None
        outs = _outputs(echoed, obs, applied, None, paths, applied_spec)
        if last:
            outs["last_plan"] = last
        return ReadResult(id_, outs, _protect(inputs))

    # -- delete ---------------------------------------------------------------------------
    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        apply.delete(_runtime.waiter, id_, timeout=_runtime.settings.timeout)


# --------------------------------------------------------------------------------------
# the resource (program side)
# --------------------------------------------------------------------------------------


class ContainerGroup(Resource, module="eci", name="ContainerGroup"):
    """An ECI container group, reconciled with the least disruptive correct change.

    Inputs are the fields of :class:`~eci_provider.spec.model.ContainerGroupSpec` by their snake_case
    names (see ``eci_provider.spec.args.ContainerGroupArgs`` for the typed form), given as ``args``,
    as keyword arguments, or as a ``spec=ContainerGroupSpec(...)``.
    """

    container_group_id: pulumi.Output[str]
    region_id: pulumi.Output[str]
    status: pulumi.Output[str]
    intranet_ip: pulumi.Output[str]
    internet_ip: pulumi.Output[str | None]
    ipv6_address: pulumi.Output[str | None]
    events: pulumi.Output[list[dict[str, Any]]]
    restart_counts: pulumi.Output[dict[str, int]]
    cpu_memory: pulumi.Output[dict[str, float]]
    observed: pulumi.Output[dict[str, Any]]
    planned_change: pulumi.Output[str]
    last_plan: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        resource_name: str,
        args: ContainerGroupArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        spec: ContainerGroupSpec | None = None,
        **kwargs: Unpack[ContainerGroupArgs],
    ) -> None:
        props: dict[str, Any] = {}
        if spec is not None:
            props.update(_dump_inputs(spec))
        props.update(_copy(dict(args or {})))
        props.update(_copy(kwargs))
        unknown = sorted(k for k in props if k not in SPEC_FIELDS)
        if unknown:
            raise UnknownInputs(resource_name, unknown)
        _wrap_typed_secrets(props)
        found: _Found = []
        _find_outputs(props, (), found)
        props[IDENTITY] = f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}"
        props[SECRET_PATHS] = _secret_paths(found)
        for key in (*OUTPUTS, SUMMARY):
            props.setdefault(key, None)
        secret_outputs = ["applied_secret_digests", "image_registry_credentials"]
        # The structured plan and the redacted views are for tools (preview-comment); in
        # `pulumi preview --diff` the one-line planned_change and the diagnostics say it all.
        own = pulumi.ResourceOptions(additional_secret_outputs=secret_outputs, hide_diffs=[PLAN, REDACTED])
        opts = pulumi.ResourceOptions.merge(opts, own)
        super().__init__(ContainerGroupProvider(), resource_name, props, opts)


class UnknownInputs(pulumi.RunError, TypeError):
    """Inputs that are not ContainerGroupSpec fields, caught in the program before any call.

    A ``pulumi.RunError``, so that the engine prints the message alone rather than a Python
    traceback (a typo is a user's mistake, not a crash); a ``TypeError``, because that is what
    a wrong keyword is in Python.
    """

    def __init__(self, resource_name: str, names: Sequence[str]) -> None:
        hints = []
        for name in names:
            close = difflib.get_close_matches(name, SPEC_FIELDS, n=1)
            hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
        super().__init__(
            f"ContainerGroup({resource_name!r}): unknown input(s) {', '.join(hints)}; "
            "the inputs are the ContainerGroupSpec fields listed in schema.json"
        )
        self.names = tuple(names)


def _copy(value: Any) -> Any:
    """A copy of the program's dicts and lists (Outputs are shared, not copied), so that wrapping
    secrets never changes the caller's objects."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    if isinstance(value, BaseModel):
        return revealed(value)
    return value


def _wrap_typed_secrets(props: dict[str, Any]) -> None:
    """Registry passwords and config-file contents are secret whether or not the program says so."""
    for parent, key in list(_typed_secret_slots(props)):
        parent[key] = pulumi.Output.secret(parent[key])


_Found = list[tuple[list[str | int], pulumi.Output[Any]]]


def _find_outputs(value: Any, path: tuple[str | int, ...], found: _Found) -> None:
    if isinstance(value, pulumi.Output):
        found.append((list(path), value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _find_outputs(v, (*path, str(k)), found)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _find_outputs(v, (*path, i), found)


async def _secret_paths(found: _Found) -> list[list[str | int]]:
    """Which inputs the program marked secret, as lists of segments (a tag key may hold dots),
    so the provider can mask their values in plans and outputs (it sees them in plain text)."""
    return [path for path, out in found if await out.is_secret()]


def provider_size() -> tuple[int, bool]:
    """Size of the serialized provider as stored in every resource's state, and whether any
    secret-looking value is inside it (for tests and the provider benchmark)."""
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(ContainerGroupProvider())
    raw = base64.b64decode(blob)
    return len(blob), any(s.encode() in raw for s in ("accessKeySecret", "testsecret", "password"))


__all__ += ["Settings", "desired_spec"]


# dill pickles the provider by reference, as ``module.QualifiedName``, into every resource's
# state.  The public path is the one states written by version 0.1.0 hold; pickling new states
# under the same path keeps one provider instance per process (the SDK caches by the pickle).
ContainerGroupProvider.__module__ = "eci_provider.provider"
