"""N groups converge at once through one shared, rate-aware client, against an emulator that
enforces scaled-down API rate limits.

The documented limits (2,000 Describe calls a minute, ...) do not bind with 20 groups, so the
emulator enforces smaller ones (``--limits``; by default 40 Describe calls a minute, 60 creates
and deletes, 30 updates and restarts),
per access key and action, over a sliding minute, answering ``Throttling`` beyond them.  The
same create → update → delete lifecycle as bench_converge.py runs three times, each against a
fresh emulator, from ``--groups`` threads through one client, its waiter and its limiter:

* baseline: the emulator enforces nothing; the client keeps the documented limits.
* within limits: the client knows the emulator's limits (``eci:rateLimits`` set to them), so it
  should never be throttled, and should come close to them without passing them.
* limits unknown: the client keeps the documented limits, as when other clients use up the
  account's quota.  The service throttles; the process must back off as one and no
  ``Throttling`` may reach an operation while its retries last.

Reported per run: wall time against the inherent time (the lifecycle's transitions) and the
baseline's, the floor the client's own pacing puts on it, calls per action, the emulator's peak
calls per minute against each limit, throttled answers, how many reached the caller, and the
limiter's cuts.

Run: ``.venv/bin/python benchmarks/bench_rate.py [--groups 20] [--transition 1.0] [--limits A=N,...]``
"""

from __future__ import annotations

import argparse
import math
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench_converge import spec

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.errors import EciError
from eci_provider.cloud.ratelimit import DOCUMENTED_LIMITS, RateLimiter
from eci_provider.cloud.waiters import Waiter
from eci_provider.emulator import EmulatorConfig, serve
from eci_provider.emulator.config import rate_limits_option
from eci_provider.planning.planner import applied_record, plan
from eci_provider.provider import apply

#: The documented limits scaled down (Describe the most: at scale, every wait polls it).
DEFAULT_LIMITS = (
    "DescribeContainerGroups=40,CreateContainerGroup=60,DeleteContainerGroup=60,"
    "UpdateContainerGroup=30,RestartContainerGroup=30"
)


@dataclass
class Run:
    name: str
    wall: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    emulator: dict[str, Any] = field(default_factory=dict)
    limiter: RateLimiter | None = None
    ids_per_call: float = 0.0


def lifecycle(name: str, n: int, t: float, served: Mapping[str, int] | None, client_limits: Mapping[str, int]) -> Run:
    """Create, update and delete ``n`` groups at once; every failure that reaches an operation is
    counted by its error code, never raised."""
    server = serve(EmulatorConfig(transition_seconds=t, rate_limits=served))
    limiter = RateLimiter(client_limits)
    client = EciClient(
        "cn-hangzhou", endpoint=server.url, credentials=Credentials("testid", "testsecret"), limiter=limiter
    )
    waiter = Waiter(client)
    run = Run(name, limiter=limiter)
    ids: dict[int, str] = {}

    def guarded(work: Callable[[int], None]) -> Callable[[int], None]:
        def call(i: int) -> None:
            try:
                work(i)
            except EciError as e:
                run.failures[e.code] += 1
            except Exception as e:  # a bench bug or an unexpected error: count it, keep going
                run.failures[type(e).__name__] += 1

        return call

    def create(i: int) -> None:
        identity = f"bench/rate/{i}"
        ids[i] = apply.create(waiter, apply.with_owner(spec(i, 1), identity), identity).observed.container_group_id

    def update(i: int) -> None:
        if i not in ids:
            return
        identity = f"bench/rate/{i}"
        v1, v2 = apply.with_owner(spec(i, 1), identity), apply.with_owner(spec(i, 2), identity)
        obs = waiter.observe(ids[i])
        assert obs is not None
        p = plan(v2, obs.spec, obs.status, applied=applied_record(v1, "s"))
        apply.update(waiter, ids[i], p, v2, applied_record(v2, "s"))

    def delete(i: int) -> None:
        if i in ids:
            apply.delete(waiter, ids[i])

    started = time.monotonic()
    try:
        for phase, work in (("create", create), ("update", update), ("delete", delete)):
            phase_start = time.monotonic()
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(guarded(work), range(n)))
            run.phases[phase] = time.monotonic() - phase_start
        run.wall = time.monotonic() - started
        run.emulator = server.emulator.stats()
    finally:
        client.close()
        server.shutdown()
    run.calls = Counter(client.calls)
    run.ids_per_call = waiter.poller.stats.ids_per_call()
    return run


