"""``EciClient``: the ECI 2018-08-08 RPC API over httpx, with real signing, retries and waiters.

* Signing: V3 (``ACS3-HMAC-SHA256``) by default, V1 (HMAC-SHA1) on request; both come from
  :mod:`eci_provider.cloud.signing`, which is tested against the official vectors and SDK.
* Business parameters travel in an ``application/x-www-form-urlencoded`` body rather than the
  URL: config-file contents can be long (a gateway may limit the URL's length), and both
  signatures cover the body.
* Retries: throttling, 5xx, ``ServiceUnavailable``/``InternalError``/``UnknownError`` and
  transport errors, with backoff and jitter, honouring ``x-acs-retry-after``.  Nothing else is
  retried blindly.  Every mutating call carries a ClientToken that stays the same across the
  retries of one logical operation, so a retried create never makes a second group.
* Waiters share a :class:`~eci_provider.cloud.poller.BatchPoller`: concurrent waits cost one
  DescribeContainerGroups call per round for up to 20 groups.
* Endpoints: ``https://eci.{region}.aliyuncs.com`` by default, any URL, or ``embedded:PATH`` for
  the in-process emulator (zero setup; used by the ``local`` stack).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import httpx

from ..planning.planner import REPLACE_STATUSES, TERMINAL_STATUSES, UPDATABLE_STATUSES
from ..spec.model import ContainerGroupSpec
from . import signing, wire
from .credentials import Credentials
from .errors import (
    EciError,
    GroupFailed,
    IncorrectStatusError,
    MalformedResponseError,
    NotFoundError,
    TransportError,
    WaitTimeout,
    classify,
)
from .poller import BatchPoller
from .retry import RetryPolicy, RetryStats, retry_after_seconds, retry_call

__all__ = ["EciClient", "PollPolicy", "RetryPolicy"]

API_VERSION = "2018-08-08"
log = logging.getLogger("eci_provider.cloud.client")

FAILED = frozenset({"Failed", "ScheduleFailed"})
_SECRET_PARAM_SUFFIXES = (".Password", ".Content")


def _targets(run_to_completion: bool) -> frozenset[str]:
    """Where a group settles: Running, or also Succeeded for a group that runs to completion."""
    return frozenset({"Running", "Succeeded"}) if run_to_completion else frozenset({"Running"})


@dataclass(frozen=True)
class PollPolicy:
    """Waiter polling: fast right after a status change, slower the longer a status lasts.

    The next poll comes after ``fraction`` of the time the group has spent in its current
    status (at least ``initial``, at most ``maximum``).  So a change is noticed within about
    ``fraction`` of how long the status lasted (15 %: a 1 s transition is seen within 0.15 s,
    a 40 s creation within 3 s), and a long wait settles to one poll every few seconds.
    Compared with a fixed geometric schedule, the delay no longer depends on where the polls
    happen to fall relative to the transition.
    """

    initial: float = 0.15
    fraction: float = 0.15
    maximum: float = 3.0
    #: How long a freshly created group may be missing from Describe before that is an error.
    not_found_grace: float = 30.0

    def interval(self, in_status: float) -> float:
        return min(self.maximum, max(self.initial, self.fraction * in_status))


class EciClient:
    """A thread-safe client for one region. Use as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        region_id: str,
        *,
        endpoint: str | None = None,
        credentials: Credentials | None = None,
        signature_version: str = "v3",
        timeout: float = 15.0,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if signature_version not in ("v1", "v3"):
            raise ValueError("signature_version must be 'v1' (HMAC-SHA1) or 'v3' (ACS3-HMAC-SHA256)")
        self.region_id = region_id
        self.endpoint = endpoint or f"https://eci.{region_id}.aliyuncs.com"
        self._credentials = credentials or Credentials.resolve()
        self.signature_version = signature_version
        self.retry = retry or RetryPolicy()
        self.poll = poll or PollPolicy()
        self._clock, self._sleep = clock, sleep
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        base_url, transport = _resolve_endpoint(self.endpoint, transport)
        self._host = urlsplit(base_url).netloc
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self._stats_lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.retry_stats = RetryStats()
        self.poller = BatchPoller(self._describe_batch, sleep=sleep)

    def __repr__(self) -> str:
        return f"EciClient(region_id={self.region_id!r}, endpoint={self.endpoint!r}, credentials={self._credentials!r})"

    def __reduce__(self) -> object:
        raise TypeError("EciClient must not be pickled (it holds credentials); build it in configure()")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> EciClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------------------------------
    # the RPC call
    # ----------------------------------------------------------------------------------

    def request(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        client_token: str | None = None,
        expect: Expect | None = None,
    ) -> dict[str, Any]:
        """Call ``action`` with business ``params`` (RegionId is added), retrying what is safe.

        ``expect`` checks a 2xx answer's shape and returns what is wrong with it (or None); a
        wrong shape is a :class:`MalformedResponseError`, retried a few times like a 5xx and
        never read as an empty answer.
        """
        business = {"RegionId": self.region_id, **params}
        if client_token is not None:
            business["ClientToken"] = client_token
        secrets = self._credentials.secrets() + tuple(
            v for k, v in business.items() if k.endswith(_SECRET_PARAM_SUFFIXES) and v
        )
        return retry_call(
            lambda: self._send(action, business, secrets, expect),
            self.retry,
            what=action,
            clock=self._clock,
            sleep=self._sleep,
            rng=self._rng,
            stats=self.retry_stats,
        )

    def _send(
        self, action: str, business: Mapping[str, str], secrets: Sequence[str], expect: Expect | None
    ) -> dict[str, Any]:
        with self._stats_lock:
            self.calls[action] += 1
        if self.signature_version == "v1":
            body, headers = self._sign_v1(action, business)
        else:
            body, headers = self._sign_v3(action, business)
        started = time.monotonic()
        try:
            response = self._http.post("/", content=body, headers=headers)
        except httpx.TransportError as e:
            log.debug("%s: transport error %s", action, type(e).__name__)
            raise TransportError(type(e).__name__, _scrub(str(e) or type(e).__name__, secrets), action=action) from None
        elapsed = time.monotonic() - started
        data = _json_object(response)
        if response.status_code >= 400:
            body = data or {}
            code = str(body.get("Code") or body.get("code") or f"HTTP{response.status_code}")
            message = _scrub(str(body.get("Message") or body.get("message") or response.reason_phrase), secrets)
            cls = classify(code, response.status_code)
            err = cls(
                code,
                message,
                request_id=body.get("RequestId"),
                status=response.status_code,
                action=action,
                retry_after=retry_after_seconds(
                    response.headers.get("x-acs-retry-after"), response.headers.get("retry-after")
                ),
            )
            log.debug(
                "%s: %s %s (%.0f ms, RequestId %s)", action, response.status_code, code, elapsed * 1000, err.request_id
            )
            raise err
        if data is None:
            raise MalformedResponseError(
                "MalformedResponse",
                f"the answer (HTTP {response.status_code}, {len(response.content)} bytes) is not a JSON object",
                status=response.status_code,
                action=action,
            )
        problem = expect(data) if expect is not None else None
        if problem:
            raise MalformedResponseError(
                "MalformedResponse",
                f"the answer (HTTP {response.status_code}) {problem}",
                request_id=data.get("RequestId") if isinstance(data.get("RequestId"), str) else None,
                status=response.status_code,
                action=action,
            )
        log.debug("%s: %s (%.0f ms, RequestId %s)", action, response.status_code, elapsed * 1000, data.get("RequestId"))
        return data

    def _nonce(self) -> str:
        with self._rng_lock:
            return uuid.UUID(int=self._rng.getrandbits(128)).hex

    def _sign_v1(self, action: str, business: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
        params = {
            "Action": action,
            "Version": API_VERSION,
            "Format": "JSON",
            "AccessKeyId": self._credentials.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": self._nonce(),
            "Timestamp": _utc_now(),
            **business,
        }
        if self._credentials.security_token:
            params["SecurityToken"] = self._credentials.security_token
        params["Signature"] = signing.rpc_signature("POST", params, self._credentials.access_key_secret)
        body = urlencode(params, quote_via=quote).encode()
        return body, {"content-type": "application/x-www-form-urlencoded"}

    def _sign_v3(self, action: str, business: Mapping[str, str]) -> tuple[bytes, dict[str, str]]:
        body = urlencode(dict(business), quote_via=quote).encode()
        headers = {
            "host": self._host,
            "content-type": "application/x-www-form-urlencoded",
            "x-acs-action": action,
            "x-acs-version": API_VERSION,
            "x-acs-date": _utc_now(),
            "x-acs-signature-nonce": self._nonce(),
            "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        }
        if self._credentials.security_token:
            headers["x-acs-security-token"] = self._credentials.security_token
        headers["authorization"] = signing.acs3_authorization(
            "POST",
            "/",
            {},
            headers,
            headers["x-acs-content-sha256"],
            self._credentials.access_key_id,
            self._credentials.access_key_secret,
        )
        return body, headers

    # ----------------------------------------------------------------------------------
    # actions
    # ----------------------------------------------------------------------------------

    def create_container_group(self, spec: ContainerGroupSpec, *, client_token: str, dry_run: bool = False) -> str:
        """Create a group; ``client_token`` makes retries (and re-runs) return the same group."""
        params = wire.to_create_params(spec, self.region_id)
        params.pop("RegionId")
        if dry_run:
            params["DryRun"] = "true"
        data = self.request("CreateContainerGroup", params, client_token=client_token, expect=_expect_group_id)
        return str(data["ContainerGroupId"])

    def describe_container_groups(
        self,
        ids: Iterable[str] | None = None,
        *,
        name: str | None = None,
        status: str | None = None,
        tags: Mapping[str, str] | None = None,
        with_event: bool = True,
        **filters: str,
    ) -> list[dict[str, Any]]:
        """Every matching group, following ``NextToken``; IDs are looked up 20 at a time."""
        base: dict[str, str] = {}
        if name:
            base["ContainerGroupName"] = name
        if status:
            base["Status"] = status
        for i, (k, v) in enumerate((tags or {}).items(), 1):
            base[f"Tag.{i}.Key"], base[f"Tag.{i}.Value"] = k, v
        if with_event:
            base["WithEvent"] = "true"
        base.update(filters)
        if ids is None:
            return self._describe_pages(base)
        id_list = list(dict.fromkeys(ids))
        out: list[dict[str, Any]] = []
        for i in range(0, len(id_list), 20):
            chunk = id_list[i : i + 20]
            out.extend(self._describe_pages({**base, "ContainerGroupIds": json.dumps(chunk)}))
        return out

    def _describe_pages(self, params: Mapping[str, str]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        token = ""
        while True:
            page = {**params, "Limit": "20"}
            if token:
                page["NextToken"] = token
            data = self.request("DescribeContainerGroups", page, expect=_expect_groups)
            out.extend(data["ContainerGroups"])
            token = data.get("NextToken") or ""
            if not token:
                return out

    def _describe_batch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {g["ContainerGroupId"]: g for g in self.describe_container_groups(ids)}

    def observe(self, group_id: str) -> wire.Observed | None:
        """The group as it is now (through the shared poller), or None if Describe omits it."""
        group = self.poller.observe(group_id)
        return wire.observe(group) if group is not None else None

    def update_container_group(
        self, group_id: str, params: Mapping[str, str], *, client_token: str | None = None
    ) -> None:
        """One UpdateContainerGroup; without ``client_token``, a new one (a new operation)."""
        self.request(
            "UpdateContainerGroup",
            {"ContainerGroupId": group_id, **params},
            client_token=client_token or new_client_token(),
            expect=_expect_object,
        )

    def delete_container_group(self, group_id: str, *, client_token: str | None = None, force: bool = False) -> bool:
        """Delete; False when the group was already gone (that is not an error)."""
        params = {"ContainerGroupId": group_id}
        if force:
            params["Force"] = "true"
        try:
            self.request(
                "DeleteContainerGroup", params, client_token=client_token or new_client_token(), expect=_expect_object
            )
        except NotFoundError:
            return False
        return True

    def delete_and_wait(self, group_id: str, *, timeout: float = 600.0) -> bool:
        """Delete (waiting out ``IncorrectStatus``) and wait until Describe no longer lists the
        group; False when it was already gone."""
        deadline = self._clock() + timeout
        while True:
            try:
                existed = self.delete_container_group(group_id)
                break
            except IncorrectStatusError as e:
                if self._clock() >= deadline:
                    raise WaitTimeout(
                        "WaitTimeout", f"{group_id} could not be deleted: {e.message}", action="DeleteContainerGroup"
                    ) from None
                if self.observe(group_id) is None:
                    return False
                self._sleep(self.poll.initial)
        self.wait_deleted(group_id, timeout=max(1.0, deadline - self._clock()))
        return existed

    def restart_container_group(self, group_id: str, *, client_token: str | None = None) -> None:
        self.request(
            "RestartContainerGroup",
            {"ContainerGroupId": group_id},
            client_token=client_token or new_client_token(),
            expect=_expect_object,
        )

    def update_when_ready(
        self, group_id: str, params: Mapping[str, str], *, timeout: float = 600.0, client_token: str | None = None
    ) -> None:
        """UpdateContainerGroup; on ``IncorrectStatus``, wait for Pending/Running and try again.

        The call is tried first rather than after a status poll: the caller has usually just
        seen the group running, and the service answers IncorrectStatus when it is not, so a
        poll up front would only cost a Describe round per update.
        """
        deadline = self._clock() + timeout
        while True:
            try:
                # One token per attempt that reaches the service: retries of a lost answer reuse
                # it (inside request()), but an attempt the service refused with IncorrectStatus
                # did nothing, and its token must not be able to replay that refusal.
                self.update_container_group(group_id, params, client_token=client_token or new_client_token())
                return
            except IncorrectStatusError as e:
                if self._clock() >= deadline:
                    raise WaitTimeout(
                        "WaitTimeout", f"{group_id} never became updatable: {e.message}", action="UpdateContainerGroup"
                    ) from None
                log.debug("update %s: %s; waiting for Pending/Running", group_id, e.code)
            self.wait_updatable(group_id, timeout=max(0.0, deadline - self._clock()))

    # ----------------------------------------------------------------------------------
    # waiters
    # ----------------------------------------------------------------------------------

    def wait(
        self,
        group_id: str,
        done: Callable[[wire.Observed | None], bool],
        *,
        timeout: float,
        what: str,
        fail: Callable[[wire.Observed | None], str | None] = lambda obs: None,
    ) -> wire.Observed | None:
        """Poll until ``done(observed)``; raise GroupFailed when ``fail`` says why, WaitTimeout at
        the deadline.  Polling starts fast, backs off, and starts fast again on a status change."""
        deadline = self._clock() + timeout
        last_status: str | None = "(none)"
        since = self._clock()
        while True:
            obs = self.observe(group_id)
            if done(obs):
                return obs
            reason = fail(obs)
            if reason:
                events = list(obs.events[-10:]) if obs else []
                raise GroupFailed(
                    obs.status if obs else "NotFound",
                    f"{group_id}: {reason}{_events(events)}",
                    events=events,
                    action=what,
                )
            status = obs.status if obs else None
            if status != last_status:
                last_status, since = status, self._clock()
            interval = self.poll.interval(self._clock() - since)
            if self._clock() + interval > deadline:
                raise WaitTimeout(
                    "WaitTimeout",
                    f"{what}: {group_id} is still {status or 'not listed'} after {timeout:.0f}s",
                    action=what,
                )
            self._sleep(interval)

    def wait_created(self, group_id: str, *, timeout: float = 1200.0, run_to_completion: bool = False) -> wire.Observed:
        """Running (or Succeeded, for groups that run to completion); fail on Failed or
        ScheduleFailed with the events; tolerate a short "not listed yet" window."""
        start = self._clock()
        targets = _targets(run_to_completion)

        def fail(obs: wire.Observed | None) -> str | None:
            if obs is None:
                if self._clock() - start > self.poll.not_found_grace:
                    return f"not listed by DescribeContainerGroups {self.poll.not_found_grace:.0f}s after creation"
                return None
            if obs.status in FAILED or (obs.status == "Succeeded" and not run_to_completion):
                return f"ended {obs.status} while being created"
            return None

        obs = self.wait(
            group_id,
            lambda o: o is not None and o.status in targets,
            timeout=timeout,
            what="wait for creation",
            fail=fail,
        )
        assert obs is not None
        return obs

    def wait_updatable(self, group_id: str, *, timeout: float = 600.0) -> wire.Observed:
        def fail(obs: wire.Observed | None) -> str | None:
            if obs is None:
                return "the group is gone"
            if obs.status in TERMINAL_STATUSES | REPLACE_STATUSES:
                return f"is {obs.status}, which cannot be updated"
            return None

        obs = self.wait(
            group_id,
            lambda o: o is not None and o.status in UPDATABLE_STATUSES,
            timeout=timeout,
            what="wait for Pending/Running",
            fail=fail,
        )
        assert obs is not None
        return obs

    def wait_updated(
        self,
        group_id: str,
        *,
        effect: Callable[[wire.Observed], bool],
        timeout: float = 1200.0,
        run_to_completion: bool = False,
    ) -> wire.Observed:
        """Wait until the update took effect (Updating was seen, or ``effect`` holds for the
        read-back group), then until Running.  Waiting for Running alone would return at once,
        before the service even flipped to Updating (the peer resource's race); waiting for
        Updating alone would hang when the update finishes between two polls, which is why
        ``effect`` is required."""
        seen = {"effect": False}
        targets = _targets(run_to_completion)

        def done(obs: wire.Observed | None) -> bool:
            if obs is None:
                return False
            if obs.status in ("Updating", "Restarting") or effect(obs):
                seen["effect"] = True
            return seen["effect"] and obs.status in targets

        def fail(obs: wire.Observed | None) -> str | None:
            if obs is None:
                return "the group disappeared during the update"
            if obs.status in FAILED:
                return f"ended {obs.status} after the update"
            return None

        obs = self.wait(group_id, done, timeout=timeout, what="wait for the update", fail=fail)
        assert obs is not None
        return obs

    def wait_deleted(self, group_id: str, *, timeout: float = 600.0) -> None:
        self.wait(group_id, lambda o: o is None, timeout=timeout, what="wait for deletion")


def new_client_token() -> str:
    """A ClientToken for one logical operation: random, so that two operations never share one.

    A token derived from the request's content would make the service replay an earlier
    operation's answer to a later operation with the same content (an image set back and forth,
    a group re-created after a destroy), and, derived from parameters that carry passwords, it
    would let anyone who sees it test guesses offline.  Retries of the same operation reuse it
    (see :meth:`EciClient.request`); recovery across runs is the owner tag's job, not the token's.
    """
    return "ecip-" + uuid.uuid4().hex


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The body as a JSON object, or None when it is not one (HTML from a proxy, truncated...)."""
    try:
        data = response.json()
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


Expect = Callable[[dict[str, Any]], "str | None"]


def _expect_object(data: dict[str, Any]) -> str | None:
    return None


def _expect_group_id(data: dict[str, Any]) -> str | None:
    group_id = data.get("ContainerGroupId")
    if not isinstance(group_id, str) or not group_id:
        return "has no ContainerGroupId"
    return None


def _expect_groups(data: dict[str, Any]) -> str | None:
    """A Describe answer must list its groups; only then does a missing ID mean "gone"."""
    groups = data.get("ContainerGroups")
    if not isinstance(groups, list):
        return "has no ContainerGroups list"
    if not all(isinstance(g, dict) and isinstance(g.get("ContainerGroupId"), str) for g in groups):
        return "lists a container group without a ContainerGroupId"
    token = data.get("NextToken")
    if token is not None and not isinstance(token, str):
        return "has a NextToken that is not a string"
    return None


def _utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text


def _events(events: Sequence[Mapping[str, Any]]) -> str:
    if not events:
        return ""
    lines = [f"{e.get('Type', '')} {e.get('Reason', '')}: {e.get('Message', '')}" for e in events[-5:]]
    return "; last events: " + " | ".join(lines)


def _resolve_endpoint(endpoint: str, transport: httpx.BaseTransport | None) -> tuple[str, httpx.BaseTransport | None]:
    """``embedded:PATH`` gives the in-process emulator; anything else is a URL."""
    if endpoint.startswith("embedded:"):
        from ..emulator import embedded_transport

        return "http://eci.embedded.invalid", transport or embedded_transport(endpoint[len("embedded:") :])
    if "://" not in endpoint:
        endpoint = "https://" + endpoint
    return endpoint.rstrip("/"), transport


__all__ += ["EciError", "new_client_token"]
