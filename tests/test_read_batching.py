"""A refresh reads every group at once: concurrent Reads share DescribeContainerGroups calls."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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

    def spy(action: str, business: Mapping[str, str], *rest: Any) -> dict[str, Any]:
        if action == "DescribeContainerGroups":
            calls.append(len(business.get("ContainerGroupIds", "").split(",")))
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
    # 41 reads, one per group before; at most 20 IDs per call, so 3 calls at best.
    assert len(calls) * 5 <= len(ids), calls
