"""Create → update → delete lifecycles under injected faults; count what went wrong.

Faults (defaults): 20 % throttling, 5 % 5xx, 5 % of create responses dropped after the create
committed.  Each lifecycle goes through the same apply layer the Pulumi provider uses.  When an
operation still fails after the client's retries, it is run again, as a user would re-run
``pulumi up``; adoption and ClientToken must keep that from duplicating anything.

Reported: operations, API calls, retries, re-runs, faults injected, and the three numbers that
must be zero: duplicate groups, orphaned groups, lost updates.

Run: ``.venv/bin/python benchmarks/fault_run.py [--lifecycles 100] [--mode loopback|embedded]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from eci_provider.cloud.client import EciClient, RetryPolicy
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.errors import EciError
from eci_provider.cloud.waiters import PollPolicy, Waiter
from eci_provider.emulator import Emulator, EmulatorConfig, Faults, serve
from eci_provider.emulator.embedded import EmbeddedTransport
from eci_provider.planning.planner import applied_record, plan
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec

T = TypeVar("T")


def group_spec(i: int, version: int) -> ContainerGroupSpec:
    return ContainerGroupSpec.model_validate(
        {
            "name": f"fault-{i}",
            "tags": {"run": "faults", "version": str(version)},
            "image_registry_credentials": [
                {"server": "registry.example.com", "user_name": "bot", "password": f"pw-{version}"}
            ],
            "containers": [
                {"name": "web", "image": f"registry.example.com/web:{version}", "ports": [{"port": 80}]},
                {"name": "sidecar", "image": "fluent-bit:3"},
            ],
        }
    )


def run(
    lifecycles: int = 100,
    *,
    faults: Faults | None = None,
    mode: str = "loopback",
    transition: float = 0.0,
    max_reruns: int = 5,
) -> dict[str, Any]:
    faults = faults or Faults(throttle_rate=0.2, error_5xx_rate=0.05, drop_create_response_rate=0.05, seed=42)
    emulator = Emulator(EmulatorConfig(transition_seconds=transition, faults=faults))
    server = serve(emulator) if mode == "loopback" else None
    client = EciClient(
        "cn-hangzhou",
        endpoint=server.url if server else "https://eci.in-process.invalid",
        transport=None if server else EmbeddedTransport(emulator),
        credentials=Credentials("testid", "testsecret"),
        retry=RetryPolicy(max_attempts=6, base_delay=0.002, max_delay=0.02, deadline=10),
    )
    waiter = Waiter(client, poll=PollPolicy(initial=0.01, maximum=0.05, grid=0.0))
    reruns = 0
    lost_updates = 0

    def again(fn: Callable[[], T]) -> T:
        nonlocal reruns
        for attempt in range(max_reruns + 1):
            try:
                return fn()
            except EciError:
                if attempt == max_reruns:
                    raise
                reruns += 1
        raise AssertionError("unreachable")

    def lifecycle(i: int) -> bool:
        """One create → update → delete; True when the update was lost."""
        identity = f"faults/run/group-{i}"
        v1 = apply.with_owner(group_spec(i, 1), identity)
        v2 = apply.with_owner(group_spec(i, 2), identity)
        gid = again(lambda: apply.create(waiter, v1, identity)).observed.container_group_id

        def do_update() -> None:
            obs = waiter.observe(gid)
            assert obs is not None
            p = plan(v2, obs.spec, obs.status, applied=applied_record(v1, "salt"))
            if p.action == "update":  # a re-run after a half-done update may have less to do
                apply.update(waiter, gid, p, v2, applied_record(v2, "salt"))

        again(do_update)
        stored = next(g for g in emulator.groups() if g["ContainerGroupId"] == gid)["Spec"]
        lost = stored["containers"][0]["image"] != "registry.example.com/web:2" or stored["tags"]["version"] != "2"
        again(lambda: apply.delete(waiter, gid))
        return lost

    started = time.monotonic()
    try:
        for i in range(lifecycles):
            lost_updates += lifecycle(i)
    finally:
        elapsed = time.monotonic() - started
        stats = emulator.stats()
        remaining = emulator.groups()
        waiter.client.close()
        if server:
            server.shutdown()
        emulator.close()
    return {
        "lifecycles": lifecycles,
        "mode": mode,
        "faults": {
            "throttle": faults.throttle_rate,
            "5xx": faults.error_5xx_rate,
            "dropped_create_responses": faults.drop_create_response_rate,
        },
        "operations": lifecycles * 3,
        "api_calls": dict(waiter.client.calls),
        "client_retries": waiter.client.retry_stats.retries,
        "reruns": reruns,
        "faults_injected": stats.get("faults", {}),
        "groups_created": stats.get("groups_created"),
        "duplicates": stats.get("groups_created", 0) - lifecycles,
        "orphans": len(remaining),
        "lost_updates": lost_updates,
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lifecycles", type=int, default=100)
    parser.add_argument("--mode", choices=["loopback", "embedded"], default="loopback")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    faults = Faults(throttle_rate=0.2, error_5xx_rate=0.05, drop_create_response_rate=0.05, seed=args.seed)
    print(json.dumps(run(args.lifecycles, faults=faults, mode=args.mode), indent=2))


if __name__ == "__main__":
    main()
