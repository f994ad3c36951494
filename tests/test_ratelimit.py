"""The client-side rate limiter: its arithmetic on an injected clock, the backoff that the whole
process shares after a ``Throttling``, what a caller sees when the retries run out, and the
``eci:rateLimits`` setting.  No test sleeps: time is a fake clock, or virtual time that several
threads share (:class:`VirtualTime`)."""

from __future__ import annotations

import bisect
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from eci_provider.cloud.client import EciClient, RetryPolicy
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.errors import ThrottlingError
from eci_provider.cloud.ratelimit import DOCUMENTED_LIMITS, RateLimiter, parse_rate_limits
from eci_provider.provider.settings import RATE_LIMITS_ENV, Settings, connect, shared_limiter

CREDS = Credentials("AKIDexample", "sk-secret-value")


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(t: FakeTime, limits: dict[str, int] | None = None, **kw: Any) -> RateLimiter:
    return RateLimiter(limits or {"A": 120}, clock=t.clock, sleep=t.sleep, **kw)


def most_in_any_minute(times: list[float]) -> int:
    return max(bisect.bisect_left(times, start + 60.0) - i for i, start in enumerate(times))


# -- the budget's arithmetic -------------------------------------------------------------------


def test_a_quarter_of_the_minute_at_once_then_evenly() -> None:
    t = FakeTime()
    lim = limiter(t)
    times = []
    for _ in range(40):
        lim.acquire("A")
        times.append(t.now)
    assert times[:30] == [0.0] * 30  # the burst: a quarter of 120
    gaps = {round(b - a, 9) for a, b in itertools.pairwise(times[29:])}
    assert gaps == {0.5}  # then 120 per minute: one every half second


def test_no_minute_ever_holds_more_than_the_limit() -> None:
    """The burst plus the steady rate would pass the limit in the first minute; the log of the
    last calls holds the rest back, and the long-run rate is the whole limit."""
    t = FakeTime()
    lim = limiter(t)
    times = []
    for _ in range(600):
        lim.acquire("A")
        times.append(t.now)
    assert most_in_any_minute(times) == 120
    assert times[-1] < 5 * 60 + 2  # 600 calls at 120 a minute: five minutes, not more


def test_delay_reserves_nothing_and_unlisted_actions_are_free() -> None:
    t = FakeTime()
    lim = limiter(t, {"A": 60}, burst_fraction=0.0)
    lim.acquire("A")
    assert lim.delay("A") == pytest.approx(1.0)
    assert lim.delay("A") == pytest.approx(1.0)  # asking twice did not move the slot
    lim.acquire("Other")
    assert lim.delay("Other") == 0.0 and t.sleeps == []


def test_a_throttled_answer_halves_the_rate_and_pauses_every_caller_once_per_episode() -> None:
    t = FakeTime()
    lim = limiter(t)
    permits = [lim.acquire("A") for _ in range(8)]  # eight calls in flight together
    assert lim.throttled(permits[0]) == 0.5  # the first answer cuts: a half-second pause
    for p in permits[1:]:  # the others were sent before the cut: the same episode
        lim.throttled(p)
    stats = lim.stats()["A"]
    assert (stats.throttled, stats.cuts) == (8, 1)
    assert lim.rate("A") == 60.0 and lim.pause_left("A") == 0.5
    times = []
    for _ in range(4):
        lim.acquire("A")
        times.append(t.now)
    # After the pause, at half the rate (one per second), and no burst while recovering.
    assert times == [0.5, 1.5, 2.5, 3.5]


def test_the_pause_doubles_while_throttling_goes_on_and_honours_retry_after() -> None:
    t = FakeTime()
    lim = limiter(t, max_pause=5.0)
    pauses = []
    for _ in range(5):
        pauses.append(lim.throttled(lim.acquire("A")))
    assert pauses == [0.5, 1.0, 2.0, 4.0, 5.0]
    assert lim.stats()["A"].cuts == 5
    stale = lim.acquire("A")
    lim.throttled(lim.acquire("A"))  # a new cut: ``stale`` now belongs to an older episode
    assert lim.throttled(stale, retry_after=30.0) == pytest.approx(30.0)  # no cut, but the hint holds
    assert lim.stats()["A"].cuts == 6


