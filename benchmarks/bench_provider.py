"""Check + Diff round trips through the real ``pulumi.dynamic`` gRPC server, for N resources.

Setup (not timed): N groups are created through the provider's Create RPC against a loopback
emulator, with the inputs a real ``ContainerGroup`` program registers (captured under mocks).
Timed: for every resource, one Check and one Diff of a changed image, as the engine sends them
during ``pulumi preview``; once sequentially and once with 4 concurrent callers (the dynamic
provider serves 4 RPCs at a time).  Also printed: the size of the serialized provider that is
stored in every resource's state.

Run: ``.venv/bin/python benchmarks/bench_provider.py [--resources 200]``
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from engine import Engine, State, register, secret

from eci_provider.emulator import EmulatorConfig, serve
from eci_provider.provider import ContainerGroup, provider_size

ARGS: dict[str, Any] = {
    "tags": {"bench": "provider"},
    "volumes": [
        {
            "name": "conf",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "a.conf", "content": "a2V5PXZhbHVl"}]},
        }
    ],
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.25",
            "ports": [{"port": 80}],
            "environment_vars": [{"key": f"VAR_{i}", "value": f"v{i}"} for i in range(20)],
            "volume_mounts": [{"name": "conf", "mount_path": "/etc/app"}],
            "readiness_probe": {"http_get": {"path": "/ready", "port": 80}},
        },
        {"name": "sidecar", "image": "fluent-bit:3"},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=200)
    args = parser.parse_args()
    n = args.resources

    def program() -> None:
        for i in range(n):
            ContainerGroup(f"g{i}", {**copy.deepcopy(ARGS), "name": f"bench-{i}"})
            ContainerGroup(
                f"g{i}-next",
                {
                    **copy.deepcopy(ARGS),
                    "name": f"bench-{i}",
                    "containers": [{**ARGS["containers"][0], "image": "nginx:1.27"}, ARGS["containers"][1]],
                },
            )

    registered = register(program, project="bench", stack="perf")
    size, leaked = provider_size()

    with serve(EmulatorConfig()) as server, Engine(project="bench", stack="perf") as engine:
        engine.configure(
            {
                "eci:region": "cn-hangzhou",
                "eci:endpoint": server.url,
                "eci:accessKeyId": "testid",
                "eci:accessKeySecret": secret("testsecret"),
            }
        )
        states: dict[int, State] = {}
        t0 = time.monotonic()
        for i in range(n):
            checked, _ = engine.check(f"g{i}", {}, registered[f"g{i}"])
            states[i] = engine.create(f"g{i}", checked)
        setup = time.monotonic() - t0

        def round_trip(i: int) -> float:
            start = time.perf_counter()
            news = {**registered[f"g{i}-next"], "__identity": registered[f"g{i}"]["__identity"]}
            checked, _ = engine.check(f"g{i}", states[i].inputs, news)
            d = engine.diff(f"g{i}", states[i], checked)
            assert d.changes in (2, 0)  # DIFF_SOME or DIFF_UNKNOWN: an update
            return time.perf_counter() - start

        for i in range(min(10, n)):  # warm the provider's caches
            round_trip(i)
        t0 = time.monotonic()
        sequential = [round_trip(i) for i in range(n)]
        seq_wall = time.monotonic() - t0
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            concurrent = list(pool.map(round_trip, range(n)))
        conc_wall = time.monotonic() - t0

    print(f"{n} resources (2 containers, 20 env vars, 1 config volume each), real pulumi.dynamic gRPC server")
    print(f"  setup: {n} creates through the provider in {setup:.1f} s")
    seq_median, seq_p99 = statistics.median(sequential) * 1e3, sorted(sequential)[int(0.99 * (n - 1))] * 1e3
    print(
        f"  Check+Diff, sequential:    {n / seq_wall:6.1f} round trips/s   median {seq_median:.1f} ms"
        f"   p99 {seq_p99:.1f} ms"
    )
    conc_median = statistics.median(concurrent) * 1e3
    print(f"  Check+Diff, 4 concurrent:  {n / conc_wall:6.1f} round trips/s   median {conc_median:.1f} ms")
    print(f"  serialized __provider: {size} base64 characters ({size * 3 // 4} bytes); secret inside: {leaked}")


if __name__ == "__main__":
    main()
