"""EciClient behaviour against a scripted server (httpx.MockTransport), with a fake clock.

The scripted server verifies every request's signature with the server-side verifier, so each
test also checks that the client signs exactly what it sends.
"""

from __future__ import annotations

import json
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from eci_provider.cloud import signing
from eci_provider.cloud.client import EciClient, RetryPolicy
from eci_provider.cloud.credentials import Credentials, MissingCredentials
from eci_provider.cloud.errors import (
    AuthError,
    GroupFailed,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
    ThrottlingError,
    TransportError,
    WaitTimeout,
)
from eci_provider.cloud.waiters import Cancelled, PollPolicy, Waiter
from eci_provider.spec.model import ContainerGroupSpec

SECRET = "sk-VERY-SECRET-value"
CREDS = Credentials("AKIDexample", SECRET, "sts-TOKEN-value")
SPEC = ContainerGroupSpec.model_validate(
    {
        "name": "web",
        "containers": [{"name": "web", "image": "nginx"}],
        "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": "registry-PASSWORD"}],
    }
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.now += s


class Server:
    """A scripted ECI endpoint: ``script`` maps an action to a callable returning a response."""

    def __init__(self, script: Callable[[str, dict[str, str], int], httpx.Response | Exception]) -> None:
        self.script = script
        self.requests: list[tuple[str, dict[str, str], httpx.Request]] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = request.content
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        if "authorization" in request.headers:
            headers = {
                k: v
                for k, v in request.headers.items()
                if k in ("host", "content-type", "authorization") or k.startswith("x-acs-")
            }
            assert signing.verify_acs3("POST", "/", {}, headers, body, SECRET), "bad V3 signature"
            action = request.headers["x-acs-action"]
        else:
            assert signing.verify_rpc("POST", params, SECRET), "bad V1 signature"
            action = params["Action"]
        with self.lock:
            self.requests.append((action, params, request))
            n = sum(1 for a, _, _ in self.requests if a == action)
        result = self.script(action, params, n)
        if isinstance(result, Exception):
            raise result
        return result


def ok(body: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"RequestId": "req-ok", **(body or {})})


def err(status: int, code: str, message: str = "nope", headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, json={"RequestId": "req-err", "HostId": "eci", "Code": code, "Message": message}, headers=headers
    )


def client(server: Server, t: FakeTime | None = None, **kw: Any) -> EciClient:
    t = t or FakeTime()
    return EciClient(
        "cn-hangzhou",
        endpoint="https://eci.example.test",
        credentials=CREDS,
        transport=httpx.MockTransport(server),
        clock=t.clock,
        sleep=t.sleep,
        **kw,
    )


def waiter(server: Server, t: FakeTime | None = None, poll: PollPolicy | None = None, **kw: Any) -> Waiter:
    """A waiter on :func:`client`, with the same fake clock and no clock grid (so that the
    sleeps are the policy's own); the grid has a test of its own."""
    t = t or FakeTime()
    return Waiter(client(server, t, **kw), poll=poll or PollPolicy(grid=0.0), clock=t.clock, sleep=t.sleep)


def group(gid: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "ContainerGroupId": gid,
        "ContainerGroupName": "web",
        "Status": status,
        "Containers": [{"Name": "web", "Image": "nginx"}],
        **extra,
    }


# -- credentials and secrets ---------------------------------------------------------------


def test_credentials_never_print_or_pickle() -> None:
    for text in (repr(CREDS), str(CREDS)):
        assert SECRET not in text and "sts-TOKEN-value" not in text and "AKIDexample" not in text
    with pytest.raises(TypeError):
        pickle.dumps(CREDS)
    c = client(Server(lambda *a: ok()))
    assert SECRET not in repr(c)
    with pytest.raises(TypeError):
        pickle.dumps(c)


