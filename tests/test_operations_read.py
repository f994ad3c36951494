"""Read: the refresh of every group at once, and the import of one by its ID.

Concurrent Reads share DescribeContainerGroups calls; an import (a Read with no state) checks
the ID before any call and refuses a group that another stack or resource owns."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from emulated import spec

from eci_provider.cloud.client import new_client_token
from eci_provider.provider.operations import Operations, Runtime


def test_concurrent_reads_share_describe_calls(tmp_path: Path) -> None:
    runtime = Runtime()
    runtime.configure({"eci:region": "cn-hangzhou", "eci:endpoint": f"embedded:{tmp_path / 'eci.sqlite'}"})
    ids = [runtime.client.create_container_group(spec(f"g{i}"), client_token=new_client_token()) for i in range(40)]
    ids.append("eci-gone")  # well-formed answers that omit it: read as gone

    calls: list[int] = []
    real_send = runtime.client._send

    poller = runtime.waiter.poller

    def spy(action: str, business: Mapping[str, str], *rest: Any) -> dict[str, Any]:
        if action == "DescribeContainerGroups":
            calls.append(len(business.get("ContainerGroupIds", "").split(",")))
            if len(calls) == 1:  # hold the first round until every other read waits for the next
                asked = business["ContainerGroupIds"].count("eci-")
                for _ in range(1000):
                    if len(poller._pending) >= len(ids) - asked:
                        break
                    threading.Event().wait(0.01)
        return real_send(action, business, *rest)

    runtime.client._send = spy  # type: ignore[method-assign]
    operations = Operations(runtime, log=lambda line: None)
    start = threading.Barrier(len(ids))
    results: dict[str, str | None] = {}

    def read(gid: str) -> None:
        start.wait()
        results[gid] = operations.read(gid, {})[0]

    threads = [threading.Thread(target=read, args=(gid,)) for gid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {gid: (None if gid == "eci-gone" else gid) for gid in ids}
    # 41 reads, one call per group before; now two rounds (the first, and all the reads that
    # waited for it) of at most 20 IDs per call: 4 calls at most, whatever the threads' timing.
    assert len(calls) <= 4, calls


def _runtime(tmp_path: Path) -> Runtime:
    runtime = Runtime()
    runtime.configure({"eci:region": "cn-hangzhou", "eci:endpoint": f"embedded:{tmp_path / 'eci.sqlite'}"})
    return runtime


def test_an_import_refuses_a_group_another_resource_owns(tmp_path: Path) -> None:
    ops = Operations(_runtime(tmp_path), log=lambda line: None)
    checked = ops.check(
        {}, {"__identity": "proj/dev/web", "__secret_paths": [], **spec("web").model_dump(exclude_none=True)}
    )
    gid, _ = ops.create({k: v for k, v in checked.inputs.items()})
    with pytest.raises(ValueError, match=f"{gid} already belongs to another stack or resource"):
        ops.read(gid, {"__identity": "proj/dev/imported"})
    found, _, _ = ops.read(gid, {"__identity": "proj/dev/web"})  # the resource that owns it
    assert found == gid


def test_an_import_checks_the_id_before_any_call(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    calls: list[str] = []
    real_send = runtime.client._send
    runtime.client._send = lambda action, *rest: calls.append(action) or real_send(action, *rest)  # type: ignore[method-assign]
    with pytest.raises(ValueError, match="is not a container group ID"):
        Operations(runtime, log=lambda line: None).read("web; rm -rf /", {"__identity": "proj/dev/web"})
    assert calls == []


def test_a_refresh_publishes_no_change_not_the_last_plan(tmp_path: Path) -> None:
    """A later check carries the published plan over while the inputs stay the same; a stale
    "create" there would be shown as what check planned."""
    import json

    ops = Operations(_runtime(tmp_path), log=lambda line: None)
    inputs = {"__identity": "proj/dev/web", "__secret_paths": [], **spec("web").model_dump(exclude_none=True)}
    gid, outputs = ops.create(dict(ops.check({}, inputs).inputs))
    _, _, read_back = ops.read(gid, outputs)
    assert read_back["planned_change"] == "no change"
    assert json.loads(read_back["__check"])["plan"]["action"] == "noop"


def test_a_damaged_state_is_one_line_naming_the_field_without_its_value() -> None:
    from eci_provider.provider.state import UnreadableState, read_state

    with pytest.raises(UnreadableState) as caught:
        read_state({"__state": '{"v": 2, "marks": "x", "digests": {"k": 5}}'})
    text = str(caught.value)
    assert "\n" not in text and "digests" in text and "input_value" not in text and "5" not in text.split("(")[0]
