"""An update stopped part-way (Ctrl-C, customTimeouts) keeps only what was sent as applied.

The native plugin reports such an update as a partial failure, and the engine stores the outputs
it returns with the new inputs.  If those outputs recorded a new registry password as applied
when its UpdateContainerGroup call was never sent, the next run would plan "no change" and the
password would never be sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eci_provider.cloud.errors import IncorrectStatusError
from eci_provider.cloud.waiters import Cancelled
from eci_provider.provider import sentinel
from eci_provider.provider.operations import Operations, Runtime, Unfinished

ID = "proj/dev/web"


def plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v["value"] if sentinel.is_sentinel(v) else v) for k, v in data.items()}


def inputs(password: str, image: str = "nginx:1.25") -> dict[str, Any]:
    return {
        "__identity": ID,
        "__secret_paths": [],
        "name": "web",
        "containers": [{"name": "web", "image": image}],
        "image_registry_credentials": [{"server": "registry.example.com", "user_name": "u", "password": password}],
    }


@pytest.fixture
def created(tmp_path: Path) -> tuple[Operations, str, dict[str, Any], dict[str, Any]]:
    runtime = Runtime()
    runtime.configure({"eci:region": "cn-hangzhou", "eci:endpoint": f"embedded:{tmp_path / 'eci.sqlite'}"})
    ops = Operations(runtime, log=lambda line: None)
    checked = plain(ops.check({}, inputs("old-password")).inputs)
    gid, outputs = ops.create(checked)
    return ops, gid, checked, plain(outputs)


def stopped(group_id: str, *_: Any, **__: Any) -> Any:
    raise Cancelled("Cancelled", f"stopped waiting for {group_id} (cancelled)", action="wait", group_id=group_id)


def test_an_update_stopped_before_its_call_is_planned_again(created: Any) -> None:
    ops, gid, old, outputs = created
    new = plain(ops.check(old, inputs("new-password")).inputs)
    assert ops.diff(gid, outputs, new).step.summary == "update (RenewUpdate): restarts nothing"

    def busy(*_: Any, **__: Any) -> Any:
        raise IncorrectStatusError("IncorrectStatus", "the group is Updating")

    ops.runtime.client.update_container_group = busy  # type: ignore[method-assign]
    ops.runtime.waiter.wait_updatable = stopped  # type: ignore[method-assign]  # Ctrl-C while it waits
    with pytest.raises(Unfinished) as caught:
        ops.update(gid, outputs, new)
    after = ops.diff(gid, plain(caught.value.outputs), new)
    assert after.changes and after.step.summary == "update (RenewUpdate): restarts nothing"


def test_an_update_stopped_after_its_first_call_plans_only_the_rest(created: Any) -> None:
    ops, gid, old, outputs = created
    new = plain(ops.check(old, inputs("new-password", image="nginx:1.26")).inputs)
    plan = ops.diff(gid, outputs, new).step.plan
    assert plan is not None and [sorted(c.fields) for c in plan.calls] == [
        ["image_registry_credentials"],
        ["containers"],
    ]  # the credential change goes alone, first
    waits = iter([stopped])
    real_wait = ops.runtime.waiter.wait_updated

    def wait_updated(group_id: str, **kwargs: Any) -> Any:
        return next(waits, real_wait)(group_id, **kwargs)  # Ctrl-C after the first call

    ops.runtime.waiter.wait_updated = wait_updated  # type: ignore[method-assign]
    with pytest.raises(Unfinished) as caught:
        ops.update(gid, outputs, new)
    rest = ops.diff(gid, plain(caught.value.outputs), new).step.plan
    assert rest is not None and [sorted(c.fields) for c in rest.calls] == [["containers"]]