def test_credentials_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id-env")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-env")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "token-env")
    c = Credentials.resolve()
    assert (c.access_key_id, c.access_key_secret, c.security_token) == ("id-env", "secret-env", "token-env")
    assert Credentials.resolve("id-arg", "secret-arg").access_key_id == "id-arg"
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    with pytest.raises(MissingCredentials, match="eci:accessKeyId"):
        Credentials.resolve()


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_requests_are_signed_and_carry_the_sts_token(version: str) -> None:
    server = Server(lambda a, p, n: ok({"ContainerGroupId": "eci-1"}))
    c = client(server, signature_version=version)
    assert c.create_container_group(SPEC, client_token="tok-1") == "eci-1"
    action, params, request = server.requests[0]
    assert action == "CreateContainerGroup"
    assert params["ClientToken"] == "tok-1" and params["RegionId"] == "cn-hangzhou"
    assert params["ContainerGroupName"] == "web"
    if version == "v3":
        assert request.headers["x-acs-security-token"] == "sts-TOKEN-value"
        assert request.url.query == b""  # business parameters travel in the signed body
    else:
        assert params["SecurityToken"] == "sts-TOKEN-value" and params["SignatureMethod"] == "HMAC-SHA1"


# -- retries -------------------------------------------------------------------------------


def test_throttling_is_retried_with_backoff_and_retry_after() -> None:
    def script(action: str, params: dict[str, str], n: int) -> httpx.Response:
        if n == 1:
            return err(400, "Throttling.User", headers={"x-acs-retry-after": "1500"})
        if n < 4:
            return err(400, "Throttling")
        return ok({"ContainerGroupId": "eci-1"})

    t = FakeTime()
    server = Server(script)
    c = client(server, t)
    assert c.create_container_group(SPEC, client_token="tok") == "eci-1"
    assert len(server.requests) == 4
    assert t.sleeps[0] >= 1.5  # x-acs-retry-after is milliseconds
    tokens = {p["ClientToken"] for _, p, _ in server.requests}
    nonces = {r.headers["x-acs-signature-nonce"] for _, _, r in server.requests}
    assert tokens == {"tok"} and len(nonces) == 4  # same logical operation, fresh signature each time
    assert c.retry_stats.retries == 3


def test_server_errors_and_lost_responses_are_retried() -> None:
    outcomes = iter(
        [
            httpx.Response(502, text="<html>bad gateway</html>"),
            err(503, "ServiceUnavailable"),
            err(500, "InternalError"),
            httpx.ReadError("connection reset"),
            httpx.ConnectTimeout("timed out"),
            ok({"ContainerGroupId": "eci-1"}),
        ]
    )
    server = Server(lambda a, p, n: next(outcomes))
    assert client(server).create_container_group(SPEC, client_token="tok") == "eci-1"
    assert len(server.requests) == 6


@pytest.mark.parametrize(
    ("status", "code", "exc"),
    [
        (400, "InvalidParameter", InvalidRequestError),
        (400, "MissingParameter", InvalidRequestError),
        (400, "SignatureDoesNotMatch", AuthError),
        (404, "InvalidParameter.NotFound", NotFoundError),
    ],
)
def test_other_errors_are_not_retried_and_are_typed(status: int, code: str, exc: type[Exception]) -> None:
    server = Server(lambda a, p, n: err(status, code, "The parameter Container.1.Image is invalid"))
    with pytest.raises(exc) as info:
        client(server).update_container_group("eci-1", "IncrementalUpdate", {"restart_policy": "Never"})
    e = info.value
    assert (e.code, e.status, e.request_id, e.action) == (code, status, "req-err", "UpdateContainerGroup")
    assert "Container.1.Image" in e.message
    assert len(server.requests) == 1


def test_retries_stop_at_the_policy_limit() -> None:
    t = FakeTime()
    server = Server(lambda a, p, n: err(400, "Throttling"))
    c = client(server, t, retry=RetryPolicy(max_attempts=5, deadline=1000))
    with pytest.raises(ThrottlingError):
        c.describe_container_groups(["eci-1"])
    assert len(server.requests) == 5
    t2 = FakeTime()
    server2 = Server(lambda a, p, n: err(500, "InternalError"))
    with pytest.raises(ServerError):
        client(server2, t2, retry=RetryPolicy(max_attempts=100, deadline=5)).describe_container_groups(["x"])
    assert t2.now - 1000 <= 5


def test_transport_errors_surface_typed_after_retries() -> None:
    server = Server(lambda a, p, n: httpx.ConnectError("refused"))
    with pytest.raises(TransportError):
        client(server, retry=RetryPolicy(max_attempts=3)).describe_container_groups(["x"])


