"""The native provider: ``pulumi.provider.experimental``'s requests, mapped onto :mod:`.operations`.

Every decision is in :class:`eci_provider.provider.operations.Operations` (and below it
``plan_step``), which the dynamic provider uses as well; this class translates types:

* property values to plain data and back (:mod:`.values`): secrets the engine marked anywhere in
  the inputs become the program's marks (``__secret_paths``), values holding secrets go back as
  secrets, so the engine keeps them encrypted;
* the resource's identity (``project/stack/name``, which the owner tag hashes) from the URN,
  where the dynamic provider's program passes it as an input;
* ``timeout`` (the resource's ``customTimeouts``) to the operation's wait;
* ``Diff`` as a definitive answer with a detailed diff of the top-level fields the plan changes;
* a wait that stopped after the group exists (Cancel, a timeout) to a partial failure that
  carries the group's id, so the state keeps it (:class:`.errors.InitFailed`);
* ``cancel`` to the runtime's cancel event, which every wait watches.

Operations block (HTTP calls, waits), so each runs in a worker thread: the event loop stays free
to serve other resources and the engine's Cancel.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from ..planning import canonical as C
from ..provider.operations import IDENTITY, SECRET_PATHS, SUMMARY, Decision, Operations, Runtime, Unfinished
from ..provider.program import did_you_mean, identity
from ..provider.state import CHECK, OUTPUTS, SPEC_FIELDS, UNKNOWN
from . import TYPE, values
from .errors import InitFailed, ProviderError, explain

__all__ = ["TYPE", "EciProvider", "identity_of"]

#: Inputs the provider itself adds beside the spec (check's plan, the program's marks, ...), and
#: the outputs, which a program may declare as inputs left unset.
_OWN_INPUTS = frozenset({IDENTITY, SECRET_PATHS, SUMMARY, CHECK, *OUTPUTS})

Log = Callable[[str, str], None]


def identity_of(urn: str) -> str:
    """``project/stack/name`` of a URN (``urn:pulumi:stack::project::type::name``): the identity
    the dynamic provider's program passes as ``__identity``, so both doors tag groups alike."""
    parts = urn.removeprefix("urn:pulumi:").split("::", 3)
    if len(parts) != 4:
        raise ValueError(f"not a resource URN: {urn!r}")
    stack, project, _type, name = parts
    return identity(project, stack, name)


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


