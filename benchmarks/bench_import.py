"""``eci-provider import`` on many realistic groups, against reading the same groups.

N groups like the planner benchmark's (4 containers with 20 environment variables each, an init
container, 4 volumes including a config file, 10 tags) are created in an in-process emulator.
Then, in the same run, we time the baseline, the DescribeContainerGroups listing that any
import must do (``EciClient.describe_container_groups`` over all pages), and the whole command
(``eci-provider import --all --tag ...`` through the CLI's entry point, each format), and print
the ratio, and the size of the generated program per group.

Run: ``.venv/bin/python benchmarks/bench_import.py [--groups 200] [--repeat 5]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable

from bench_plan import group

from eci_provider.cli import main as cli
from eci_provider.cloud.client import EciClient
from eci_provider.cloud.credentials import Credentials
from eci_provider.emulator import embedded_transport
from eci_provider.spec.model import ContainerGroupSpec

REGION = "cn-hangzhou"


def best_of(repeat: int, fn: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{tmp}/eci.sqlite?transition_seconds=0"
        client = EciClient(
            REGION,
            endpoint="http://eci.embedded.invalid",
            credentials=Credentials("testid", "testsecret"),
            transport=embedded_transport(spec),
        )
        rng = random.Random(7)
        for i in range(args.groups):
            data = group(i, rng)
            data["tags"]["bench"] = "import"
            client.create_container_group(ContainerGroupSpec.model_validate(data), client_token=f"bench-{i}")

        def describe() -> None:
            client.describe_container_groups(tags={"bench": "import"}, with_event=False)

        outputs: dict[str, str] = {}

        def run(fmt: str) -> Callable[[], None]:
            def go() -> None:
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    status = cli(["import", "--all", "--tag", "bench=import", "--format", fmt, "--region", REGION])
                assert status == 0
                outputs[fmt] = out.getvalue()

            return go

        os.environ["ECI_ENDPOINT"] = "embedded:" + spec
        baseline = best_of(args.repeat, describe)
        timings = {fmt: best_of(args.repeat, run(fmt)) for fmt in ("python", "json", "yaml")}
        client.close()

    n = args.groups
    program = outputs["python"]
    per_group = [len(("# eci-" + block).encode()) for block in program.split("\n# eci-")[1:]]
    print(f"groups: {n} (4 containers x 20 env vars, 1 init container, 4 volumes, 10 tags); best of {args.repeat}")
    print(f"DescribeContainerGroups, all pages (baseline): {baseline * 1000:.1f} ms")
    for fmt, t in timings.items():
        print(f"import --format {fmt:6}: {t * 1000:.1f} ms   ratio to baseline {t / baseline:.2f}")
    print(
        f"python program: {len(program.encode()) / n:.0f} bytes and {program.count(chr(10)) / n:.0f} lines per group "
        f"(median block {statistics.median(per_group):.0f} bytes)"
    )


if __name__ == "__main__":
    main()