def test_secrets_are_scrubbed_from_errors_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="eci_provider")
    server = Server(
        lambda a, p, n: err(
            400, "InvalidParameter", f"bad password registry-PASSWORD for key {SECRET} token sts-TOKEN-value"
        )
    )
    with pytest.raises(InvalidRequestError) as info:
        client(server).create_container_group(SPEC, client_token="tok")
    for text in (str(info.value), info.value.message, caplog.text):
        assert "registry-PASSWORD" not in text and SECRET not in text and "sts-TOKEN-value" not in text


# -- describe ------------------------------------------------------------------------------


def test_describe_follows_next_token_and_batches_ids_by_20() -> None:
    def script(action: str, params: dict[str, str], n: int) -> httpx.Response:
        ids = json.loads(params["ContainerGroupIds"])
        assert len(ids) <= 20 and params["Limit"] == "20"
        page = int(params.get("NextToken") or 0)
        chunk = ids[page * 10 : page * 10 + 10]
        nxt = str(page + 1) if page * 10 + 10 < len(ids) else ""
        return ok({"ContainerGroups": [group(i, "Running") for i in chunk], "NextToken": nxt, "TotalCount": len(ids)})

    server = Server(script)
    ids = [f"eci-{i}" for i in range(45)]
    found = client(server).describe_container_groups(ids)
    assert [g["ContainerGroupId"] for g in found] == ids
    batches = [json.loads(p["ContainerGroupIds"]) for _, p, _ in server.requests]
    assert sorted({len(b) for b in batches}) == [5, 20]
    assert len(server.requests) == 5  # 20 + 20 + 5 ids, two pages for each full batch


def test_describe_by_tag_sends_filters() -> None:
    server = Server(lambda a, p, n: ok({"ContainerGroups": [], "NextToken": ""}))
    client(server).describe_container_groups(tags={"eci-provider/owner": "abc"}, name="web")
    _, params, _ = server.requests[0]
    assert params["Tag.1.Key"] == "eci-provider/owner" and params["Tag.1.Value"] == "abc"
    assert params["ContainerGroupName"] == "web" and "ContainerGroupIds" not in params


# -- waiters -------------------------------------------------------------------------------


def describe_sequence(statuses: list[str | None], **extra: Any) -> Callable[[str, dict[str, str], int], httpx.Response]:
    def script(action: str, params: dict[str, str], n: int) -> httpx.Response:
        status = statuses[min(n - 1, len(statuses) - 1)]
        groups = [] if status is None else [group("eci-1", status, **extra)]
        return ok({"ContainerGroups": groups, "NextToken": ""})

    return script


def test_wait_created_tolerates_not_listed_yet_then_runs() -> None:
    t = FakeTime()
    c = waiter(Server(describe_sequence([None, None, "Scheduling", "Pending", "Running"])), t)
    obs = c.wait_created("eci-1")
    assert obs.status == "Running"
    polls = [s for s in t.sleeps if s != c.poller.gather]  # the rest are the poller's gather windows
    assert polls[0] == PollPolicy().initial and max(polls) <= PollPolicy().maximum


def test_poll_interval_grows_with_time_in_status() -> None:
    """A long status is polled slowly; right after a change the waiter polls fast again."""
    p = PollPolicy(initial=0.15, fraction=0.15, maximum=3.0)
    assert p.interval(0) == 0.15 and p.interval(10) == pytest.approx(1.5) and p.interval(600) == 3.0
    t = FakeTime()
    c = waiter(Server(describe_sequence(["Pending"] * 30 + ["Running"])), t)
    c.wait_created("eci-1")
    polls = [s for s in t.sleeps if s != c.poller.gather]
    assert polls[0] == 0.15 and polls[-1] > 0.15 and polls == sorted(polls)


def test_wait_created_fails_with_events() -> None:
    events = [{"Type": "Warning", "Reason": "NoStock", "Message": "no stock in cn-hangzhou-b"}]
    c = waiter(Server(describe_sequence(["Scheduling", "ScheduleFailed"], Events=events)))
    with pytest.raises(GroupFailed, match="no stock") as info:
        c.wait_created("eci-1")
    assert info.value.events == events


def test_wait_created_gives_up_when_never_listed() -> None:
    t = FakeTime()
    c = waiter(Server(describe_sequence([None])), t, poll=PollPolicy(not_found_grace=10, grid=0.0))
    with pytest.raises(GroupFailed, match="not listed"):
        c.wait_created("eci-1")
    assert 10 <= t.now - 1000 <= 15


