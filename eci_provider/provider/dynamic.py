"""The dynamic provider: Pulumi's dynamic-provider calls, translated to :mod:`.operations`.

Every decision is in :mod:`.operations` (and below it :func:`.step.plan_step`), which the native
plugin uses as well; this module maps the dynamic SDK's types.  What that SDK forces on us, and
how it is met:

* The provider object is pickled (by reference) into every resource's state.  It holds nothing:
  settings, credentials and the client live in a module-level :class:`.operations.Runtime` that
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

import sys
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

from . import sentinel
from .operations import IDENTITY, SECRET_PATHS, SUMMARY, Operations, Runtime

__all__ = ["IDENTITY", "SECRET_PATHS", "SUMMARY", "ContainerGroupProvider"]


def _log(message: str) -> None:
    """stderr of a dynamic provider is shown by the engine as a diagnostic (not debug-only)."""
    print(f"eci-provider: {message}", file=sys.stderr, flush=True)


_runtime = Runtime()
_operations = Operations(_runtime, _log)


class ContainerGroupProvider(ResourceProvider):
    """Reconciles one ECI container group per resource. Holds no state: see :class:`.operations.Runtime`."""

    def configure(self, req: ConfigureRequest) -> None:
        _runtime.configure(req.config._props)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        checked = _operations.check(_olds, news)
        inputs = checked.inputs
        if sentinel.PROVIDER in news:
            inputs[sentinel.PROVIDER] = news[sentinel.PROVIDER]
        # No property name: the engine would print the property's whole value before the reason
        # (`property containers value {[...]} has a problem`), burying the one field at fault;
        # the reason names it by its full path.
        return CheckResult(inputs, [CheckFailure("", f"{p}: {m}") for p, m in checked.failures])

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        d = _operations.diff(id_, olds, news)
        return DiffResult(changes=d.changes, replaces=d.replaces, delete_before_replace=d.delete_before_replace)

    def create(self, props: dict[str, Any]) -> CreateResult:
        id_, outs = _operations.create(props)
        return CreateResult(id_, outs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_operations.update(id_, olds, news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        found, outs, inputs = _operations.read(id_, props)
        if found is None:
            return ReadResult(None, {})  # a well-formed answer without the group: it is gone
        return ReadResult(found, outs, inputs)

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        _operations.delete(id_)


# dill pickles the provider by reference, as ``module.QualifiedName``, into every resource's
# state.  The public path is the one states written by version 0.1.0 hold; pickling new states
# under the same path keeps one provider instance per process (the SDK caches by the pickle).
ContainerGroupProvider.__module__ = "eci_provider.provider"