def test_the_rate_recovers_step_by_step_after_a_calm_period() -> None:
    t = FakeTime()
    lim = limiter(t, recover_after=10.0)
    lim.throttled(lim.acquire("A"))
    lim.throttled(lim.acquire("A"))
    assert lim.rate("A") == 60.0  # two episodes at once: the rate halves once
    t.now += 5.0
    lim.throttled(lim.acquire("A"))  # still throttled 5 s later: a longer pause, the same rate
    assert lim.rate("A") == 60.0 and lim.pause_left("A") == 2.0
    t.now += 7.0
    lim.throttled(lim.acquire("A"))  # and 12 s after the first halving: halved again
    assert lim.rate("A") == 30.0
    t.now += 10.0
    assert lim.rate("A") == 60.0
    t.now += 10.0
    assert lim.rate("A") == 120.0
    t.now += 100.0
    assert lim.rate("A") == 120.0  # never above the limit
    assert lim.throttled(lim.acquire("A")) == 0.5  # a full recovery also resets the pause


def test_callers_queued_before_a_cut_queue_again_behind_the_pause() -> None:
    t = FakeTime()
    lim = limiter(t, {"A": 600}, burst_fraction=0.0)  # one call every 0.1 s
    first = lim.acquire("A")
    real_sleep = t.sleep

    def sleep_while_another_call_is_throttled(seconds: float) -> None:
        # While this caller sleeps towards its slot (0.1 s), another thread's call is throttled.
        if not lim.stats()["A"].cuts:
            lim.throttled(first)
        real_sleep(seconds)

    lim._sleep = sleep_while_another_call_is_throttled
    lim.acquire("A")
    # Woken at its old slot inside the pause, it queued again and went when the pause ended.
    assert t.sleeps == pytest.approx([0.1, 0.4]) and t.now == pytest.approx(0.5)


def test_configure_keeps_the_throttling_state() -> None:
    t = FakeTime()
    lim = limiter(t)
    lim.throttled(lim.acquire("A"))
    lim.configure({"A": 240, "B": 10})
    assert lim.limits == {"A": 240, "B": 10}
    assert lim.rate("A") == 120.0 and lim.pause_left("A") == 0.5


def test_a_success_after_a_cut_ends_the_doubling() -> None:
    t = FakeTime()
    lim = limiter(t)
    assert lim.throttled(lim.acquire("A")) == 0.5
    lim.succeeded(lim.acquire("A"))  # admitted after the cut, and answered: the pause sufficed
    assert lim.throttled(lim.acquire("A")) == 0.5
    stale = lim.acquire("A")
    assert lim.throttled(lim.acquire("A")) == 1.0
    lim.succeeded(stale)  # admitted before that cut: says nothing about the last pause
    assert lim.throttled(lim.acquire("A")) == 2.0


# -- many threads, one Throttling: the whole process slows down ---------------------------------


class VirtualTime:
    """Time shared by threads that only moves when every one of them is asleep: then it jumps
    to the earliest wake-up.  Threads call :meth:`sleep` and :meth:`clock`; the test calls
    :meth:`run` to drive them and :meth:`done` from each thread when it ends."""

    def __init__(self, threads: int) -> None:
        self.now = 0.0
        self._cond = threading.Condition()
        self._running = threads
        self._wakeups: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with self._cond:
            target = self.now + seconds
            heapq.heappush(self._wakeups, target)
            self._running -= 1
            self._cond.notify_all()
            while self.now < target:
                self._cond.wait()

    def done(self) -> None:
        with self._cond:
            self._running -= 1
            self._cond.notify_all()

    def run(self) -> None:
        guard = time.monotonic() + 30  # a deadlock guard, not a timing assertion
        with self._cond:
            while True:
                while self._running > 0:
                    assert self._cond.wait(1.0) or time.monotonic() < guard, "threads never went to sleep"
                if not self._wakeups:
                    return
                self.now = max(self.now, heapq.heappop(self._wakeups))
                woken = 1
                while self._wakeups and self._wakeups[0] <= self.now:
                    heapq.heappop(self._wakeups)
                    woken += 1
                self._running += woken
                self._cond.notify_all()


