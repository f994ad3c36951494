"""Converge 20 groups at once: create, update, delete against the loopback emulator.

Every state transition of the emulator takes ``--transition`` seconds (1 s by default), so each
phase has an inherent minimum: create = Scheduling + Pending (2 transitions), update = Updating
(1), delete = Terminating (1, because the groups have a preStop hook).  The groups are driven
from 20 threads through one shared client, as the Pulumi provider does, so concurrent waits
should share batched DescribeContainerGroups calls instead of polling one group per call.

The client draws on a rate limiter set to the documented limits, as the provider's is (far
from binding here: see bench_rate.py for limits that bind).

Reported: wall time per phase against the inherent time, API calls per group by action, and
how well the waits shared their DescribeContainerGroups calls.  Goals (the architecture
issue's): converge ratio (total wall time / inherent time) <= 1.2, and >= 15 group IDs per
batched Describe call on average.  ``--no-riders`` turns off filling the rounds' calls with
watched groups that are not due yet, for a comparison in the same conditions.

Run: ``.venv/bin/python benchmarks/bench_converge.py [--groups 20] [--transition 1.0] [--no-riders]``
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.ratelimit import RateLimiter
from eci_provider.cloud.waiters import Waiter
from eci_provider.emulator import EmulatorConfig, serve
from eci_provider.planning.planner import applied_record, plan
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec


def spec(i: int, version: int) -> ContainerGroupSpec:
    return ContainerGroupSpec.model_validate(
        {
            "name": f"converge-{i}",
            "tags": {"bench": "converge"},
            "containers": [
                {
                    "name": "web",
                    "image": f"nginx:1.{25 + version}",
                    "ports": [{"port": 80}],
                    "lifecycle_pre_stop_handler_execs": ["/bin/sh", "-c", "sleep 1"],
                },
                {"name": "sidecar", "image": "fluent-bit:3"},
            ],
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--transition", type=float, default=1.0)
    parser.add_argument("--no-riders", action="store_true", help="rounds describe only the groups due")
    args = parser.parse_args()
    n, t = args.groups, args.transition

    server = serve(EmulatorConfig(transition_seconds=t))
    client = EciClient(
        "cn-hangzhou", endpoint=server.url, credentials=Credentials("testid", "testsecret"), limiter=RateLimiter()
    )
    waiter = Waiter(client)
    waiter.poller.riders = not args.no_riders
    ids: dict[int, str] = {}
    phase_calls: dict[str, Counter[str]] = {}
    timings: dict[str, float] = {}

    def phase(name: str, work: Callable[[int], None]) -> None:
        before = Counter(waiter.client.calls)
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(work, range(n)))
        timings[name] = time.monotonic() - start
        phase_calls[name] = Counter(waiter.client.calls) - before

    def create(i: int) -> None:
        identity = f"bench/converge/{i}"
        ids[i] = apply.create(waiter, apply.with_owner(spec(i, 1), identity), identity).observed.container_group_id

    def update(i: int) -> None:
        identity = f"bench/converge/{i}"
        v1, v2 = apply.with_owner(spec(i, 1), identity), apply.with_owner(spec(i, 2), identity)
        obs = waiter.observe(ids[i])
        assert obs is not None
        p = plan(v2, obs.spec, obs.status, applied=applied_record(v1, "s"))
        assert p.action == "update" and p.restart == "containers", p.summary()
        apply.update(waiter, ids[i], p, v2, applied_record(v2, "s"))

    def delete(i: int) -> None:
        assert apply.delete(waiter, ids[i])

    try:
        phase("create", create)
        phase("update", update)
        phase("delete", delete)
        remaining = server.emulator.groups()
    finally:
        waiter.client.close()
        server.shutdown()

    inherent = {"create": 2 * t, "update": t, "delete": t}
    total, total_inherent = sum(timings.values()), sum(inherent.values())
    stats = waiter.poller.stats
    ratio, ids_per_call = total / total_inherent, stats.ids_per_call()
    print(f"{n} groups at once, {t:g} s per transition, loopback HTTP, one shared client")
    for name in ("create", "update", "delete"):
        per_group = {k: round(v / n, 2) for k, v in sorted(phase_calls[name].items())}
        print(
            f"  {name:7s} wall {timings[name]:6.2f} s   inherent {inherent[name]:5.2f} s   "
            f"ratio {timings[name] / inherent[name]:4.2f}   API calls per group {per_group}"
        )
    print(f"  total   wall {total:6.2f} s   inherent {total_inherent:5.2f} s")
    print(f"  converge ratio (wall / inherent): {ratio:4.2f}   goal <= 1.2: {_verdict(ratio <= 1.2)}")
    print(
        f"  Describe batching: {ids_per_call:4.1f} IDs per batched call   goal >= 15: {_verdict(ids_per_call >= 15)}"
        f"   ({stats.calls} calls in {stats.rounds} rounds, {stats.ids_polled} IDs, of which {stats.riders}"
        f" riders{'' if waiter.poller.riders else ', riders off'})"
    )
    lookups = sum(c["DescribeContainerGroups"] for c in phase_calls.values()) - stats.calls
    print(f"  other DescribeContainerGroups calls (the owner-tag lookup before each create): {lookups}")
    print(f"  client retries (throttling, 5xx, transport): {waiter.client.retry_stats.retries}")
    print(f"  groups left behind: {len(remaining)}")


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


if __name__ == "__main__":
    main()
