"""``EciClient``: the ECI 2018-08-08 RPC API over httpx, with real signing and retries.

It is pure RPC: one method per action, over an httpx transport the caller may inject (as
httpx does: a test double, the in-process emulator, or the network).  Waiting for an effect is
not its business; :mod:`eci_provider.cloud.waiters` does that on top of it, as pulumi-kubernetes
keeps its await logic apart from CRUD.

* Signing: V3 (``ACS3-HMAC-SHA256``) by default, V1 (HMAC-SHA1) on request; both come from
  :mod:`eci_provider.cloud.signing`, which is tested against the official vectors and SDK.
* Business parameters travel in an ``application/x-www-form-urlencoded`` body rather than the
  URL: config-file contents can be long (a gateway may limit the URL's length), and both
  signatures cover the body.
* Retries: throttling, 5xx, ``ServiceUnavailable``/``InternalError``/``UnknownError`` and
  transport errors, with backoff and jitter, honouring ``x-acs-retry-after``.  Nothing else is
  retried blindly.  Every mutating call carries a ClientToken that stays the same across the
  retries of one logical operation, so a retried create never makes a second group.
* Rate limits: every attempt takes a slot from an injected
  :class:`~eci_provider.cloud.ratelimit.RateLimiter`, shared by the process (the provider's
  settings build one), so the process stays under the documented per-minute limits.  A
  ``Throttling`` answer is reported to it, and the retry waits out the limiter's pause, which
  every caller of that action shares, rather than backing off on its own.  Time queued for the
  process's own slots does not count against the retry deadline.  Once the retries are used
  up, the error names the action and its limit.
* Secrets: an error text never echoes a secret the request carried (the access key secret, STS
  token, registry passwords, config files, values the program marked secret), neither as sent
  nor URL-encoded.
* Endpoints: ``https://eci.{region}.aliyuncs.com`` by default, or any URL; with ``transport``,
  the URL only names the host that the V3 signature covers.
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
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, quote_plus, urlencode, urlsplit

import httpx

from ..spec.model import ContainerGroupSpec
from . import signing, wire
from .credentials import Credentials
from .errors import (
    Cancelled,
    EciError,
    MalformedResponseError,
    NotFoundError,
    ThrottlingError,
    TransportError,
    classify,
)
from .ratelimit import DOCUMENTED_LIMITS, Permit, RateLimiter
from .retry import RetryPolicy, RetryStats, retry_after_seconds, retry_call

__all__ = ["EciClient", "RetryPolicy"]

API_VERSION = "2018-08-08"
#: Actions that change nothing: a cancel does not stop them (see :attr:`EciClient.cancel`).
READ_ACTIONS = frozenset({"DescribeContainerGroups"})
log = logging.getLogger("eci_provider.cloud.client")


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
        transport: httpx.BaseTransport | None = None,
        limiter: RateLimiter | None = None,
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
        #: The process's call budgets (None: no client-side limit; throttled calls then back off
        #: each on its own).
        self.limiter = limiter
        self._clock, self._sleep = clock, sleep
        #: Set by a cancel (the provider's Cancel, Ctrl-C): a call that would change the cloud
        #: and is not sent yet is not sent, and one waiting for its slot or its retry stops
        #: waiting (:class:`Cancelled`).  Reads still run: after a cancel the provider describes
        #: the groups it stopped waiting for, to report where each one stands.
        self.cancel = threading.Event()
        self._rng = rng or random.Random()
        self._rng_lock = threading.Lock()
        if self.endpoint.startswith("embedded:"):
            raise ValueError(
                "an embedded: endpoint is not a URL: give EciClient the emulator's transport "
                "(eci_provider.emulator.embedded_transport), as the provider settings do"
            )
        base_url = self.endpoint if "://" in self.endpoint else "https://" + self.endpoint
        base_url = base_url.rstrip("/")
        self._host = urlsplit(base_url).netloc
        self._http = httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self._stats_lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.retry_stats = RetryStats()

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
        sensitive: Iterable[str] = (),
    ) -> dict[str, Any]:
        """Call ``action`` with business ``params`` (RegionId is added), retrying what is safe.

        ``expect`` checks a 2xx answer's shape and returns what is wrong with it (or None); a
        wrong shape is a :class:`MalformedResponseError`, retried a few times like a 5xx and
        never read as an empty answer.  ``sensitive`` are the secret values among ``params``,
        which no error text may echo.
        """
        business = {"RegionId": self.region_id, **params}
        if client_token is not None:
            business["ClientToken"] = client_token
        secrets = _scrub_list((*self._credentials.secrets(), *sensitive))
        limiter = self.limiter
        started, attempts = self._clock(), 0
        #: Seconds spent queued for this process's own slots.  They do not count against the
        #: retry deadline: that budget is for the service's answers, and a call queued behind
        #: a large stack's others must not give up at its first Throttling for having waited.
        queued = 0.0

        mutation = action not in READ_ACTIONS

        def pause(seconds: float) -> None:
            if mutation and self._sleep is time.sleep:
                self.cancel.wait(seconds)
            else:
                self._sleep(seconds)
            stop_if_cancelled()

        def stop_if_cancelled() -> None:
            if mutation and self.cancel.is_set():
                raise Cancelled("Cancelled", f"{action}: not sent (cancelled)", action=action)

        def attempt() -> dict[str, Any]:
            nonlocal attempts, queued
            attempts += 1
            stop_if_cancelled()
            permit: Permit | None = None
            if limiter is not None:
                before = self._clock()
                permit = limiter.acquire(action, sleep=pause)
                queued += self._clock() - before
            try:
                data = self._send(action, business, secrets, expect)
            except ThrottlingError as e:
                if permit is not None and limiter is not None:
                    limiter.throttled(permit, e.retry_after)
                raise
            if permit is not None and limiter is not None:
                limiter.succeeded(permit)
            return data

        try:
            return retry_call(
                attempt,
                self.retry,
                what=action,
                clock=lambda: self._clock() - queued,
                sleep=pause,
                rng=self._rng,
                stats=self.retry_stats,
                coordinated=self._shared_wait,
            )
        except ThrottlingError as e:
            raise self._still_throttled(e, attempts, self._clock() - started) from None

    def _shared_wait(self, error: EciError) -> float | None:
        """After a Throttling, wait out the limiter's pause (shared by every caller of the
        action); other errors, and actions without a budget, back off per call."""
        if not isinstance(error, ThrottlingError) or self.limiter is None or error.action is None:
            return None
        if self.limiter.limit(error.action) is None:
            return None
        return self.limiter.pause_left(error.action)

    def _still_throttled(self, error: ThrottlingError, attempts: int, elapsed: float) -> ThrottlingError:
        """The last Throttling, once the retries are used up, saying which limit it was."""
        action = error.action or "?"
        documented = DOCUMENTED_LIMITS.get(action)
        parts = [f"still throttled after {attempts} attempt{'s' if attempts != 1 else ''} over {elapsed:.0f}s"]
        if documented is not None:
            parts.append(f"ECI allows {documented} {action} calls per minute per account")
        budget = self.limiter.limit(action) if self.limiter is not None else None
        if budget is not None and self.limiter is not None:
            rate = self.limiter.rate(action) or budget
            parts.append(
                f"this process paces itself to {budget} per minute (90% of the account limit that "
                f"eci:rateLimits gives, or of ECI's), {rate:.3g} since the throttling; another client of the "
                f"account may be using the quota: retry later, or set eci:rateLimits to the share this stack "
                f"may use"
            )
        return ThrottlingError(
            error.code,
            f"{error.message}; {'; '.join(parts)}",
            request_id=error.request_id,
            status=error.status,
            action=error.action,
            retry_after=error.retry_after,
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

    def create_container_group(
        self, spec: ContainerGroupSpec, *, client_token: str, dry_run: bool = False, sensitive: Iterable[str] = ()
    ) -> str:
        """Create a group; every retry of this call sends ``client_token``, so a lost answer
        never makes a second group.  ``sensitive``: values the program marked secret (values
        secret by type are known from the spec)."""
        params = wire.to_create_params(spec, self.region_id)
        params.pop("RegionId")
        if dry_run:
            params["DryRun"] = "true"
        data = self.request(
            "CreateContainerGroup",
            params,
            client_token=client_token,
            expect=_expect_group_id,
            sensitive=(*wire.typed_secrets(spec), *sensitive),
        )
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
        seen: set[str] = set()
        while True:
            page = {**params, "Limit": "20"}
            if token:
                page["NextToken"] = token
            data = self.request("DescribeContainerGroups", page, expect=_expect_groups)
            out.extend(data["ContainerGroups"])
            token = data.get("NextToken") or ""
            if not token:
                return out
            if token in seen:  # a service that hands back a token it gave before would loop for ever
                raise MalformedResponseError(
                    "MalformedResponse",
                    f"the answer repeats NextToken after {len(out)} groups",
                    action="DescribeContainerGroups",
                )
            seen.add(token)

    def update_container_group(
        self, group_id: str, update_type: str, fields: Mapping[str, Any], *, client_token: str | None = None
    ) -> None:
        """One UpdateContainerGroup sending ``fields`` (spec field → plain data, secrets sealed,
        as a planner ``UpdateCall`` holds them); without ``client_token``, a new operation."""
        params, sensitive = wire.encode_update(update_type, fields)
        self.request(
            "UpdateContainerGroup",
            {"ContainerGroupId": group_id, **params},
            client_token=client_token or new_client_token(),
            expect=_expect_object,
            sensitive=sensitive,
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

    def restart_container_group(self, group_id: str, *, client_token: str | None = None) -> None:
        self.request(
            "RestartContainerGroup",
            {"ContainerGroupId": group_id},
            client_token=client_token or new_client_token(),
            expect=_expect_object,
        )


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


def _scrub_list(values: Iterable[str]) -> tuple[str, ...]:
    """Each secret as sent and as a server may echo it back URL-encoded, longest first (so that a
    secret containing another is replaced whole)."""
    out: set[str] = set()
    for v in values:
        if v and len(v) >= 3:
            out.update({v, quote(v, safe=""), quote_plus(v), quote(v)})
    return tuple(sorted(out, key=len, reverse=True))


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s and len(s) >= 3:
            text = text.replace(s, "***")
    return text


__all__ += ["EciError", "new_client_token"]