def throttling_server(vt: VirtualTime, until: float, wave: int) -> tuple[list[tuple[float, str]], httpx.MockTransport]:
    """Answers ``Throttling`` to every call before ``until`` (another client of the account
    used the quota), then succeeds; records (time, outcome) of each call.  The first ``wave``
    calls are answered together, once all of them arrived: they were all in flight."""
    seen: list[tuple[float, str]] = []
    lock = threading.Lock()
    first_wave = threading.Barrier(wave)

    def handle(request: httpx.Request) -> httpx.Response:
        with lock:
            in_first_wave = len(seen) < wave
            seen.append((vt.now, "throttled" if vt.now < until else "ok"))
            outcome = seen[-1][1]
        if in_first_wave:
            first_wave.wait(timeout=10)
        if outcome == "throttled":
            return httpx.Response(400, json={"RequestId": "r", "Code": "Throttling", "Message": "slow down"})
        return httpx.Response(200, json={"RequestId": "r", "ContainerGroups": [], "NextToken": ""})

    return seen, httpx.MockTransport(handle)


def run_threads(n: int, vt: VirtualTime, work: Callable[[], None]) -> list[BaseException]:
    errors: list[BaseException] = []

    def body() -> None:
        try:
            work()
        except BaseException as e:
            errors.append(e)
        finally:
            vt.done()

    threads = [threading.Thread(target=body) for _ in range(n)]
    for th in threads:
        th.start()
    vt.run()
    for th in threads:
        th.join(5)
    return errors


def test_one_throttling_slows_every_thread_down_and_nobody_sees_it() -> None:
    """Ten threads call at once; the service throttles everything for 0.4 s.  The
    process cuts once, every thread waits out the same pause (no call during it), then the
    calls go one by one at the halved rate, and all ten succeed."""
    vt = VirtualTime(10)
    seen, transport = throttling_server(vt, until=0.4, wave=10)
    lim = RateLimiter({"DescribeContainerGroups": 600}, clock=vt.clock, sleep=vt.sleep)
    client = EciClient(
        "cn-hangzhou",
        credentials=CREDS,
        transport=transport,
        limiter=lim,
        clock=vt.clock,
        sleep=vt.sleep,
        retry=RetryPolicy(max_attempts=3),
    )
    errors = run_threads(10, vt, lambda: client.describe_container_groups(["eci-1"]))
    assert errors == []
    throttled = [when for when, outcome in seen if outcome == "throttled"]
    ok = sorted(when for when, outcome in seen if outcome == "ok")
    assert len(throttled) == 10 and set(throttled) == {0.0}  # the first wave, all at once
    assert lim.stats()["DescribeContainerGroups"].cuts == 1  # ten answers, one episode
    assert len(ok) == 10 and ok[0] == pytest.approx(0.5)  # nobody called during the pause
    gaps = [round(b - a, 6) for a, b in itertools.pairwise(ok)]
    assert gaps == [0.2] * 9  # 600 a minute halved: one call every 0.2 s, no burst


def test_without_a_limiter_each_call_backs_off_alone_and_calls_during_the_pause() -> None:
    """The same scene without the shared limiter: retries come back on their own schedules and
    keep hitting the throttled service (what the limiter exists to prevent)."""
    vt = VirtualTime(10)
    seen, transport = throttling_server(vt, until=0.5, wave=10)
    client = EciClient(
        "cn-hangzhou",
        credentials=CREDS,
        transport=transport,
        clock=vt.clock,
        sleep=vt.sleep,
        retry=RetryPolicy(max_attempts=10),
    )
    run_threads(10, vt, lambda: client.describe_container_groups(["eci-1"]))
    assert sum(1 for when, outcome in seen if outcome == "throttled" and when > 0) > 0


