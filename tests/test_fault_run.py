"""A small version of benchmarks/fault_run.py in the default run: lifecycles under faults must
leave no duplicate, no orphan and no lost update (the 100-lifecycle run is in the benchmark)."""

from __future__ import annotations

import sys
from pathlib import Path

from eci_provider.emulator import Faults

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from fault_run import run


def test_lifecycles_under_faults_leave_nothing_wrong() -> None:
    # Higher rates than the benchmark, so that every kind of fault happens in few lifecycles.
    faults = Faults(throttle_rate=0.3, error_5xx_rate=0.1, drop_create_response_rate=0.4, seed=5)
    report = run(12, faults=faults, mode="loopback")
    assert report["faults_injected"].get("throttle", 0) > 0
    assert report["faults_injected"].get("error_5xx", 0) > 0
    assert report["faults_injected"].get("drop_create_response", 0) > 0, report["faults_injected"]
    assert report["client_retries"] > 0
    assert (report["duplicates"], report["orphans"], report["lost_updates"]) == (0, 0, 0), report