def test_wait_times_out() -> None:
    t = FakeTime()
    with pytest.raises(WaitTimeout, match="still Pending"):
        waiter(Server(describe_sequence(["Pending"])), t).wait_created("eci-1", timeout=20)
    assert t.now - 1000 <= 20


def test_wait_updated_does_not_return_before_the_update_shows() -> None:
    """The peer waits for Running right after the call and can return before Updating appears."""
    t = FakeTime()
    c = waiter(Server(describe_sequence(["Running", "Running", "Updating", "Updating", "Running"])), t)
    c.wait_updated("eci-1", effect=lambda obs: False)  # nothing visible: only Updating shows the effect
    assert len([s for s in t.sleeps if s != c.poller.gather]) == 4
    c2 = waiter(Server(describe_sequence(["Running"])), FakeTime())
    c2.wait_updated("eci-1", effect=lambda obs: obs.status == "Running")  # read-back matches at once


def test_update_waits_through_incorrect_status() -> None:
    state = {"updates": 0}

    def script(action: str, params: dict[str, str], n: int) -> httpx.Response:
        if action == "DescribeContainerGroups":
            return ok({"ContainerGroups": [group("eci-1", ["Updating", "Running", "Running"][min(n - 1, 2)])]})
        state["updates"] += 1
        return err(400, "IncorrectStatus", "status Updating") if state["updates"] == 1 else ok()

    server = Server(script)
    waiter(server).update_when_ready("eci-1", "IncrementalUpdate", {"restart_policy": "Never"})
    tokens = {p["ClientToken"] for a, p, _ in server.requests if a == "UpdateContainerGroup"}
    # The refused attempt did nothing, so the next one is sent under a token of its own: a
    # service that remembered the refusal must not be able to replay it.
    assert state["updates"] == 2 and len(tokens) == 2


def test_update_of_a_ready_group_costs_one_call() -> None:
    """No Describe before the update: the service itself says IncorrectStatus when it must wait."""
    server = Server(lambda a, p, n: ok())
    waiter(server).update_when_ready("eci-1", "IncrementalUpdate", {"restart_policy": "Never"})
    assert [a for a, _, _ in server.requests] == ["UpdateContainerGroup"]


def test_delete_tolerates_already_gone() -> None:
    assert client(Server(lambda a, p, n: err(400, "InvalidParameter.NotFound"))).delete_container_group("x") is False


def test_concurrent_waits_share_batched_describes() -> None:
    calls: list[list[str]] = []

    def script(action: str, params: dict[str, str], n: int) -> httpx.Response:
        ids = json.loads(params["ContainerGroupIds"])
        calls.append(ids)
        return ok({"ContainerGroups": [group(i, "Running") for i in ids], "NextToken": ""})

    c = Waiter(
        EciClient(
            "cn-hangzhou",
            endpoint="https://eci.example.test",
            credentials=CREDS,
            transport=httpx.MockTransport(Server(script)),
        )
    )
    barrier = threading.Barrier(25)

    def wait(i: int) -> None:
        barrier.wait()
        c.wait_created(f"eci-{i}")

    threads = [threading.Thread(target=wait, args=(i,)) for i in range(25)]
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert time.monotonic() - started < 5
    assert sum(len(ids) for ids in calls) >= 25
    assert len(calls) <= 4, calls  # 25 waiters: two rounds of <= 20 ids, not 25 calls
    assert all(len(ids) <= 20 for ids in calls)


# -- unreadable answers ----------------------------------------------------------------------


def html(status: int = 200) -> httpx.Response:
    return httpx.Response(
        status, text="<html><body>502 Bad Gateway</body></html>", headers={"content-type": "text/html"}
    )