# -- what a caller sees --------------------------------------------------------------------------


def scripted(answers: list[int]) -> tuple[list[httpx.Request], httpx.MockTransport]:
    """Answer the i-th call with ``answers[i]`` (400 = Throttling, 200 = success; the last repeats)."""
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        status = answers[min(len(requests) - 1, len(answers) - 1)]
        if status == 400:
            return httpx.Response(400, json={"RequestId": "r-1", "Code": "Throttling", "Message": "slow down"})
        return httpx.Response(200, json={"RequestId": "r", "ContainerGroupId": "eci-new"})

    return requests, httpx.MockTransport(handle)


def test_a_create_rides_out_throttling_with_one_client_token() -> None:
    t = FakeTime()
    requests, transport = scripted([400, 400, 400, 200])
    lim = RateLimiter(clock=t.clock, sleep=t.sleep)
    client = EciClient("cn-hangzhou", credentials=CREDS, transport=transport, limiter=lim, clock=t.clock, sleep=t.sleep)
    from eci_provider.spec.model import ContainerGroupSpec

    spec = ContainerGroupSpec.model_validate({"name": "web", "containers": [{"name": "web", "image": "nginx"}]})
    assert client.create_container_group(spec, client_token="tok-1") == "eci-new"
    tokens = {dict(httpx.QueryParams(r.content.decode())).get("ClientToken") for r in requests}
    assert len(requests) == 4 and tokens == {"tok-1"}
    assert t.sleeps == [0.5, 1.0, 2.0]  # the shared pauses, not a per-call schedule
    assert lim.stats()["CreateContainerGroup"].cuts == 3


def test_time_queued_for_a_slot_does_not_use_up_the_retry_deadline() -> None:
    """One create a minute, and a slot already taken: the call queues a minute for its slot, is
    throttled, and queues another minute.  The retry deadline (30 s) counts neither queue: the
    create succeeds instead of giving up at its first Throttling."""
    from eci_provider.spec.model import ContainerGroupSpec

    t = FakeTime()
    requests, transport = scripted([400, 200])
    lim = RateLimiter({"CreateContainerGroup": 1}, clock=t.clock, sleep=t.sleep)
    lim.acquire("CreateContainerGroup")  # another caller's call, just sent
    client = EciClient(
        "cn-hangzhou",
        credentials=CREDS,
        transport=transport,
        limiter=lim,
        clock=t.clock,
        sleep=t.sleep,
        retry=RetryPolicy(max_attempts=4, deadline=30.0),
    )
    spec = ContainerGroupSpec.model_validate({"name": "web", "containers": [{"name": "web", "image": "nginx"}]})
    assert client.create_container_group(spec, client_token="tok-1") == "eci-new"
    assert len(requests) == 2
    assert t.now > 2 * 60.0  # two queued minutes, each longer than the deadline


def test_once_the_retries_run_out_the_error_names_the_action_and_its_limit() -> None:
    t = FakeTime()
    requests, transport = scripted([400])
    lim = RateLimiter({"DescribeContainerGroups": 600}, clock=t.clock, sleep=t.sleep)
    client = EciClient(
        "cn-hangzhou",
        credentials=CREDS,
        transport=transport,
        limiter=lim,
        clock=t.clock,
        sleep=t.sleep,
        retry=RetryPolicy(max_attempts=4),
    )
    with pytest.raises(ThrottlingError) as info:
        client.describe_container_groups(["eci-1"])
    text = str(info.value)
    assert len(requests) == 4
    assert text.startswith("DescribeContainerGroups: Throttling: slow down; still throttled after 4 attempts")
    assert "ECI allows 2000 DescribeContainerGroups calls per minute per account" in text
    assert "this process paces itself to 600 per minute (90% of the account limit" in text
    assert "RequestId r-1" in text and CREDS.access_key_secret not in text


