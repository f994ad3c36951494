"""The emulator's API rate limits: per access key and action over a sliding minute, the real
``Throttling`` answer, its counters, its configuration; and many waits at once through one
rate-aware client against limits that bind, in process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from emulated import CREDS
from emulator_helpers import Api, ApiCallError, FakeClock, make_emulator, web_spec

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.errors import EciError
from eci_provider.cloud.ratelimit import DOCUMENTED_LIMITS, RateLimiter
from eci_provider.cloud.waiters import Waiter
from eci_provider.emulator import Credential, EmulatorConfig
from eci_provider.emulator.config import config_from_options
from eci_provider.emulator.embedded import EmbeddedTransport
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec

THROTTLING_MESSAGE = (
    "You have made too many requests within a short time; your request is denied due to request throttling"
)


def test_limits_count_per_access_key_and_action_over_a_sliding_minute() -> None:
    clock = FakeClock()
    emu = make_emulator(
        clock,
        credentials=(Credential("key-a", "secret-a"), Credential("key-b", "secret-b")),
        rate_limits={"DescribeContainerGroups": 3, "CreateContainerGroup": 1},
    )
    a, b = Api(emu, access_key_id="key-a", secret="secret-a"), Api(emu, access_key_id="key-b", secret="secret-b")
    for _ in range(3):
        a.describe()
        clock.advance(10)
    with pytest.raises(ApiCallError) as info:
        a.describe()
    assert (info.value.status, info.value.code) == (400, "Throttling")
    assert info.value.body["Message"] == THROTTLING_MESSAGE and "RequestId" in info.value.body
    b.describe()  # another access key has its own minute
    a.create(web_spec())  # another action has its own limit
    with pytest.raises(ApiCallError, match="Throttling"):
        a.create(web_spec(name="second"))
    clock.advance(30.5)  # 60.5 s after key-a's first Describe: one call has left the window
    a.describe()
    with pytest.raises(ApiCallError, match="Throttling"):
        a.describe()  # refused calls did not count, but the window is full again
    stats = emu.stats()["rate_limits"]
    assert stats["limits"] == {"DescribeContainerGroups": 3, "CreateContainerGroup": 1}
    assert stats["throttled"] == {"DescribeContainerGroups": 2, "CreateContainerGroup": 1}
    assert stats["peak_per_minute"] == {"DescribeContainerGroups": 3, "CreateContainerGroup": 1}
    assert emu.stats()["requests"]["DescribeContainerGroups"] == 7  # refused calls are requests too


def test_limits_are_off_by_default_but_peaks_are_counted() -> None:
    emu = make_emulator()
    api = Api(emu)
    for _ in range(50):
        api.describe()
    stats = emu.stats()["rate_limits"]
    assert stats == {"limits": None, "throttled": {}, "peak_per_minute": {"DescribeContainerGroups": 50}}


def test_a_throttled_create_has_no_effect() -> None:
    emu = make_emulator(rate_limits={"CreateContainerGroup": 1})
    api = Api(emu)
    api.create(web_spec())
    with pytest.raises(ApiCallError, match="Throttling"):
        api.create(web_spec(name="second"))
    assert [g["Spec"]["name"] for g in emu.groups()] == ["web-app"] and emu.stats()["groups_created"] == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate_limits": "Describe=5"}, "emulator option 'rate_limits': unknown action 'Describe'"),
        ({"rate_limits": "DescribeContainerGroups=-1"}, "emulator option 'rate_limits': DescribeContainerGroups"),
        ({"rate_limit": "documented"}, "unknown emulator option 'rate_limit'"),
    ],
)
def test_bad_rate_limit_options_name_the_option(options: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        config_from_options(":memory:", options)


def test_rate_limit_options_start_from_the_documented_limits() -> None:
    assert config_from_options(":memory:", {"rate_limits": "documented"}).rate_limits == DOCUMENTED_LIMITS
    config = config_from_options(":memory:", {"rate_limits": "DescribeContainerGroups=120"})
    assert config.rate_limits == {**DOCUMENTED_LIMITS, "DescribeContainerGroups": 120}
    with pytest.raises(ValueError, match="rate_limits: unknown action 'Nope'"):
        EmulatorConfig(rate_limits={"Nope": 1})


def test_the_cli_flag_rejects_bad_limits_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "eci_provider.cli", "emulator", "--rate-limits", "DescribeContainerGroups=often"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "eci-provider emulator: argument --rate-limits: DescribeContainerGroups: 'often' is not a whole number of "
        "calls per minute (see eci-provider emulator --help)"
    ]


# -- many waits at once, limits that bind -------------------------------------------------------


class FastTime:
    """Real time, run ``speed`` times faster: the emulator's minutes pass in seconds, while
    threads, locks and the client's sleeps are real."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._start = time.monotonic()
        self._epoch = time.time()

    def monotonic(self) -> float:
        return (time.monotonic() - self._start) * self.speed

    def wall(self) -> float:
        return self._epoch + self.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) / self.speed)


def test_many_waits_through_one_client_never_see_throttling() -> None:
    """Twelve groups are created, waited for and deleted at once through one client whose limits
    are the documented ones, against an emulator that allows 20 Describe calls a minute: the
    service throttles, the process backs off as one, and no operation sees a Throttling.  Time
    runs 30 times faster (the emulator, the limiter, the waits and the retries)."""
    t = FastTime(30.0)
    served = {"DescribeContainerGroups": 20, "CreateContainerGroup": 60, "DeleteContainerGroup": 60}
    emu = make_emulator(transition_seconds=2.0, rate_limits=served)
    emu.clock = emu.service.clock = emu.authenticator.clock = t.wall
    emu.rate_limits._clock = t.wall
    limiter = RateLimiter(clock=t.monotonic, sleep=t.sleep)
    client = EciClient(
        "cn-hangzhou",
        endpoint="https://eci.in-process.invalid",
        credentials=CREDS,
        transport=EmbeddedTransport(emu),
        limiter=limiter,
        clock=t.monotonic,
        sleep=t.sleep,
    )
    waiter = Waiter(client, clock=t.monotonic, sleep=t.sleep)
    failures: list[EciError] = []
    lock = threading.Lock()

    def lifecycle(i: int) -> None:
        identity = f"test/rate/{i}"
        spec = ContainerGroupSpec.model_validate({"name": f"rate-{i}", "containers": [{"name": "w", "image": "nginx"}]})
        try:
            created = apply.create(waiter, apply.with_owner(spec, identity), identity)
            assert apply.delete(waiter, created.observed.container_group_id)
        except EciError as e:
            with lock:
                failures.append(e)

    try:
        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(lifecycle, range(12)))
    finally:
        client.close()
    stats = emu.stats()
    assert failures == []
    assert stats["groups_created"] == 12 and stats["groups"]["total"] == 0
    rate = stats["rate_limits"]
    assert rate["throttled"].get("DescribeContainerGroups", 0) > 0  # the limits did bind
    assert all(rate["peak_per_minute"][action] <= limit for action, limit in served.items())
    describe = limiter.stats()["DescribeContainerGroups"]
    assert 1 <= describe.cuts <= describe.throttled
    assert waiter.poller.stats.ids_per_call() > 1  # the waits shared their Describe calls
