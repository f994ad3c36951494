"""The resource operations, in plain data: what any Pulumi front door calls.

Check, Diff, Create, Update, Read and Delete of one container group, over the typed state
contract (:mod:`.state`), the one decision (:func:`.step.plan_step`) and the actions
(:mod:`.apply`).  Values in and out are plain Python data, with Pulumi's secret sentinel
(:mod:`.sentinel`) on every top-level value that holds a secret; a front door only translates
its SDK's types to these and back: the dynamic provider (:mod:`.dynamic`) and the native plugin
both do, so neither holds a decision of its own.

Settings, credentials and the client live in a :class:`Runtime` per provider process, never in
the provider object (the dynamic provider is pickled into every resource's state).
"""

from __future__ import annotations

import secrets as _secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..cloud import wire
from ..cloud.errors import EciError, NotFoundError, WaitTimeout
from ..cloud.waiters import Cancelled, CancelSignal, Waiter
from ..planning import canonical as C
from ..planning.canonical import Applied
from ..planning.planner import Plan, UpdateCall, applied_record, inputs_plan
from ..planning.redaction import key_paths, leaves, views
from ..spec.model import ContainerGroupSpec
from ..spec.status import settled_statuses
from . import adoption, apply, sentinel
from .adoption import ADOPT_ID, Adoption, Refused
from .ownership import OWNER_TAG, owner_value, untagged
from .settings import Settings, connect
from .state import (
    CHECK,
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

__all__ = [
    "IDENTITY",
    "SECRET_PATHS",
    "SUMMARY",
    "Checked",
    "Decision",
    "Managed",
    "Operations",
    "Runtime",
    "Unfinished",
]

#: Inputs the program adds beside the spec.
IDENTITY = "__identity"
SECRET_PATHS = "__secret_paths"
SUMMARY = "planned_change"


@dataclass(frozen=True)
class Managed:
    """A resource that has a state, as ``diff`` saw it: its group and the owner-tag value the
    state keeps.  A Create of the same resource in the same process is its replacement."""

    group_id: str
    owner: str | None


class Runtime:
    """Settings and the shared waiter (and client) of one provider process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: dict[str, Any] = {}
        self._settings: Settings | None = None
        self._waiter: Waiter | None = None
        #: Set by :meth:`cancel`: every wait of this process (of every waiter it builds) stops.
        self.cancelled = CancelSignal()
        #: Plans ``check`` made, by resource and inputs: the engine checks a replacement's inputs
        #: a second time without the previous ones (as for a create), and ``planned_change``
        #: must still say replace.
        self.checked: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        #: Resources ``diff`` saw with a state, by identity: the engine then checks and creates a
        #: replacement as if it were new (without the previous state), and only this says it is
        #: not (which owner value to keep, which group never to take or adopt).
        self.managed: OrderedDict[str, Managed] = OrderedDict()

    def configure(self, config: Mapping[str, Any]) -> None:
        """Take the stack config.  A process may be configured more than once (the dynamic SDK
        configures each distinct pickled provider), while other operations run: the same config
        changes nothing, and a new one never closes a client that is in use (it is dropped, and
        closed when collected)."""
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
                self._waiter.cancel = self.cancelled
                self._waiter.client.cancel = self.cancelled  # calls queued or backing off stop too
                self.cancelled.subscribe(self._waiter.poller.wake_all)  # waits asleep stop at once
            return self._waiter

    def cancel(self) -> None:
        """Stop every wait (the engine's Cancel: Ctrl-C, or the end of a run); waits raise
        :class:`~eci_provider.cloud.waiters.Cancelled` at once."""
        self.cancelled.set()

    @property
    def client(self) -> Any:
        return self.waiter.client

    def remember_check(self, key: tuple[str, str], published: dict[str, Any]) -> None:
        with self._lock:
            self.checked[key] = published
            while len(self.checked) > 1024:
                self.checked.popitem(last=False)

    def remember_managed(self, identity: str, managed: Managed) -> None:
        with self._lock:
            self.managed[identity] = managed
            self.managed.move_to_end(identity)
            while len(self.managed) > 4096:
                self.managed.popitem(last=False)

    def managed_as(self, identity: Any) -> Managed | None:
        if not isinstance(identity, str):
            return None
        with self._lock:
            return self.managed.get(identity)


@dataclass(frozen=True)
class Checked:
    """Check's answer: the inputs to store, and the problems (``(field path, reason)``)."""

    inputs: dict[str, Any]
    failures: list[tuple[str, str]] = field(default_factory=list)


class Unfinished(Exception):
    """The group exists, but the wait for it stopped (cancelled, or past its timeout).

    Carries the group's id and the outputs as it was last seen, so that a front door that can
    report a partial failure (the native plugin) records the group in the state; the next run
    then waits for it instead of creating it again.  ``cause`` is the wait's error.
    """

    def __init__(self, group_id: str, outputs: dict[str, Any], cause: Exception) -> None:
        super().__init__(str(cause))
        self.group_id = group_id
        self.outputs = outputs
        self.cause = cause


@dataclass(frozen=True)
class Decision:
    """Diff's answer, for a front door to translate.

    ``changes``: None when the engine may add its own property diff (the inputs changed), True
    when only the group differs (with unchanged inputs the engine would read "unknown" as "no
    change" and drop a replacement), False for nothing to do.
    """

    changes: bool | None
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    step: Step | None = None


def _sent_only(desired: Applied, previous: Applied | None, accepted: Sequence[UpdateCall]) -> Applied:
    """The write-only digests to keep when an update stopped before all its calls were sent:
    the desired ones for the fields the service accepted, the previous ones for the rest.

    Keeping the desired digests of an unsent call would record a password or a config file as
    applied that never left, and the next run would plan "no change" for it forever.  (The salt
    is the previous record's: an update keeps it, so the two sets of digests compare.)"""
    sent = {name for call in accepted for name in call.fields}
    kept = {path: d for path, d in desired.digests.items() if C.top_field(path) in sent}
    if previous is not None:
        kept.update({path: d for path, d in previous.digests.items() if C.top_field(path) not in sent})
    return Applied(desired.salt, kept)


def _refuse_import_of_owned(group_id: str, obs: wire.Observed, owner: str | None) -> None:
    """``pulumi import`` of a group that another stack or resource manages (its owner tag) is
    refused, as adopting it is: two resources must not manage one group."""
    tag = adoption.owner_tag(obs.spec)
    if tag is not None and tag != owner:
        raise ValueError(
            f"{group_id} already belongs to another stack or resource (its {OWNER_TAG} tag is {tag}; this "
            f"resource's is {owner}). Two resources must not manage one group: release it from the other stack "
            "first (pulumi state delete there, then remove the tag), or import it there"
        )


#: The plan that inputs read back from the cloud make against themselves.
NO_CHANGE = {"action": "noop", "summary": "no change"}


def _owner(props: Mapping[str, Any], state: ResourceState | None = None) -> str | None:
    """The owner-tag value: the one the state keeps, else derived from the identity the state
    was written under, else (no state: a first create) from the program's identity.  Derived
    only when nothing keeps one, so that renaming a resource (aliases) or its stack never
    changes the tag of a group it already manages."""
    if state is not None and state.owner:
        return state.owner
    identity = (state.identity if state is not None else None) or props.get(IDENTITY)
    return owner_value(identity) if identity else None


def _read_state(olds: Mapping[str, Any], news: Mapping[str, Any]) -> ResourceState | None:
    """The state in ``olds`` (outputs).  A version-1 state keeps no owner value: it is derived
    from the identity that state was written under (its ``__identity``), not the program's
    current one, which a rename changed."""
    written_as = olds.get(IDENTITY)
    fallback = owner_value(written_as) if isinstance(written_as, str) and written_as else _owner(news)
    return read_state(olds, applied_owner=fallback)


def _marked_values(desired: Desired) -> list[str]:
    """The values the program marked secret, for the client to scrub from any error text."""
    if desired.spec is None:
        return []
    marked = desired.secret_paths
    return [str(v) for path, v in leaves(desired.spec) if any(path == m or path.startswith(m + ".") for m in marked)]


class Operations:
    """One container group's lifecycle over a :class:`Runtime`; ``log`` shows a line to the user."""

    def __init__(self, runtime: Runtime, log: Callable[[str], None]) -> None:
        self.runtime = runtime
        self.log = log

    # -- check ----------------------------------------------------------------------------
    def check(self, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Checked:
        request = adoption.read_request(news)
        identity = news.get(IDENTITY)
        given = [k for k in adoption.INPUTS if news.get(k) is not None]
        if given and (spec_inputs(olds) or self.runtime.managed_as(identity) is not None):
            # The resource has a state: adoption is done (or was never needed), and the inputs
            # are inert.  Dropped, so that changing or removing them plans nothing, and a
            # replacement's Create (checked again as if new) never adopts.
            self.log(
                f"{identity}: {ADOPT_ID} is inert: this resource already manages its group; "
                f"{', '.join(given)} can be removed from the program"
            )
            news, request = adoption.without_request(news), adoption.Request()
        inputs = sentinel.protect(news, news.get(SECRET_PATHS))
        desired = read_desired(news, owner=_owner(news))
        if desired.unknown:
            inputs.update(checked_inputs(None, {}, unknown=True))
            return Checked(inputs, list(request.problems))
        if desired.problems or request.problems:
            return Checked(inputs, [*desired.problems, *request.problems])
        assert desired.spec is not None
        key = (str(news.get(IDENTITY)), inputs_digest(spec_inputs(news)))
        previous = read_desired(olds, owner=_owner(olds)) if spec_inputs(olds) else None
        # The inputs of an adoption's check published its plan: not reused once it is done.
        adopted_before = any(olds.get(k) is not None for k in adoption.INPUTS)
        kept = None if adopted_before else _published_before(olds, news)
        if kept is not None:
            published = kept
        elif previous is not None and previous.spec is not None:
            p: Plan | None = inputs_plan(previous.spec, desired.spec, list(previous.marks), list(desired.marks))
            published = checked_inputs(p, views(desired.spec, desired.secret_paths, previous.spec))
            self.runtime.remember_check(key, published)
        elif previous is not None:
            published = checked_inputs(None, views(desired.spec, desired.secret_paths, None))
            published[SUMMARY] = "replace (the previous inputs no longer validate)"
        elif request.asked:
            outcome = self._check_adoption(request, news, desired)
            if isinstance(outcome, Refused):
                return Checked(inputs, [(outcome.field, outcome.reason)])
            if outcome is None:  # already this resource's: Create makes or takes it back as usual
                inputs = adoption.without_request(inputs)
                published = checked_inputs(None, views(desired.spec, desired.secret_paths, None))
            else:
                published = outcome
        else:
            remembered = self.runtime.checked.get(key)
            published = remembered or checked_inputs(None, views(desired.spec, desired.secret_paths, None))
        inputs.update(published)
        return Checked(inputs)

    def _check_adoption(
        self, request: adoption.Request, news: Mapping[str, Any], desired: Desired
    ) -> dict[str, Any] | Refused | None:
        """The adoption ``pulumi preview`` shows: published inputs, a refusal, or None when the
        group is this resource's already."""
        assert desired.spec is not None
        shown = views(desired.spec, desired.secret_paths, None)
        name = news.get(IDENTITY)
        if request.group_id is None:  # known only during pulumi up: Create decides then
            summary = f"adopt the group {ADOPT_ID} names (known only during pulumi up)"
            return checked_inputs(None, shown, plan_doc={"action": "unknown", "summary": summary, "adopt": {}})
        try:
            decided = self._decide_adoption(request, desired, _owner(news))
        except Refused as refused:
            return refused
        except EciError as e:
            return Refused(ADOPT_ID, f"could not read {request.group_id}, so nothing can be adopted yet: {e}")
        if decided is None:
            self.log(
                f"{name}: {request.group_id} already carries this resource's owner tag (an earlier pulumi up made "
                "or adopted it); it is not adopted again, and pulumi up takes it back if it matches"
            )
            return None
        self._log_adoption(name, decided)
        return checked_inputs(decided.plan, shown, plan_doc=decided.doc())

    def _decide_adoption(self, request: adoption.Request, desired: Desired, owner: str | None) -> Adoption | None:
        assert desired.spec is not None and request.group_id is not None
        found = self.runtime.client.describe_container_groups([request.group_id])
        return adoption.decide(
            request,
            found[0] if found else None,
            desired.spec,
            owner=owner,
            region=self.runtime.settings.region,
            secret_paths=desired.secret_paths,
        )

    def _log_adoption(self, name: Any, decided: Adoption) -> None:
        p = decided.plan
        lines = [f"{name}: {decided.summary()}"]
        lines += [f"  - {reason}" for reason in p.reasons]
        lines += [f"  ! {warning}" for warning in p.warnings]
        lines += [f"  * {note}" for note in decided.notes]
        self.log("\n".join(lines))

    # -- diff -----------------------------------------------------------------------------
    def diff(self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> Decision:
        state = _read_state(olds, news)
        owner = _owner(news, state)
        if isinstance(news.get(IDENTITY), str):
            self.runtime.remember_managed(news[IDENTITY], Managed(id_, owner))
        desired = read_desired(news, owner=owner)
        step = plan_step(state, desired, region=self.runtime.settings.region)
        if step.plan is not None:
            self._log_step(news.get(IDENTITY, id_), id_, step)
        if step.basis == "unknown":
            return Decision(True, list(step.replaces), step.delete_before_replace, step)
        if step.plan is None:
            raise ValueError(f"{id_}: cannot plan: {'; '.join(step.notes)}")
        if step.plan.action == "noop":
            return Decision(False, step=step)
        inputs_changed = state is None or state.inputs_digest != inputs_digest(spec_inputs(news))
        return Decision(None if inputs_changed else True, list(step.replaces), step.delete_before_replace, step)

    # -- create ---------------------------------------------------------------------------
    def create(self, props: Mapping[str, Any], *, timeout: float | None = None) -> tuple[str, dict[str, Any]]:
        """Create the group, or adopt the one ``adopt_id`` names.  A Create of a resource that
        ``diff`` saw with a state is its replacement: it keeps the state's owner value, and never
        takes or adopts the group it replaces."""
        managed = self.runtime.managed_as(props.get(IDENTITY))
        owner = (managed.owner if managed is not None else None) or _owner(props)
        desired = _valid(read_desired(props, owner=owner))
        identity = props.get(IDENTITY) or f"unnamed/{desired.spec.name}"
        request = adoption.read_request(props)
        if request.problems:
            raise ValueError("; ".join(f"{p}: {m}" for p, m in request.problems))
        timeout = timeout or self.runtime.settings.timeout
        if request.asked and managed is None:
            if request.group_id is None:
                raise ValueError(f"{ADOPT_ID}: its value is still unknown when the group is created")
            adopted = self._adopt(request, props, desired, owner, identity, timeout)
            if adopted is not None:
                return adopted
        record = applied_record(desired.spec, _secrets.token_hex(8))
        plan_ = {"action": "create", "summary": "create"}
        try:
            created = apply.create(
                self.runtime.waiter,
                desired.spec,
                identity,
                timeout=timeout,
                sensitive=_marked_values(desired),
                owner=owner,
                exclude=(managed.group_id,) if managed is not None else (),
            )
        except (Cancelled, WaitTimeout) as e:
            unfinished = self._unfinished(e, props, desired, record, plan_, owner)
            if unfinished is None:
                raise
            raise unfinished from e
        if created.adopted:
            self.log(f"{identity}: took {created.observed.container_group_id}, left behind by an earlier attempt")
        outs = self._outputs(props, desired, created.observed, record, plan_, owner)
        return created.observed.container_group_id, outs

    def _adopt(
        self,
        request: adoption.Request,
        props: Mapping[str, Any],
        desired: Desired,
        owner: str | None,
        identity: str,
        timeout: float,
    ) -> tuple[str, dict[str, Any]] | None:
        """Adopt the named group, deciding again against the group as it is now (it may have
        changed since the preview); None when it is this resource's already."""
        assert desired.spec is not None and request.group_id is not None
        if owner is None:
            raise ValueError(f"{ADOPT_ID}: the resource has no identity, so the group cannot be tagged as its own")
        decided = self._decide_adoption(request, desired, owner)
        if decided is None:
            self.log(f"{identity}: {request.group_id} already carries this resource's owner tag: not adopted again")
            return None
        self._log_adoption(identity, decided)
        gid = decided.group_id
        record = applied_record(desired.spec, _secrets.token_hex(8))
        waiter = self.runtime.waiter
        if decided.replaces:
            p = decided.plan
            if p.delete_before_replace:
                apply.delete(waiter, gid, timeout=timeout)
            created = apply.create(
                waiter,
                desired.spec,
                identity,
                timeout=timeout,
                sensitive=_marked_values(desired),
                owner=owner,
                exclude=(gid,),
            )
            if not p.delete_before_replace:
                apply.delete(waiter, gid, timeout=timeout)
            obs = created.observed
        else:
            obs = apply.adopt(waiter, gid, decided.calls, desired.spec, record, owner, timeout=timeout)
        self.log(f"{identity}: adopted {gid}" + (f", replaced by {obs.container_group_id}" if decided.replaces else ""))
        return obs.container_group_id, self._outputs(props, desired, obs, record, decided.doc(), owner)

    # -- update ---------------------------------------------------------------------------
    def update(
        self, id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], *, timeout: float | None = None
    ) -> dict[str, Any]:
        state = _read_state(olds, news)
        owner = _owner(news, state)
        desired = _valid(read_desired(news, owner=owner))
        step = plan_step(state, desired, region=self.runtime.settings.region)
        salt = state.record.salt if state is not None and state.record is not None else _secrets.token_hex(8)
        record = applied_record(desired.spec, salt)
        waiter = self.runtime.waiter
        p = step.plan
        wait = timeout or self.runtime.settings.timeout
        accepted: list[UpdateCall] = []
        try:
            if p is not None and p.action == "update":
                obs = apply.update(
                    waiter, id_, p, desired.spec, record, timeout=wait, on_call=lambda _i, call: accepted.append(call)
                )
            elif p is not None and p.action == "noop":
                obs = self._settled(id_, desired.spec, wait)
            else:
                obs = None
        except (Cancelled, WaitTimeout) as e:
            if p is not None and p.action == "update" and len(accepted) < len(p.calls):
                record = _sent_only(record, state.record if state is not None else None, accepted)
            unfinished = self._unfinished(e, news, desired, record, compact_plan(p) if p else {}, owner)
            if unfinished is None:
                raise
            raise unfinished from e
        if obs is None:
            raise RuntimeError(
                f"{id_} now needs a {p.action if p else step.basis} ({step.summary}), but the engine asked for an "
                "update; run `pulumi preview` again"
            )
        assert p is not None
        return self._outputs(news, desired, obs, record, compact_plan(p), owner)

    # -- read (refresh) --------------------------------------------------------------------
    def read(self, id_: str, props: Mapping[str, Any]) -> tuple[str | None, dict[str, Any], dict[str, Any]]:
        """``(id, outputs, inputs)``; the id is None when a well-formed answer lacks the group.

        Through the shared poller: a ``pulumi refresh`` reads every group at once (the native
        plugin serves as many Reads as ``--parallel``), and the reads that arrive together share
        DescribeContainerGroups calls of up to 20 IDs instead of one call per group."""
        state = _read_state(props, props)
        if state is None and not wire.GROUP_ID.fullmatch(id_):  # an import: the ID is the user's
            raise ValueError(f"{id_!r} is not a container group ID (eci- and letters or digits, e.g. eci-bp1abc…)")
        obs = self.runtime.waiter.observe(id_)
        if obs is None:
            return None, {}, {}
        owner = _owner(props, state)
        if state is None:
            _refuse_import_of_owned(id_, obs, owner)
        identity = props.get(IDENTITY) or (state.identity if state else None)
        marks = list(state.marks) if state is not None else list(props.get(SECRET_PATHS) or [])
        applied = state.applied if state is not None else None
        # The state keeps what was last *applied*, and the group as seen beside it: their
        # difference is drift, which the next preview shows.  The inputs take the cloud's values,
        # so that the engine's own diff shows the drift too.
        base = applied if applied is not None else obs.spec
        inputs: dict[str, Any] = {IDENTITY: identity, SECRET_PATHS: marks, **dump(wire.overlay(base, obs.spec))}
        # The inputs read back plan nothing against themselves: publishing the last input
        # change's plan (or "create") here would let a later check carry a stale plan over.
        views_now = views(base, key_paths(base, marks), base)
        inputs.update(checked_inputs(None, views_now, plan_doc=NO_CHANGE))
        applied_inputs = {
            **_applied_inputs(state, base),
            IDENTITY: identity,
            SECRET_PATHS: marks,
            SUMMARY: inputs[SUMMARY],
        }
        record = state.record if state is not None and state.record is not None else None
        outs = self._outputs(
            applied_inputs,
            Desired(base, spec_inputs(applied_inputs), marks=tuple(marks)),
            obs,
            record or applied_record(base, _secrets.token_hex(8)),
            state.last_plan if state is not None else {},
            owner,
            inputs_seen=state.inputs_digest if state is not None else None,
        )
        return id_, outs, sentinel.protect(inputs, marks)

    # -- delete ---------------------------------------------------------------------------
    def delete(self, id_: str, *, timeout: float | None = None) -> None:
        apply.delete(self.runtime.waiter, id_, timeout=timeout or self.runtime.settings.timeout)

    # -- helpers ----------------------------------------------------------------------------
    def _settled(self, id_: str, spec: ContainerGroupSpec, timeout: float) -> wire.Observed:
        """The group as it is, once settled: nothing to change, but an earlier run may have
        stopped waiting for it (a partial failure the engine now retries), so wait as a create
        would until it runs."""
        waiter = self.runtime.waiter
        found = waiter.observe(id_)
        if found is None:
            raise NotFoundError("NotFound", f"{id_} no longer exists; run `pulumi refresh`")
        if found.status in settled_statuses(apply.run_to_completion(spec)):
            return found
        return waiter.wait_created(id_, timeout=timeout, run_to_completion=apply.run_to_completion(spec))

    def _unfinished(
        self,
        error: Cancelled | WaitTimeout,
        props: Mapping[str, Any],
        desired: Desired,
        record: Any,
        last_plan: Mapping[str, Any],
        owner: str | None,
    ) -> Unfinished | None:
        """:class:`Unfinished` for a wait that stopped after the group exists, with the outputs
        of the group as seen now; None when the group cannot be seen (the wait's own error then
        stands, and the next create adopts the group through its owner tag)."""
        group_id = error.group_id
        if not group_id:
            return None
        try:
            obs = self.runtime.waiter.observe(group_id)
        except Exception:  # the wait's error is what the user needs to see
            return None
        if obs is None:
            return None
        return Unfinished(group_id, self._outputs(props, desired, obs, record, last_plan, owner), error)

    def _outputs(
        self,
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
            region=self.runtime.settings.region,
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

    def _log_step(self, name: Any, id_: str, step: Step) -> None:
        assert step.plan is not None
        p = step.plan
        lines = [f"{name} ({id_}): {p.summary()}"]
        lines += [f"  - {reason}" for reason in p.reasons]
        lines += [f"  ! {warning}" for warning in p.warnings]
        self.log("\n".join(lines))


def _published_before(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dict[str, Any] | None:
    """What check published for these very inputs last time, when nothing in them changed.

    Unchanged inputs plan nothing, and publishing the same values again keeps the stored inputs
    equal: the engine then elides the write of an unchanged ("same") resource, where new values
    ("no change" after "create") would make it serialise the whole snapshot once per resource,
    also in a preview.  ``planned_change`` so reads: the change planned when the inputs last
    changed.  The secret marks must be equal too: views made before a value was marked secret
    are never reused.
    """
    if not all(isinstance(olds.get(k), str) for k in (SUMMARY, CHECK)):
        return None
    same = (
        olds.get(IDENTITY) == news.get(IDENTITY)
        and olds.get(SECRET_PATHS) == news.get(SECRET_PATHS)
        and spec_inputs(olds) == spec_inputs(news)
    )
    return {SUMMARY: olds[SUMMARY], CHECK: olds[CHECK]} if same else None


def _valid(desired: Desired) -> Any:
    """``desired`` when it holds a spec (check ran before); the engine never sends worse."""
    if desired.spec is None:
        reason = "; ".join(f"{p}: {m}" for p, m in desired.problems) or "the inputs are not known"
        raise ValueError(f"invalid inputs: {reason}")
    return desired


def _applied_inputs(state: ResourceState | None, base: ContainerGroupSpec) -> dict[str, Any]:
    """The spec inputs last applied, as the program gave them (the state's copy), else ``base``."""
    return untagged(dump(state.applied if state is not None and state.applied is not None else base))