def test_without_a_limiter_the_error_still_names_the_documented_limit() -> None:
    t = FakeTime()
    _, transport = scripted([400])
    client = EciClient(
        "cn-hangzhou",
        credentials=CREDS,
        transport=transport,
        clock=t.clock,
        sleep=t.sleep,
        retry=RetryPolicy(max_attempts=2),
    )
    with pytest.raises(ThrottlingError, match="ECI allows 500 UpdateContainerGroup calls per minute"):
        client.update_container_group("eci-1", "RenewUpdate", {})


# -- eci:rateLimits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"DescribeContainerGroups": 600}',
        "DescribeContainerGroups=600",
        " DescribeContainerGroups = 600 ",
        {"DescribeContainerGroups": "600"},
    ],
)
def test_rate_limits_accept_json_pairs_and_mappings(raw: Any) -> None:
    limits = parse_rate_limits(raw, name="eci:rateLimits")
    assert limits == {**DOCUMENTED_LIMITS, "DescribeContainerGroups": 600}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("DescribeContainerGroup=5", "unknown action 'DescribeContainerGroup'; known: CreateContainerGroup"),
        ("DescribeContainerGroups=0", "DescribeContainerGroups: must be at least 1 call per minute"),
        ("DescribeContainerGroups=1.5", "'1.5' is not a whole number of calls per minute"),
        ('{"DescribeContainerGroups": true}', "True is not a number of calls per minute"),
        ("DescribeContainerGroups", "'DescribeContainerGroups' is not Action=N"),
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "must be a JSON object of action to calls per minute"),
        ('{"A": 1, "A": 2}', "unknown action 'A'"),
        ("DescribeContainerGroups=1,DescribeContainerGroups=2", "DescribeContainerGroups is given twice"),
        ("   ", "is empty"),
    ],
)
def test_bad_rate_limits_name_the_setting(raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=r"^eci:rateLimits: ") as info:
        Settings.from_config(lambda key: {"eci:region": "cn-hangzhou", "eci:rateLimits": raw}.get(key))
    assert message in str(info.value)


def test_rate_limits_come_from_the_environment_after_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    def config(key: str) -> str | None:
        return {"eci:region": "cn-hangzhou", "eci:accessKeyId": "id", "eci:accessKeySecret": "sk"}.get(key)

    assert Settings.from_config(config).rate_limits == DOCUMENTED_LIMITS
    monkeypatch.setenv(RATE_LIMITS_ENV, "CreateContainerGroup=100")
    assert Settings.from_config(config).rate_limits["CreateContainerGroup"] == 100
    monkeypatch.setenv(RATE_LIMITS_ENV, "CreateContainerGroup=lots")
    with pytest.raises(ValueError, match=r"^eci:rateLimits \(from ECI_RATE_LIMITS\): CreateContainerGroup"):
        Settings.from_config(config)


def test_every_connection_of_a_process_to_one_account_shares_one_limiter() -> None:
    def settings(limits: str, key: str = "AKID-shared") -> Settings:
        values = {
            "eci:region": "cn-hangzhou",
            "eci:endpoint": "https://eci.shared.test",
            "eci:accessKeyId": key,
            "eci:accessKeySecret": "sk",
            "eci:rateLimits": limits,
        }
        return Settings.from_config(values.get)

    first, second = connect(settings("CreateContainerGroup=100")), connect(settings("CreateContainerGroup=100"))
    try:
        assert first.client.limiter is second.client.limiter is shared_limiter(settings("CreateContainerGroup=100"))
        connect(settings("CreateContainerGroup=50")).client.close()  # a new config: the same budget, new limits
        # paced to 90% of the account's limit: 45 of 50
        assert first.client.limiter is not None and first.client.limiter.limit("CreateContainerGroup") == 45
        other = connect(settings("CreateContainerGroup=50", key="AKID-other"))
        assert other.client.limiter is not first.client.limiter  # another account, another quota
        other.client.close()
    finally:
        first.client.close()
        second.client.close()