@pytest.mark.parametrize(
    "answer",
    [
        html(),
        httpx.Response(200, text='{"RequestId": "r", "ContainerGroups": [{"ContainerGr'),  # cut short
        httpx.Response(200, json=["not", "an", "object"]),
        httpx.Response(200, json={"RequestId": "r"}),  # no ContainerGroups at all
        httpx.Response(200, json={"RequestId": "r", "ContainerGroups": [{"Status": "Running"}]}),
    ],
    ids=["html", "truncated", "array", "no-list", "no-id"],
)
def test_an_unreadable_describe_is_an_error_never_gone(answer: httpx.Response) -> None:
    """Read as `{}` it was `[]`: the provider then reported a live group gone and Pulumi dropped
    it from the state, an orphan.  It must be a typed error, retried a few times."""
    server = Server(lambda action, params, n: answer)
    c = client(server)
    with pytest.raises(MalformedResponseError) as info:
        c.describe_container_groups(["eci-1"])
    assert info.value.action == "DescribeContainerGroups" and info.value.status == 200
    assert "DescribeContainerGroups" in str(info.value) and "HTTP 200" in str(info.value)
    assert len(server.requests) == RetryPolicy().malformed_max_attempts == 3
    with pytest.raises(MalformedResponseError):
        waiter(server).observe("eci-1")


def test_a_create_answer_without_the_id_is_a_typed_error_not_a_key_error() -> None:
    server = Server(lambda action, params, n: ok() if n < 3 else ok({"ContainerGroupId": "eci-1"}))
    assert client(server).create_container_group(SPEC, client_token="tok") == "eci-1"  # recovered on the 3rd
    tokens = {p["ClientToken"] for _, p, _ in server.requests}
    assert tokens == {"tok"}  # retries of one operation share its token
    with pytest.raises(MalformedResponseError, match=r"CreateContainerGroup: MalformedResponse.*ContainerGroupId"):
        client(Server(lambda *a: ok())).create_container_group(SPEC, client_token="tok")


def test_waiting_for_a_delete_does_not_succeed_on_an_unreadable_answer() -> None:
    with pytest.raises(MalformedResponseError):
        waiter(Server(lambda *a: html())).wait_deleted("eci-1", timeout=60)


def test_a_malformed_answer_recovers_like_a_5xx() -> None:
    server = Server(
        lambda action, params, n: html() if n == 1 else ok({"ContainerGroups": [group("eci-1", "Running")]})
    )
    assert [g["ContainerGroupId"] for g in client(server).describe_container_groups(["eci-1"])] == ["eci-1"]


def test_http_429_is_retried_after_its_retry_after_seconds() -> None:
    t = FakeTime()
    answers = [httpx.Response(429, text="slow down", headers={"Retry-After": "7"}), ok({"ContainerGroups": []})]
    server = Server(lambda action, params, n: answers[n - 1])
    assert client(server, t).describe_container_groups(["eci-1"]) == []
    assert len(server.requests) == 2 and t.sleeps[0] >= 7.0


@pytest.mark.parametrize("status", [505, 507, 520, 599])
def test_every_5xx_is_retried(status: int) -> None:
    server = Server(lambda action, params, n: html(status) if n == 1 else ok({"ContainerGroups": []}))
    assert client(server).describe_container_groups(["eci-1"]) == []
    assert len(server.requests) == 2


# -- every secret sent is scrubbed from error text ---------------------------------------------


def test_an_error_echoing_the_request_shows_no_secret_it_carried() -> None:
    """The service (or a proxy) may echo parameters back, as sent or URL-encoded.  Every secret
    the call carried is scrubbed: typed (a password), marked by the program (sealed), and the
    key pair; not only parameters named *.Password or *.Content."""
    from urllib.parse import quote, quote_plus

    from eci_provider.spec.secret import Secret

    marked = "p@ss word/&=marked"
    password = "pw: with spaces & more"

    def echo(action: str, params: dict[str, str], n: int) -> httpx.Response:
        text = " | ".join(f"{k}={v}" for k, v in params.items())
        return err(400, "InvalidParameter", f"{text} || {quote(text)} || {quote_plus(text)}")

    fields = {
        "containers": [{"name": "web", "image": "nginx", "environment_vars": [{"key": "T", "value": Secret(marked)}]}],
        "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": Secret(password)}],
    }
    with pytest.raises(InvalidRequestError) as info:
        client(Server(echo)).update_container_group("eci-1", "RenewUpdate", fields)
    message = str(info.value)
    assert "nginx" in message and "r.example.com" in message  # the rest of the echo is kept
    for value in (marked, password, SECRET):
        for form in (value, quote(value), quote(value, safe=""), quote_plus(value)):
            assert form not in message, form


