"""The dynamic provider: Pulumi's calls, translated to the core, and nothing more.

Each method reads what the engine hands it into the typed contract (:mod:`.state`,
:func:`.step.read_desired`), asks :func:`.step.plan_step` what to do, has :mod:`.apply` do it,
and writes the contract back.  What the Python dynamic SDK forces on us, and how it is met:

* The provider object is pickled (by reference) into every resource's state.  It holds nothing:
  settings, credentials and the client live in a module-level runtime that
  :meth:`ContainerGroupProvider.configure` fills in, from the stack config or the environment.
* ``diff`` can only say changes/replaces/delete-before-replace.  To put the plan in front of a
  reviewer, ``check`` publishes ``planned_change`` (a one-line summary that
  ``pulumi preview --diff`` prints) and ``__check`` (the plan and redacted views, for
  ``eci-provider preview-comment``); ``diff`` writes its own decision to stderr, which the engine
  shows as a diagnostic.
* ``diff`` returns ``changes=None`` (DIFF_UNKNOWN) when the inputs changed, so the engine adds its
  own property diff and ``replace_on_changes`` works; and ``changes=True`` when only the group
  differs (drift, a finished instance): with unchanged inputs the engine would read DIFF_UNKNOWN
  as "no change" and drop the replacement.
* A failed create cannot be reported partially; :func:`.apply.create` adopts what an earlier
  attempt left behind instead.
* The engine strips secrets before calling the provider and re-marks only top-level values sent
  back under an input's name; :mod:`.sentinel` marks the rest.
"""

from __future__ import annotations

import secrets as _secrets
import sys
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from ..cloud import wire
from ..cloud.errors import NotFoundError
from ..cloud.waiters import Waiter
from ..planning.planner import Plan, applied_record, inputs_plan
from ..planning.redaction import key_paths, leaves, views
from ..spec.model import ContainerGroupSpec
from . import apply, sentinel
from .settings import Settings, connect
from .state import (
    ResourceState,
    checked_inputs,
    compact_plan,
    dump,
    inputs_digest,
    outputs_of,
    read_state,
    spec_inputs,
)
from .step import Desired, Step, plan_step, read_desired

__all__ = ["IDENTITY", "SECRET_PATHS", "ContainerGroupProvider"]

#: Inputs the program adds beside the spec.
IDENTITY = "__identity"
SECRET_PATHS = "__secret_paths"
SUMMARY = "planned_change"


