"""The provider's own work per Check + Diff, without the SDK's serialisation or gRPC.

A ``pulumi preview`` calls Check and then Diff for every group.  This measures what the provider
itself does in those two calls (validation, planning, redaction, state reading), in process,
for N realistic groups (the web shop of stacks/: init container, config file, probes, sidecar):

* setup (not timed): each group is checked and created against the in-process emulator;
* timed: for each group, ``check(previous inputs, new inputs)`` then ``diff(id, outputs, checked)``,
  once with unchanged inputs (the usual preview) and once with one image changed.

Printed: the median and p90 per Check+Diff pair, and, as the baseline measured in the same run,
the cost of what the SDK must do anyway per pair: a ``copy.deepcopy`` of the inputs and outputs
(the SDK deserialises both into new dicts on every call).  Works against any version of the
provider with the same ``ContainerGroupProvider`` interface, so the figure can be taken before
and after a change: ``PYTHONPATH=<checkout> python benchmarks/bench_provider_work.py``.

Run: ``.venv/bin/python benchmarks/bench_provider_work.py [--groups 200]``
"""

from __future__ import annotations

import argparse
import base64
import copy
import json
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stderr
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from eci_provider.provider import ContainerGroupProvider

NGINX_CONF = base64.b64encode(b"server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }").decode()
SECRET_PATHS = [["volumes", 0, "config_file_volume", "config_file_to_paths", 0, "content"]]


def spec(i: int, app_tag: str = "1.4") -> dict[str, Any]:
    return {
        "name": f"shop-{i}",
        "cpu": 1,
        "memory": 2,
        "restart_policy": "Always",
        "tags": {"app": "shop", "env": "bench", "replica": str(i)},
        "volumes": [
            {
                "name": "nginx-conf",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "default.conf", "content": NGINX_CONF}]},
            },
            {"name": "logs", "type": "EmptyDirVolume"},
        ],
        "init_containers": [{"name": "migrate", "image": f"registry.example.com/shop/migrate:{app_tag}"}],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "cpu": 0.25,
                "memory": 0.5,
                "ports": [{"port": 80}],
                "volume_mounts": [{"name": "nginx-conf", "mount_path": "/etc/nginx/conf.d", "read_only": True}],
                "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}, "period_seconds": 5},
                "liveness_probe": {"tcp_socket": {"port": 80}, "initial_delay_seconds": 5},
            },
            {
                "name": "app",
                "image": f"registry.example.com/shop/app:{app_tag}",
                "cpu": 0.5,
                "memory": 1,
                "ports": [{"port": 8080}],
                "environment_vars": [{"key": "SHOP_ENV", "value": "bench"}, {"key": "LOG_DIR", "value": "/var/log"}],
                "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop"}],
            },
            {
                "name": "logs",
                "image": "fluent/fluent-bit:3.1",
                "cpu": 0.25,
                "memory": 0.5,
                "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop", "read_only": True}],
            },
        ],
    }


def program_inputs(i: int, app_tag: str = "1.4") -> dict[str, Any]:
    """What the ``ContainerGroup`` resource registers, as the provider receives it (plain)."""
    return {**spec(i, app_tag), "__identity": f"bench/work/shop-{i}", "__secret_paths": SECRET_PATHS}


def plain(value: Any) -> Any:
    """A value as the provider receives it: the wire's secret sentinels taken away."""
    if isinstance(value, dict):
        if "4dabf18193072939515e22adb298388d" in value:
            return plain(value["value"])
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=200)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "eci.sqlite"
        provider = ContainerGroupProvider()

        config = {"eci:region": "cn-hangzhou", "eci:endpoint": f"embedded:{db}?transition_seconds=0"}
        provider.configure(SimpleNamespace(config=SimpleNamespace(_props=config)))  # type: ignore[arg-type]
        states = []
        for i in range(args.groups):
            news = program_inputs(i)
            checked = plain(provider.check({}, news).inputs)
            created = provider.create(checked)
            states.append((created.id, checked, plain(created.outs)))

        def pairs(app_tag: str) -> list[float]:
            out = []
            for i, (gid, old_inputs, outputs) in enumerate(states):
                news = program_inputs(i, app_tag)
                started = time.perf_counter()
                checked = plain(provider.check(old_inputs, news).inputs)
                provider.diff(gid, outputs, checked)
                out.append(time.perf_counter() - started)
            return out

        def baseline() -> list[float]:
            out = []
            for _, old_inputs, outputs in states:
                started = time.perf_counter()
                copy.deepcopy(old_inputs)
                copy.deepcopy(outputs)
                out.append(time.perf_counter() - started)
            return out

        with open(Path(tmp) / "diagnostics.txt", "w") as sink, redirect_stderr(sink):  # the diff's log lines
            pairs("1.4")  # warm caches (imports, rule tables) as a long preview would
            same, changed, base = pairs("1.4"), pairs("1.5"), baseline()
        size = statistics.mean(len(json.dumps(o)) + len(json.dumps(i)) for _, i, o in states)

    def ms(values: list[float]) -> str:
        q = statistics.quantiles(values, n=10)
        return f"median {statistics.median(values) * 1000:6.2f} ms   p90 {q[8] * 1000:6.2f} ms"

    print(f"{args.groups} groups, provider-own work per Check+Diff (in process, no gRPC)")
    for label, values in (("unchanged inputs ", same), ("one image changed", changed)):
        print(f"  {label}    {ms(values)}   {statistics.median(values) / statistics.median(base):5.1f}x baseline")
    print(f"  baseline (deepcopy of inputs and outputs, which the SDK does anyway)   {ms(base)}")
    print(f"  state kept per group (inputs + outputs as JSON): {size:.0f} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
