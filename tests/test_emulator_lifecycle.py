"""The lazy state machine with an injected clock; run-to-completion; delete; retention; persistence."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import T0, Api, ApiCallError, FakeClock, make_emulator, restart_counts, web_spec

from eci_provider.emulator import Emulator, EmulatorConfig
from eci_provider.emulator.state import MAX_EVENTS, Group, rfc3339


def status(api: Api, gid: str) -> str | None:
    group = api.group(gid)
    return None if group is None else group["Status"]


def job(image: str, policy: str, **extra: Any) -> dict[str, Any]:
    return {"name": "job", "restart_policy": policy, "containers": [{"name": "main", "image": image}], **extra}


def test_create_goes_scheduling_pending_running(api: Api, clock: FakeClock) -> None:
    gid = api.create(web_spec(init_containers=[{"name": "init", "image": "busybox"}]))
    assert status(api, gid) == "Scheduling"
    clock.advance(0.999)
    assert status(api, gid) == "Scheduling"
    clock.advance(0.001)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Pending"
    assert group["Containers"][0]["CurrentState"] == {"State": "Waiting", "Reason": "PodInitializing"}
    assert group["InitContainers"][0]["CurrentState"]["State"] == "Running"
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    assert group["CreationTime"] == rfc3339(T0)
    web = group["Containers"][0]
    assert (web["Ready"], web["RestartCount"]) == (True, 0)
    assert web["CurrentState"] == {"State": "Running", "StartTime": rfc3339(T0 + 2)}
    assert group["InitContainers"][0]["CurrentState"]["State"] == "Terminated"
    assert [e["Reason"] for e in group["Events"]] == ["Scheduled", "Started", "Started"]


def test_transitions_are_replayed_with_their_own_timestamps(api: Api, clock: FakeClock) -> None:
    gid = api.create(web_spec())
    clock.advance(3600)  # nobody looked for an hour
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    assert group["Containers"][0]["CurrentState"]["StartTime"] == rfc3339(T0 + 2)


def test_zero_transition_seconds_is_running_at_once() -> None:
    api = Api(make_emulator(transition_seconds=0.0))
    assert status(api, api.create(web_spec())) == "Running"


def test_restart_goes_through_restarting_and_restarts_every_container(api: Api, clock: FakeClock) -> None:
    gid = api.create(web_spec(init_containers=[{"name": "init", "image": "busybox"}]))
    with pytest.raises(ApiCallError) as e:
        api.call("RestartContainerGroup", ContainerGroupId=gid)
    assert (e.value.code, "Scheduling" in e.value.body["Message"]) == ("IncorrectStatus", True)
    clock.advance(2)
    api.call("RestartContainerGroup", ContainerGroupId=gid)
    assert status(api, gid) == "Restarting"
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    assert restart_counts(group) == {"web": 1, "sidecar": 1}
    assert restart_counts(group, "InitContainers") == {"init": 1}
    assert group["Containers"][0]["CurrentState"]["StartTime"] == rfc3339(T0 + 3)
    api.emulator.force_status(gid, "Succeeded")
    with pytest.raises(ApiCallError) as e:
        api.call("RestartContainerGroup", ContainerGroupId=gid)
    assert e.value.code == "IncorrectStatus"
    with pytest.raises(ApiCallError) as e:
        api.call("RestartContainerGroup", ContainerGroupId="eci-unknown")
    assert (e.value.status, e.value.code) == (404, "InvalidParameter.NotFound")


def test_delete_without_pre_stop_removes_at_once(api: Api, clock: FakeClock) -> None:
    gid = api.create(web_spec())
    clock.advance(2)
    api.call("DeleteContainerGroup", ContainerGroupId=gid)
    assert api.group(gid) is None
    with pytest.raises(ApiCallError) as e:
        api.call("DeleteContainerGroup", ContainerGroupId=gid)
    assert (e.value.status, e.value.code) == (404, "InvalidParameter.NotFound")


def test_delete_with_pre_stop_goes_terminating(api: Api, clock: FakeClock) -> None:
    spec = web_spec()
    spec["containers"][0]["lifecycle_pre_stop_handler_execs"] = ["/bin/drain"]
    gid = api.create(spec)
    clock.advance(2)
    api.call("DeleteContainerGroup", ContainerGroupId=gid)
    assert status(api, gid) == "Terminating"
    api.call("DeleteContainerGroup", ContainerGroupId=gid)  # idempotent while terminating
    clock.advance(1)
    assert api.group(gid) is None
    forced = api.create(spec)
    clock.advance(2)
    api.call("DeleteContainerGroup", ContainerGroupId=forced, Force="True")  # the SDK's spelling
    assert api.group(forced) is None


def test_delete_rejects_a_bad_force_value(api: Api) -> None:
    gid = api.create(web_spec())
    with pytest.raises(ApiCallError) as e:
        api.call("DeleteContainerGroup", ContainerGroupId=gid, Force="yes")
    assert e.value.code == "InvalidParameter" and "Force" in e.value.body["Message"]


# --------------------------------------------------------------------------------------
# Run to completion
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy", "final", "time_key"),
    [
        ("emulator.local/exit:0", "Never", "Succeeded", "SucceededTime"),
        ("emulator.local/exit:3", "Never", "Failed", "FailedTime"),
        ("emulator.local/exit:0", "OnFailure", "Succeeded", "SucceededTime"),
    ],
)
def test_job_completes(api: Api, clock: FakeClock, image: str, policy: str, final: str, time_key: str) -> None:
    gid = api.create(job(image, policy))
    clock.advance(2)
    assert status(api, gid) == "Running"
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == final
    assert group[time_key] == rfc3339(T0 + 3)
    state = group["Containers"][0]["CurrentState"]
    assert (state["State"], state["ExitCode"], group["Containers"][0]["RestartCount"]) == (
        "Terminated",
        int(image.rsplit(":", 1)[1]),
        0,
    )
    with pytest.raises(ApiCallError) as e:
        api.update(gid, {"Tag.1.Key": "a", "Tag.1.Value": "b"})
    assert e.value.code == "IncorrectStatus"


@pytest.mark.parametrize(
    ("image", "policy"),
    [("emulator.local/exit:0", "Always"), ("emulator.local/exit:1", "OnFailure"), ("emulator.local/exit:1", "Always")],
)
def test_restarting_containers_keep_the_group_running(api: Api, clock: FakeClock, image: str, policy: str) -> None:
    gid = api.create(job(image, policy))
    clock.advance(3)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    main = group["Containers"][0]
    assert main["RestartCount"] == 1
    assert main["PreviousState"]["State"] == "Terminated"
    assert main["PreviousState"]["ExitCode"] == int(image.rsplit(":", 1)[1])
    clock.advance(10)  # replayed arithmetically: one restart per second
    group = api.group(gid)
    assert group is not None and group["Containers"][0]["RestartCount"] == 11
    assert group["Status"] == "Running"


def test_a_finished_container_beside_a_server_leaves_the_group_running(api: Api, clock: FakeClock) -> None:
    spec = job("emulator.local/exit:0", "Never")
    spec["containers"].append({"name": "server", "image": "nginx"})
    gid = api.create(spec)
    clock.advance(10)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    states = {c["Name"]: c["CurrentState"]["State"] for c in group["Containers"]}
    assert states == {"main": "Terminated", "server": "Running"}


def test_schedule_failed_is_removed_after_a_day(clock: FakeClock) -> None:
    emu = make_emulator(clock)
    emu.set_faults(schedule_failed_rate=1.0)
    api = Api(emu)
    gid = api.create(web_spec())
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == "ScheduleFailed"
    assert any(e["Reason"] == "FailedScheduling" for e in group["Events"])
    assert emu.stats()["faults"]["schedule_failed"] == 1
    clock.advance(86400 - 1)
    assert status(api, gid) == "ScheduleFailed"
    clock.advance(2)
    assert api.group(gid) is None


def test_events_are_capped_newest_last() -> None:
    g = Group("eci-x", "r", {"name": "g"}, "Running", 0.0, 0.0, 0.0)
    for i in range(MAX_EVENTS + 10):
        g.event(float(i), "Started", f"event {i}", "c")
    assert len(g.events) == MAX_EVENTS
    assert g.events[-1]["Message"] == f"event {MAX_EVENTS + 9}"
    g.event(100.0, "Started", f"event {MAX_EVENTS + 5}", "c")  # a repeat is counted, moved last
    assert (g.events[-1]["Message"], g.events[-1]["Count"]) == (f"event {MAX_EVENTS + 5}", 2)


# --------------------------------------------------------------------------------------
# Retention (DescribeContainerGroups API reference)
# --------------------------------------------------------------------------------------


def test_terminal_groups_kept_for_the_retention_period_then_newest_per_region(clock: FakeClock) -> None:
    emu = make_emulator(clock, retention_seconds=3600, retention_keep=2)
    api = Api(emu)
    other = Api(emu, region="cn-beijing")
    ids = []
    for i in range(4):
        ids.append(api.create(web_spec(name=f"job-{i}")))
        emu.force_status(ids[-1], ["Succeeded", "Failed", "Expired", "Succeeded"][i])
        clock.advance(10)
    far = other.create(web_spec(name="far"))
    emu.force_status(far, "Failed")
    running = api.create(web_spec(name="server"))
    clock.advance(3600 - 40)  # the oldest terminal group is exactly one hour old: still kept
    assert api.describe()["TotalCount"] == 5
    clock.advance(25)  # jobs 0-2 are now more than an hour old: the newest two of those stay
    names = sorted(g["ContainerGroupName"] for g in api.describe()["ContainerGroups"])
    assert names == ["job-1", "job-2", "job-3", "server"]
    clock.advance(10)  # job 3 ages out too
    names = sorted(g["ContainerGroupName"] for g in api.describe()["ContainerGroups"])
    assert names == ["job-2", "job-3", "server"]
    assert [g["ContainerGroupId"] for g in other.describe()["ContainerGroups"]] == [far]  # counted per region
    assert status(api, running) == "Running"


# --------------------------------------------------------------------------------------
# Persistence and sharing
# --------------------------------------------------------------------------------------


def test_restarted_emulator_keeps_its_groups(tmp_path: Path, clock: FakeClock) -> None:
    db = str(tmp_path / "eci.db")
    first = make_emulator(clock, db_path=db)
    gid = Api(first).create(web_spec())
    first.close()
    clock.advance(2)
    second = make_emulator(clock, db_path=db)
    group = Api(second).group(gid)
    assert group is not None and group["Status"] == "Running"
    assert second.stats()["groups_created"] == 1


def test_two_emulators_on_one_file_share_state_under_concurrency(tmp_path: Path) -> None:
    db = str(tmp_path / "shared.db")
    emulators = [Emulator(EmulatorConfig(db_path=db)) for _ in range(2)]
    errors: list[BaseException] = []

    def worker(emu: Emulator, n: int) -> None:
        try:
            api = Api(emu)
            for i in range(5):
                api.create(web_spec(name=f"w{n}-{i}"))
                api.describe()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(emulators[i % 2], i)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    api = Api(emulators[0])
    assert api.describe(Limit=20)["TotalCount"] == 20
    assert emulators[1].stats()["groups_created"] == 20


def test_another_process_sees_the_same_groups(tmp_path: Path) -> None:
    db = str(tmp_path / "proc.db")
    api = Api(Emulator(EmulatorConfig(db_path=db)))
    mine = api.create(web_spec(name="mine"))
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from emulator_helpers import Api, web_spec
        from eci_provider.emulator.embedded import embedded_emulator
        api = Api(embedded_emulator({db!r}))
        assert api.group({mine!r}) is not None
        print(api.create(web_spec(name="theirs")))
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    theirs = out.stdout.strip()
    assert theirs.startswith("eci-")
    assert {g["ContainerGroupName"] for g in api.describe()["ContainerGroups"]} == {"mine", "theirs"}