class _Runtime:
    """Settings and the shared waiter (and client) of this provider process; never pickled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: dict[str, Any] = {}
        self._settings: Settings | None = None
        self._waiter: Waiter | None = None
        #: Plans ``check`` made, by resource and inputs: the engine checks a replacement's inputs
        #: a second time without the previous ones (as for a create), and ``planned_change``
        #: must still say replace.
        self.checked: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()

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
    def client(self) -> Any:
        return self.waiter.client

    def remember_check(self, key: tuple[str, str], published: dict[str, Any]) -> None:
        with self._lock:
            self.checked[key] = published
            while len(self.checked) > 1024:
                self.checked.popitem(last=False)


_runtime = _Runtime()


def _log(message: str) -> None:
    """stderr of a dynamic provider is shown by the engine as a diagnostic (not debug-only)."""
    print(f"eci-provider: {message}", file=sys.stderr, flush=True)


def _owner(props: Mapping[str, Any], state: ResourceState | None = None) -> str | None:
    """The owner-tag value: the one the state keeps, else derived from the identity."""
    if state is not None and state.owner:
        return state.owner
    identity = props.get(IDENTITY) or (state.identity if state is not None else None)
    return apply.owner_value(identity) if identity else None


def _marked_values(desired: Desired) -> list[str]:
    """The values the program marked secret, for the client to scrub from any error text."""
    if desired.spec is None:
        return []
    marked = desired.secret_paths
    return [str(v) for path, v in leaves(desired.spec) if any(path == m or path.startswith(m + ".") for m in marked)]


class ContainerGroupProvider(ResourceProvider):
    """Reconciles one ECI container group per resource. Holds no state: see :class:`_Runtime`."""

    def configure(self, req: ConfigureRequest) -> None:
        _runtime.configure(req.config._props)

    # -- check ----------------------------------------------------------------------------
    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = sentinel.protect(news, news.get(SECRET_PATHS))
        if sentinel.PROVIDER in news:
            inputs[sentinel.PROVIDER] = news[sentinel.PROVIDER]
        desired = read_desired(news, owner=_owner(news))
        if desired.unknown:
            inputs.update(checked_inputs(None, {}, unknown=True))
            return CheckResult(inputs, [])
        if desired.problems:
            # No property name: the engine would print the property's whole value before the
            # reason (`property containers value {[...]} has a problem`), burying the one field
            # at fault; the reason names it by its full path.
            return CheckResult(inputs, [CheckFailure("", f"{p}: {m}") for p, m in desired.problems])
        assert desired.spec is not None
        key = (str(news.get(IDENTITY)), inputs_digest(spec_inputs(news)))
        previous = read_desired(_olds, owner=_owner(_olds)) if spec_inputs(_olds) else None
        if previous is not None and previous.spec is not None:
            p: Plan | None = inputs_plan(previous.spec, desired.spec, list(previous.marks), list(desired.marks))
            published = checked_inputs(p, views(desired.spec, desired.secret_paths, previous.spec))
            _runtime.remember_check(key, published)
        elif previous is not None:
            published = checked_inputs(None, views(desired.spec, desired.secret_paths, None))
            published[SUMMARY] = "replace (the previous inputs no longer validate)"
        else:
            remembered = _runtime.checked.get(key)
            published = remembered or checked_inputs(None, views(desired.spec, desired.secret_paths, None))
        inputs.update(published)
        return CheckResult(inputs, [])

    # -- diff -----------------------------------------------------------------------------
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        state = read_state(olds, applied_owner=_owner(news))
        desired = read_desired(news, owner=_owner(news, state))
        step = plan_step(state, desired, region=_runtime.settings.region)
        if step.plan is not None:
            _log_step(news.get(IDENTITY, id_), id_, step)
        if step.basis == "unknown":
            return DiffResult(
                changes=True, replaces=list(step.replaces), delete_before_replace=step.delete_before_replace
            )
        if step.plan is None:
            raise ValueError(f"{id_}: cannot plan: {'; '.join(step.notes)}")
        if step.plan.action == "noop":
            return DiffResult(changes=False)
        inputs_changed = state is None or state.inputs_digest != inputs_digest(spec_inputs(news))
        changes: bool | None = None if inputs_changed else True
        return DiffResult(
            changes=changes, replaces=list(step.replaces), delete_before_replace=step.delete_before_replace
        )

    # -- create ---------------------------------------------------------------------------
    def create(self, props: dict[str, Any]) -> CreateResult:
        owner = _owner(props)
        desired = _valid(read_desired(props, owner=owner))
        identity = props.get(IDENTITY) or f"unnamed/{desired.spec.name}"
        settings = _runtime.settings
        created = apply.create(
            _runtime.waiter, desired.spec, identity, timeout=settings.timeout, sensitive=_marked_values(desired)
        )
        if created.adopted:
            _log(f"{identity}: adopted {created.observed.container_group_id}, left behind by an earlier attempt")
        record = applied_record(desired.spec, _secrets.token_hex(8))
        outs = _outputs(props, desired, created.observed, record, {"action": "create", "summary": "create"}, owner)
        return CreateResult(created.observed.container_group_id, outs)

    # -- update ---------------------------------------------------------------------------
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        state = read_state(olds, applied_owner=_owner(news))
        owner = _owner(news, state)
        desired = _valid(read_desired(news, owner=owner))
        step = plan_step(state, desired, region=_runtime.settings.region)
        salt = state.record.salt if state is not None and state.record is not None else _secrets.token_hex(8)
        record = applied_record(desired.spec, salt)
        waiter = _runtime.waiter
        p = step.plan
        if p is not None and p.action == "update":
            obs = apply.update(waiter, id_, p, desired.spec, record, timeout=_runtime.settings.timeout)
        elif p is not None and p.action == "noop":
            found = waiter.observe(id_)
            if found is None:
                raise NotFoundError("NotFound", f"{id_} no longer exists; run `pulumi refresh`")
            obs = found
        else:
            raise RuntimeError(
                f"{id_} now needs a {p.action if p else step.basis} ({step.summary}), but the engine asked for an "
                "update; run `pulumi preview` again"
            )
        return UpdateResult(_outputs(news, desired, obs, record, compact_plan(p), owner))

    # -- read (refresh) --------------------------------------------------------------------
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found = _runtime.client.describe_container_groups([id_])
        if not found:
            return ReadResult(None, {})  # a well-formed answer without the group: it is gone
        obs = wire.observe(found[0])
        state = read_state(props, applied_owner=_owner(props))
        owner = _owner(props, state)
        identity = props.get(IDENTITY) or (state.identity if state else None)
        marks = list(state.marks) if state is not None else list(props.get(SECRET_PATHS) or [])
        applied = state.applied if state is not None else None
        # The state keeps what was last *applied*, and the group as seen beside it: their
        # difference is drift, which the next preview shows.  The inputs take the cloud's values,
        # so that the engine's own diff shows the drift too.
        base = applied if applied is not None else obs.spec
        inputs: dict[str, Any] = {IDENTITY: identity, SECRET_PATHS: marks, **dump(wire.overlay(base, obs.spec))}
        inputs[SUMMARY] = props.get(SUMMARY) or "no change"
        views_now = views(base, key_paths(base, marks), base)
        inputs.update({k: v for k, v in checked_inputs(None, views_now).items() if k != SUMMARY})
        applied_inputs = {
            **_applied_inputs(state, base),
            IDENTITY: identity,
            SECRET_PATHS: marks,
            SUMMARY: inputs[SUMMARY],
        }
        record = state.record if state is not None and state.record is not None else None
        outs = _outputs(
            applied_inputs,
            Desired(base, spec_inputs(applied_inputs), marks=tuple(marks)),
            obs,
            record or applied_record(base, _secrets.token_hex(8)),
            state.last_plan if state is not None else {},
            owner,
            inputs_seen=state.inputs_digest if state is not None else None,
        )
        return ReadResult(id_, outs, sentinel.protect(inputs, marks))

    # -- delete ---------------------------------------------------------------------------
    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        apply.delete(_runtime.waiter, id_, timeout=_runtime.settings.timeout)


def _valid(desired: Desired) -> Any:
    """``desired`` when it holds a spec (check ran before); the engine never sends worse."""
    if desired.spec is None:
        reason = "; ".join(f"{p}: {m}" for p, m in desired.problems) or "the inputs are not known"
        raise ValueError(f"invalid inputs: {reason}")
    return desired


def _applied_inputs(state: ResourceState | None, base: ContainerGroupSpec) -> dict[str, Any]:
    """The spec inputs last applied, as the program gave them (the state's copy), else ``base``."""
    from .apply import OWNER_TAG

    data = dump(state.applied if state is not None and state.applied is not None else base)
    tags = {k: v for k, v in (data.get("tags") or {}).items() if k != OWNER_TAG}
    if tags:
        data["tags"] = tags
    else:
        data.pop("tags", None)
    return data


def _outputs(
    props: Mapping[str, Any],
    desired: Desired,
    obs: wire.Observed,
    record: Any,
    last_plan: Mapping[str, Any],
    owner: str | None,
    inputs_seen: str | None = None,
) -> dict[str, Any]:
    """``inputs_seen``: a refresh keeps the digest of the inputs last applied (it applied none)."""
    marks = props.get(SECRET_PATHS) or []
    return outputs_of(
        props,
        obs,
        region=_runtime.settings.region,
        identity=props.get(IDENTITY),
        applied_spec=desired.spec,
        record=record,
        secret_paths=key_paths(desired.spec, marks) if desired.spec is not None else [],
        marks=marks,
        owner=owner,
        last_plan=last_plan,
        protect=sentinel.secret,
        inputs_seen=inputs_seen,
    )


def _log_step(name: Any, id_: str, step: Step) -> None:
    assert step.plan is not None
    p = step.plan
    lines = [f"{name} ({id_}): {p.summary()}"]
    lines += [f"  - {reason}" for reason in p.reasons]
    lines += [f"  ! {warning}" for warning in p.warnings]
    _log("\n".join(lines))


# dill pickles the provider by reference, as ``module.QualifiedName``, into every resource's
# state.  The public path is the one states written by version 0.1.0 hold; pickling new states
# under the same path keeps one provider instance per process (the SDK caches by the pickle).
ContainerGroupProvider.__module__ = "eci_provider.provider"