def pacing_floor(run: Run) -> float:
    """The shortest time the client's own budget needed for the calls it made: the calls past
    each action's burst, at its rate (the longest of the actions)."""
    assert run.limiter is not None
    floor = 0.0
    for action, per_minute in run.limiter.limits.items():
        burst = max(1, math.floor(per_minute * run.limiter.burst_fraction))
        floor = max(floor, max(0, run.calls[action] - burst) * 60.0 / per_minute)
    return floor


def report(run: Run, baseline: Run, inherent: float, served: Mapping[str, int] | None) -> None:
    limits = served or {}
    rate = run.emulator["rate_limits"]
    throttled = sum(rate["throttled"].values())
    reached = sum(v for k, v in run.failures.items() if k.startswith("Throttling"))
    assert run.limiter is not None
    cuts = sum(s.cuts for s in run.limiter.stats().values())
    print(f"\n{run.name}")
    print(
        f"  wall {run.wall:6.1f} s   ratio to inherent {run.wall / inherent:5.2f}   to baseline "
        f"{run.wall / baseline.wall:5.2f}   client pacing floor {pacing_floor(run):5.1f} s   phases "
        + ", ".join(f"{k} {v:.1f} s" for k, v in run.phases.items())
    )
    print(f"  {'action':26s} {'calls':>6s} {'peak/min':>9s} {'limit':>6s} {'throttled':>10s}")
    for action in sorted(set(run.calls) | set(limits)):
        limit = limits.get(action)
        print(
            f"  {action:26s} {run.calls[action]:6d} {rate['peak_per_minute'].get(action, 0):9d} "
            f"{limit if limit is not None else '-':>6} {rate['throttled'].get(action, 0):10d}"
        )
    print(
        f"  throttled answers {throttled}, reached the caller {reached}; limiter cuts {cuts}; "
        f"IDs per batched Describe {run.ids_per_call:.1f}"
    )
    others = {k: v for k, v in run.failures.items() if not k.startswith("Throttling")}
    if others:
        print(f"  other failures that reached the caller: {dict(others)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--transition", type=float, default=1.0)
    parser.add_argument(
        "--limits",
        default=DEFAULT_LIMITS,
        help=f"what the emulator enforces, Action=N per minute (default: {DEFAULT_LIMITS})",
    )
    args = parser.parse_args()
    n, t = args.groups, args.transition
    served = rate_limits_option(args.limits, name="--limits")
    inherent = 4 * t  # create: Scheduling + Pending; update: Updating; delete: Terminating

    print(f"{n} groups at once, {t:g} s per transition, loopback HTTP, one shared client and limiter")
    print("emulator limits (calls per minute, per access key): " + ", ".join(f"{a} {v}" for a, v in served.items()))
    baseline = lifecycle("baseline: no limits enforced, client at the documented limits", n, t, None, DOCUMENTED_LIMITS)
    within = lifecycle("within limits: the client knows them (eci:rateLimits)", n, t, served, served)
    unknown = lifecycle(
        "limits unknown: client at the documented limits, the emulator throttles", n, t, served, DOCUMENTED_LIMITS
    )
    print(f"\ninherent time (transitions only): {inherent:.1f} s")
    report(baseline, baseline, inherent, None)
    report(within, baseline, inherent, served)
    report(unknown, baseline, inherent, served)


if __name__ == "__main__":
    main()