class EciProvider(Provider):
    """``eci:index:ContainerGroup``: one ECI container group per resource."""

    def __init__(self, schema: Mapping[str, Any], log: Log | None = None) -> None:
        self.runtime = Runtime()
        self._schema = json.dumps(schema)
        self._log = log or (lambda _urn, _message: None)

    def _operations(self, urn: str) -> Operations:
        return Operations(self.runtime, lambda message: self._log(urn, f"eci-provider: {message}"))

    async def _run(self, urn: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn`` in a worker thread; an error becomes the message a user reads."""
        try:
            return await asyncio.to_thread(fn, *args, **kwargs)
        except Unfinished as u:
            reason = explain(u.cause, name=_name_of(urn))
            raise InitFailed(u.group_id, values.from_plain_map(u.outputs), [reason]) from u
        except Exception as e:
            raise ProviderError(explain(e, name=_name_of(urn)), e) from e

    # -- provider ---------------------------------------------------------------------------
    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=self._schema)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        # ``eci:config:region`` → ``eci:region``: the keys the dynamic provider's config has.
        config = {key.replace(":config:", ":", 1): value for key, value in request.variables.items()}
        self.runtime.configure(config)
        try:
            self.runtime.settings  # noqa: B018 - a bad setting is reported here, once, not per resource
        except ValueError as e:
            raise ProviderError(f"provider configuration: {e}", e, invalid=True) from e
        # No preview support: the engine then plans a create or update from the inputs, as it
        # does for the dynamic provider, so previews of both doors read alike.
        return ConfigureResponse(accept_secrets=True, supports_preview=False)

    async def cancel(self) -> None:
        self.runtime.cancel()

    # -- check ------------------------------------------------------------------------------
    async def check(self, request: CheckRequest) -> CheckResponse:
        identity = identity_of(request.urn)
        try:
            news = values.to_plain_map(request.new_inputs)
        except values.NotPlainData as e:
            return CheckResponse(inputs=request.new_inputs, failures=[CheckFailure(values.dotted(e.path), str(e))])
        olds = values.to_plain_map(request.old_inputs)
        unknown = sorted(k for k in news if k not in SPEC_FIELDS and k not in _OWN_INPUTS)
        for name in unknown:
            del news[name]
        if SECRET_PATHS not in news:  # from a program: the engine marked what it holds secret
            news[SECRET_PATHS] = values.secret_paths(request.new_inputs)
        news[IDENTITY] = identity
        if olds:
            olds.setdefault(IDENTITY, identity)
        checked = await self._run(request.urn, self._operations(request.urn).check, olds, news)
        failures = [_unknown_input(name) for name in unknown]
        failures += [_failure(path, reason, news) for path, reason in checked.failures]
        return CheckResponse(inputs=values.from_plain_map(checked.inputs), failures=failures)

    # -- diff -------------------------------------------------------------------------------
    async def diff(self, request: DiffRequest) -> DiffResponse:
        olds = values.to_plain_map(request.old_state)
        news = values.to_plain_map(request.new_inputs)
        news.setdefault(IDENTITY, identity_of(request.urn))
        decision = await self._run(request.urn, self._operations(request.urn).diff, request.resource_id, olds, news)
        if decision.changes is False:
            return DiffResponse(changes=False)
        detailed = _detailed_diff(decision, news)
        return DiffResponse(
            changes=True,
            replaces=list(decision.replaces),
            delete_before_replace=decision.delete_before_replace,
            diffs=list(detailed),
            detailed_diff=detailed,
        )

    # -- create, update, read, delete -------------------------------------------------------
    async def create(self, request: CreateRequest) -> CreateResponse:
        props = values.to_plain_map(request.properties)
        props.setdefault(IDENTITY, identity_of(request.urn))
        if request.preview:  # not asked while supports_preview is off; answered like the engine would
            return CreateResponse(resource_id="", properties=request.properties)
        ops = self._operations(request.urn)
        try:
            group_id, outputs = await self._run(request.urn, ops.create, props, timeout=request.timeout or None)
        except InitFailed as failed:
            failed.inputs = request.properties
            raise
        return CreateResponse(resource_id=group_id, properties=values.from_plain_map(outputs))

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        olds = values.to_plain_map(request.olds)
        news = values.to_plain_map(request.news)
        news.setdefault(IDENTITY, identity_of(request.urn))
        if request.preview:
            return UpdateResponse(properties=request.olds)
        ops = self._operations(request.urn)
        try:
            outputs = await self._run(
                request.urn, ops.update, request.resource_id, olds, news, timeout=request.timeout or None
            )
        except InitFailed as failed:
            failed.inputs = request.news
            raise
        return UpdateResponse(properties=values.from_plain_map(outputs))

    async def read(self, request: ReadRequest) -> ReadResponse:
        """Refresh (the state's outputs given) and import (only the id given: the inputs are
        rebuilt from the group as it runs, and the identity comes from the URN)."""
        props = values.to_plain_map(request.properties)
        if not props:
            props[IDENTITY] = identity_of(request.urn)
        found, outputs, inputs = await self._run(
            request.urn, self._operations(request.urn).read, request.resource_id, props
        )
        if found is None:
            return ReadResponse(resource_id="", properties={}, inputs={})  # the server: "not found"
        return ReadResponse(
            resource_id=found, properties=values.from_plain_map(outputs), inputs=values.from_plain_map(inputs)
        )

    async def delete(self, request: DeleteRequest) -> None:
        ops = self._operations(request.urn)
        await self._run(request.urn, ops.delete, request.resource_id, timeout=request.timeout or None)


def _detailed_diff(decision: Decision, news: Mapping[str, Any]) -> dict[str, PropertyDiff]:
    """The top-level fields the decision changes: the plan's changes (drift included), or, for
    inputs not known yet, those inputs; each marked as replacing where the decision replaces."""
    step = decision.step
    fields: list[str] = []
    if step is not None and step.plan is not None:
        fields = [C.top_field(c.path) for c in step.plan.changes]
    elif step is not None and step.basis == "unknown":
        fields = [k for k, v in news.items() if k in SPEC_FIELDS and _holds_unknown(v)]
    fields += list(decision.replaces)
    out = {}
    for name in dict.fromkeys(fields):
        kind = PropertyDiffKind.UPDATE_REPLACE if name in decision.replaces else PropertyDiffKind.UPDATE
        out[name] = PropertyDiff(kind, input_diff=True)
    return out


def _holds_unknown(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return value == UNKNOWN


def _failure(path: str, reason: str, news: Mapping[str, Any]) -> CheckFailure:
    """One check failure per problem.  The engine prints the property's value before the reason,
    looked up by name among the top-level inputs: a nested path would print as ``{<nil>}`` and
    a whole list would bury the field at fault, so those name the path in the reason instead."""
    value = news.get(path)
    if path in SPEC_FIELDS and not isinstance(value, (dict, list)):
        return CheckFailure(path, reason)
    return CheckFailure("", f"{path}: {reason}")


def _unknown_input(name: str) -> CheckFailure:
    hint = did_you_mean(name, SPEC_FIELDS)
    return CheckFailure("", f"{name}: not an input of {TYPE}{hint}; the inputs are the ContainerGroupSpec fields")
