"""Planner speed on realistic groups, against one bare DeepDiff of the same pair.

Each of N groups has 4 containers with 20 environment variables each, 1 init container,
4 volumes and 10 tags; a random mix of changes (image, env, args, tags, restart policy,
cpu/memory, init container, credentials, config content, volumes, DNS, create-only fields, or
nothing) is applied.  For every pair we time ``plan(desired, observed, "Running", applied=...)``
(canonicalisation included) and ``DeepDiff(desired_dict, current_dict)`` on the model dumps.

Run: ``.venv/bin/python benchmarks/bench_plan.py [--groups 1000] [--seed 7]``
"""

from __future__ import annotations

import argparse
import base64
import copy
import random
import statistics
import time
from collections import Counter
from typing import Any

from deepdiff import DeepDiff

from eci_provider.cloud import wire
from eci_provider.planning.planner import applied_record, plan
from eci_provider.spec.model import ContainerGroupSpec


def group(i: int, rng: random.Random) -> dict[str, Any]:
    def container(n: int) -> dict[str, Any]:
        return {
            "name": f"c{n}",
            "image": f"registry.example.com/team/app{n}:{rng.randint(1, 9)}.{rng.randint(0, 9)}",
            "cpu": 0.5,
            "memory": 1.0,
            "commands": ["/app/run"],
            "args": ["--port", str(8000 + n)],
            "environment_vars": [{"key": f"VAR_{n}_{k}", "value": f"value-{rng.randint(0, 999)}"} for k in range(20)],
            "ports": [{"port": 8000 + n}],
            "volume_mounts": [{"name": f"v{n}", "mount_path": f"/data/{n}"}],
            "readiness_probe": {"http_get": {"path": "/ready", "port": 8000 + n}, "period_seconds": 5},
            "liveness_probe": {"tcp_socket": {"port": 8000 + n}},
        }

    volumes: list[dict[str, Any]] = [
        {
            "name": "v0",
            "type": "ConfigFileVolume",
            "config_file_volume": {
                "config_file_to_paths": [
                    {"path": "app.conf", "content": base64.b64encode(f"setting={rng.random()}".encode()).decode()}
                ]
            },
        },
        {"name": "v1", "type": "EmptyDirVolume", "empty_dir_volume": {"medium": "Memory"}},
        {"name": "v2", "type": "NFSVolume", "nfs_volume": {"server": "nas.example.com", "path": "/share"}},
        {"name": "v3", "type": "EmptyDirVolume"},
    ]
    return {
        "name": f"group-{i}",
        "cpu": 4.0,
        "memory": 8.0,
        "v_switch_id": "vsw-1",
        "security_group_id": "sg-1",
        "tags": {f"tag{k}": f"value{k}" for k in range(10)},
        "image_registry_credentials": [{"server": "registry.example.com", "user_name": "bot", "password": "pw"}],
        "volumes": volumes,
        "init_containers": [{"name": "init", "image": "registry.example.com/team/init:1"}],
        "containers": [container(n) for n in range(4)],
    }


def change(d: dict[str, Any], rng: random.Random) -> str:
    kind = rng.choice(
        [
            "none",
            "image",
            "env",
            "args",
            "tag",
            "tag_remove",
            "restart_policy",
            "cpu_memory",
            "init",
            "credential",
            "config",
            "volume_add",
            "dns",
            "vswitch",
            "container_add",
            "reorder",
        ]
    )
    c = rng.choice(d["containers"][:4])  # the four realistic ones, not ones a change added
    if kind == "image":
        c["image"] += "-next"
    elif kind == "env":
        rng.choice(c["environment_vars"])["value"] = "changed"
    elif kind == "args":
        c["args"] = ["--port", "9999"]
    elif kind == "tag":
        d["tags"]["tag3"] = "other"
    elif kind == "tag_remove":
        d["tags"].pop("tag4", None)
    elif kind == "restart_policy":
        d["restart_policy"] = "OnFailure"
    elif kind == "cpu_memory":
        d["cpu"], d["memory"] = 8.0, 16.0
    elif kind == "init":
        d["init_containers"][0]["image"] += "-next"
    elif kind == "credential":
        d["image_registry_credentials"][0]["password"] = "pw2"
    elif kind == "config":
        d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0]["content"] = "Y2hhbmdlZA=="
    elif kind == "volume_add":
        d["volumes"].append({"name": f"v{len(d['volumes'])}", "type": "EmptyDirVolume"})
    elif kind == "dns":
        d["dns_config"] = {"name_servers": ["10.0.0.2"]}
    elif kind == "vswitch":
        d["v_switch_id"] = "vsw-2"
    elif kind == "container_add":
        d["containers"].append({"name": f"extra{len(d['containers'])}", "image": "busybox", "cpu": 0.25, "memory": 0.5})
    elif kind == "reorder":
        d["containers"].reverse()
    return kind


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    pairs = []
    kinds: Counter[str] = Counter()
    for i in range(args.groups):
        base = group(i, rng)
        applied_spec = ContainerGroupSpec.model_validate(base)
        desired_d = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            kinds[change(desired_d, rng)] += 1
        desired = ContainerGroupSpec.model_validate(desired_d)
        observed = wire.from_describe(wire.to_describe(applied_spec))
        pairs.append((desired, observed, applied_record(applied_spec, f"salt-{i}")))

    for desired, observed, applied in pairs[:50]:  # warm caches
        plan(desired, observed, "Running", applied=applied)

    plan_ns: list[float] = []
    dd_ns: list[float] = []
    actions: Counter[str] = Counter()
    for desired, observed, applied in pairs:
        t0 = time.perf_counter_ns()
        p = plan(desired, observed, "Running", applied=applied)
        plan_ns.append(time.perf_counter_ns() - t0)
        actions[p.action] += 1
        a, b = desired.model_dump(mode="json"), observed.model_dump(mode="json")
        t0 = time.perf_counter_ns()
        DeepDiff(a, b)
        dd_ns.append(time.perf_counter_ns() - t0)

    med, p99 = statistics.median(plan_ns) / 1e6, percentile(plan_ns, 0.99) / 1e6
    dd_med, dd_p99 = statistics.median(dd_ns) / 1e6, percentile(dd_ns, 0.99) / 1e6
    print(f"groups: {len(pairs)} (4 containers x 20 env vars, 1 init container, 4 volumes, 10 tags)")
    print(f"changes applied: {dict(sorted(kinds.items()))}")
    print(f"plans: {dict(sorted(actions.items()))}")
    print(f"plan():           median {med:.3f} ms   p99 {p99:.3f} ms   total {sum(plan_ns) / 1e9:.2f} s")
    print(f"bare DeepDiff:    median {dd_med:.3f} ms   p99 {dd_p99:.3f} ms")
    print(f"ratio (median plan / median DeepDiff): {med / dd_med:.3f}   target <= 0.2")


if __name__ == "__main__":
    main()
