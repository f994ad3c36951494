"""Batched Describe rounds: watched groups ride along in calls that have room, a wait wakes early
with such an observation, a cancel wakes every wait, and the leader waits for the limiter."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.poller import BatchPoller
from eci_provider.cloud.waiters import Cancelled, PollPolicy, Waiter


class Recorder:
    def __init__(self, answers: dict[str, dict[str, Any]] | None = None) -> None:
        self.calls: list[list[str]] = []
        self.answers = answers or {}
        self.fail = False

    def __call__(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        self.calls.append(list(ids))
        if self.fail:
            raise RuntimeError("describe failed")
        return {i: self.answers.get(i, {"ContainerGroupId": i, "Status": "Running"}) for i in ids}


def test_a_round_fills_its_call_with_watched_groups() -> None:
    describe = Recorder()
    poller = BatchPoller(describe, gather=0)
    with poller.watch("b") as b, poller.watch("c"):
        seen = poller.poll("a")
        assert describe.calls == [["a", "b", "c"]]  # b and c rode along: the same single call
        assert seen.round == 1 and b.newer(0) is not None and b.newer(1) is None
    assert (poller.stats.calls, poller.stats.ids_polled, poller.stats.riders) == (1, 3, 2)
    poller.poll("a")
    assert describe.calls[-1] == ["a"]  # nobody watches any more


def test_riders_never_add_a_call_and_the_least_recently_seen_go_first() -> None:
    describe = Recorder()
    poller = BatchPoller(describe, gather=0)
    watched = [f"w{i:02d}" for i in range(25)]
    with contextlib.ExitStack() as stack:
        for gid in watched:
            stack.enter_context(poller.watch(gid))
        poller.poll("due")
        assert len(describe.calls[-1]) == 20  # 1 due + 19 riders: one full call
        first = set(describe.calls[-1][1:])
        poller.poll("due")
        assert set(watched) - first <= set(describe.calls[-1])  # the 6 left out go first next time
        assert poller.stats.calls == 2


def test_riders_can_be_turned_off_and_a_failed_round_tells_no_rider_anything() -> None:
    describe = Recorder()
    poller = BatchPoller(describe, gather=0, riders=False)
    with poller.watch("b") as b:
        poller.poll("a")
        assert describe.calls == [["a"]] and b.newer(0) is None
    poller = BatchPoller(describe, gather=0)
    describe.fail = True
    with poller.watch("b") as b:
        with contextlib.suppress(RuntimeError):
            poller.poll("a")
        assert b.newer(0) is None


def test_the_leader_waits_for_the_describe_budget_before_it_takes_the_batch() -> None:
    sleeps: list[float] = []
    poller = BatchPoller(Recorder(), gather=0.02, sleep=sleeps.append, ready=lambda: 0.5)
    poller.poll("a")
    assert sleeps == [0.02, 0.5]


# -- waits on a real clock: early wake, cancel ---------------------------------------------------


def scripted_client(statuses: dict[str, list[str]]) -> tuple[EciClient, list[list[str]]]:
    """A client whose Describe answers each ID with its next scripted status."""
    seen: list[list[str]] = []
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def handle(request: httpx.Request) -> httpx.Response:
        params = dict(httpx.QueryParams(request.content.decode()))
        ids = json.loads(params["ContainerGroupIds"])
        groups = []
        with lock:
            seen.append(ids)
            for gid in ids:
                n = counts[gid] = counts.get(gid, 0) + 1
                script = statuses[gid]
                groups.append(
                    {
                        "ContainerGroupId": gid,
                        "ContainerGroupName": gid,
                        "Status": script[min(n, len(script)) - 1],
                        "Containers": [{"Name": "web", "Image": "nginx"}],
                    }
                )
        return httpx.Response(200, json={"RequestId": "r", "ContainerGroups": groups, "NextToken": ""})

    client = EciClient("cn-hangzhou", credentials=Credentials("id", "secret"), transport=httpx.MockTransport(handle))
    return client, seen


def test_a_wait_wakes_early_with_an_observation_from_another_round() -> None:
    """A wait on b polls slowly (every 30 s); another wait's round carries b, sees it Running,
    and the wait on b returns then, without a call of its own."""
    client, seen = scripted_client({"eci-a": ["Running"], "eci-b": ["Pending", "Running"]})
    waiter = Waiter(client, poll=PollPolicy(initial=30.0, maximum=30.0, grid=0.0))
    result: list[Any] = []
    first_poll_done = threading.Event()
    original = waiter.poller.poll

    def poll(group_id: str) -> Any:
        out = original(group_id)
        if group_id == "eci-b":
            first_poll_done.set()
        return out

    waiter.poller.poll = poll  # type: ignore[method-assign]
    thread = threading.Thread(target=lambda: result.append(waiter.wait_created("eci-b")))
    thread.start()
    assert first_poll_done.wait(10)
    waiter.wait_created("eci-a")  # its round has room for b
    thread.join(10)  # a guard: without the early wake the wait would sleep for 30 s
    assert not thread.is_alive() and result[0].status == "Running"
    assert seen == [["eci-b"], ["eci-a", "eci-b"]]
    client.close()


def test_a_cancel_wakes_every_wait_at_once() -> None:
    client, _ = scripted_client({"eci-a": ["Pending"], "eci-b": ["Pending"]})
    waiter = Waiter(client, poll=PollPolicy(initial=60.0, maximum=60.0, grid=0.0))
    errors: list[BaseException] = []

    def wait(gid: str) -> None:
        try:
            waiter.wait_created(gid)
        except Cancelled as e:
            errors.append(e)

    threads = [threading.Thread(target=wait, args=(gid,)) for gid in ("eci-a", "eci-b")]
    for th in threads:
        th.start()
    while waiter.poller.stats.rounds < 1 or len(waiter.poller._watches) < 2:
        threading.Event().wait(0.01)
    waiter.cancel.set()
    for th in threads:
        th.join(10)  # a guard: without the wake-up each wait would sleep for a minute
    assert not any(th.is_alive() for th in threads)
    assert sorted(str(e).split("waiting for ")[1] for e in errors) == ["eci-a (cancelled)", "eci-b (cancelled)"]
    client.close()