def test_a_create_scrubs_values_the_program_marked() -> None:
    def echo(action: str, params: dict[str, str], n: int) -> httpx.Response:
        return err(400, "InvalidParameter", " ".join(params.values()))

    marked_spec = ContainerGroupSpec.model_validate(
        {
            "name": "web",
            "containers": [{"name": "w", "image": "nginx", "environment_vars": [{"key": "K", "value": "MARKED-v"}]}],
        }
    )
    with pytest.raises(InvalidRequestError) as info:
        client(Server(echo)).create_container_group(marked_spec, client_token="t", sensitive=["MARKED-v"])
    assert "MARKED-v" not in str(info.value) and "nginx" in str(info.value)
    with pytest.raises(InvalidRequestError) as info:
        client(Server(echo)).create_container_group(SPEC, client_token="t")
    assert "registry-PASSWORD" not in str(info.value)  # secret by type: known from the spec


# -- waiters: a shared clock grid, and cancel ---------------------------------------------------


def test_waits_wake_on_a_shared_clock_grid() -> None:
    """Concurrent waits that started at different moments poll in the same Describe rounds."""
    t = FakeTime()
    t.now = 1000.013
    c = Waiter(
        client(Server(describe_sequence(["Pending", "Pending", "Running"])), t),
        poll=PollPolicy(initial=0.15, grid=0.05),
        clock=t.clock,
        sleep=t.sleep,
    )
    c.wait_created("eci-1")
    wakes = []
    now = 1000.013
    for s in t.sleeps:
        now += s
        if s != c.poller.gather:
            wakes.append(round(now, 6))
    assert wakes and all(abs(w / 0.05 - round(w / 0.05)) < 1e-6 for w in wakes), wakes


def test_a_cancelled_wait_stops_at_once_and_names_the_group() -> None:
    c = Waiter(client(Server(describe_sequence(["Pending"])), FakeTime()), poll=PollPolicy(grid=0.0))
    c.cancel.set()
    with pytest.raises(Cancelled, match="eci-1"):
        c.wait_created("eci-1", timeout=600)
    assert c.client.calls == {"DescribeContainerGroups": 1}  # one look, then no more waiting


def test_the_client_takes_no_embedded_endpoint() -> None:
    """Building the emulator is the caller's choice (the provider settings), not the client's."""
    with pytest.raises(ValueError, match="embedded_transport"):
        EciClient("cn-hangzhou", endpoint="embedded::memory:", credentials=CREDS)


# -- a cancel stops calls that are queued or backing off ---------------------------------------


class CancelWhileAsleep(FakeTime):
    """Fake time whose ``cancel`` event is set during the first sleep: Ctrl-C arriving while a
    call waits for its slot or for its retry."""

    def __init__(self) -> None:
        super().__init__()
        self.cancel = threading.Event()

    def sleep(self, s: float) -> None:
        super().sleep(s)
        self.cancel.set()


def test_a_cancel_stops_a_call_backing_off_after_throttling() -> None:
    server = Server(lambda action, params, n: err(400, "Throttling"))
    t = CancelWhileAsleep()
    c = client(server, t, retry=RetryPolicy(max_attempts=10))
    c.cancel = t.cancel
    with pytest.raises(Cancelled, match="CreateContainerGroup: not sent"):
        c.create_container_group(SPEC, client_token="tok")
    assert len(server.requests) == 1  # no retry after the cancel


def test_a_cancel_stops_a_call_queued_for_its_rate_limit_slot() -> None:
    from eci_provider.cloud.ratelimit import RateLimiter

    server = Server(lambda action, params, n: ok({"ContainerGroupId": f"eci-{n}"}))
    t = CancelWhileAsleep()
    limiter = RateLimiter({"CreateContainerGroup": 1}, clock=t.clock, sleep=FakeTime().sleep)
    c = client(server, t, limiter=limiter)
    c.cancel = t.cancel
    assert c.create_container_group(SPEC, client_token="a") == "eci-1"
    with pytest.raises(Cancelled):
        c.create_container_group(SPEC, client_token="b")  # its slot is a minute away
    assert [a for a, _, _ in server.requests] == ["CreateContainerGroup"]  # the second was never sent


def test_a_repeated_next_token_is_a_malformed_answer_not_an_endless_listing() -> None:
    server = Server(lambda action, params, n: ok({"ContainerGroups": [], "NextToken": "same"}))
    with pytest.raises(MalformedResponseError, match="repeats NextToken"):
        client(server).describe_container_groups()
    assert len(server.requests) == 2
