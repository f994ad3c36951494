"""Provider settings, and the connection they describe (a client and its waiter).

Settings come from the stack config (``eci:*``), then the standard ``ALIBABA_CLOUD_*``
environment variables.  This is also where an ``embedded:PATH`` endpoint becomes the in-process
emulator's transport: building the test double is the caller's choice, never the client's.

ECI's API rate limits count per account, so every client of a provider process that talks to
one endpoint with one access key shares one :class:`~eci_provider.cloud.ratelimit.RateLimiter`
(:func:`shared_limiter`): a second configure of the same stack, or a second provider instance
in the process, draws on the same budget instead of doubling it.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cloud.client import EciClient
from ..cloud.credentials import Credentials
from ..cloud.ratelimit import DOCUMENTED_LIMITS, RateLimiter, parse_rate_limits
from ..cloud.retry import RetryPolicy
from ..cloud.waiters import Waiter

__all__ = ["CONFIG_KEYS", "EMBEDDED", "RATE_LIMITS_ENV", "Settings", "connect", "shared_limiter"]

#: The environment fallback of ``eci:rateLimits``.
RATE_LIMITS_ENV = "ECI_RATE_LIMITS"

#: Every ``eci:*`` key :meth:`Settings.from_config` reads; the native plugin's package schema
#: declares the same (a test holds the two together).
CONFIG_KEYS = (
    "region",
    "endpoint",
    "accessKeyId",
    "accessKeySecret",
    "securityToken",
    "retryMaxAttempts",
    "timeoutSeconds",
    "rateLimits",
)

EMBEDDED = "embedded:"
#: What the embedded emulator accepts by default: there is no cloud account to protect.
_EMBEDDED_DEFAULT_KEY = ("testid", "testsecret")
#: The host an embedded endpoint's requests name (and the V3 signature covers); never resolved.
_EMBEDDED_URL = "http://eci.embedded.invalid"


@dataclass(frozen=True)
class Settings:
    region: str
    endpoint: str | None
    credentials: Credentials
    #: ``eci:retryMaxAttempts``: attempts per API call under throttling, 5xx or lost answers.
    retry_max_attempts: int = 10
    #: ``eci:timeoutSeconds``: how long a create, update or delete may wait for its effect.
    timeout: float = 1200.0
    #: ``eci:rateLimits`` (or ``ECI_RATE_LIMITS``): calls per minute by action that the process
    #: allows itself; the documented limits, with the actions the setting names replaced.
    rate_limits: Mapping[str, int] = field(default_factory=lambda: dict(DOCUMENTED_LIMITS))

    @classmethod
    def from_config(cls, get: Callable[[str], Any]) -> Settings:
        """``eci:*`` stack config first, then the standard environment variables."""
        region = get("eci:region") or os.environ.get("ALIBABA_CLOUD_REGION_ID")
        if not region:
            raise ValueError("no region: set eci:region in the stack config (or ALIBABA_CLOUD_REGION_ID)")
        endpoint = get("eci:endpoint") or os.environ.get("ECI_ENDPOINT") or None
        ak, sk = get("eci:accessKeyId"), get("eci:accessKeySecret")
        token = get("eci:securityToken")
        if endpoint and endpoint.startswith(EMBEDDED) and not (ak or os.environ.get("ALIBABA_CLOUD_ACCESS_KEY_ID")):
            ak, sk = _EMBEDDED_DEFAULT_KEY
        attempts = _number(get("eci:retryMaxAttempts"), "eci:retryMaxAttempts", int, cls.retry_max_attempts)
        timeout = _number(get("eci:timeoutSeconds"), "eci:timeoutSeconds", float, cls.timeout)
        limits = _rate_limits(get("eci:rateLimits"))
        return cls(region, endpoint, Credentials.resolve(ak, sk, token), attempts, timeout, limits)


def _rate_limits(raw: Any) -> dict[str, int]:
    """``eci:rateLimits``, else ``ECI_RATE_LIMITS``: ``Action=N,...`` or a JSON object."""
    if raw not in (None, ""):
        return parse_rate_limits(raw, name="eci:rateLimits")
    env = os.environ.get(RATE_LIMITS_ENV)
    if env:
        return parse_rate_limits(env, name=f"eci:rateLimits (from {RATE_LIMITS_ENV})")
    return dict(DOCUMENTED_LIMITS)


def _number(raw: Any, name: str, kind: type, default: Any) -> Any:
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {raw!r} is not a number") from None
    if value <= 0:
        raise ValueError(f"{name}: must be above 0, got {raw!r}")
    return value


_limiters: dict[tuple[str, str], RateLimiter] = {}
_limiters_lock = threading.Lock()


#: The share of each account limit the provider paces itself to.  The limits are the
#: account's, not the process's: the console, scripts and other stacks draw on the same quota,
#: and the service's minute is not aligned with ours.  At 90% a large stack runs close to the
#: quota without being the one that exhausts it, so Throttling stays the exception.
PACED_SHARE = 0.9


def paced(limits: Mapping[str, int]) -> dict[str, int]:
    """The per-minute budgets the provider allows itself under the account ``limits``."""
    return {action: max(1, math.floor(limit * PACED_SHARE)) for action, limit in limits.items()}


def shared_limiter(settings: Settings) -> RateLimiter:
    """The process's limiter for the account and endpoint of ``settings``, paced to
    :data:`PACED_SHARE` of its limits.

    A later configure with other limits changes the shared limiter's limits (the latest stack
    config wins) and keeps its throttling state.
    """
    key = (settings.endpoint or settings.region, settings.credentials.access_key_id)
    budgets = paced(settings.rate_limits)
    with _limiters_lock:
        limiter = _limiters.get(key)
        if limiter is None:
            limiter = _limiters[key] = RateLimiter(budgets)
        elif limiter.limits != budgets:
            limiter.configure(budgets)
        return limiter


def connect(settings: Settings, **client_options: Any) -> Waiter:
    """A client for ``settings`` and the waiter on top of it (``waiter.client``); the client
    draws on the process's shared limiter unless ``limiter=`` is given."""
    if "limiter" not in client_options:
        client_options["limiter"] = shared_limiter(settings)
    endpoint, transport = settings.endpoint, None
    if endpoint and endpoint.startswith(EMBEDDED):
        from ..emulator import embedded_transport

        endpoint, transport = _EMBEDDED_URL, embedded_transport(endpoint[len(EMBEDDED) :])
    client = EciClient(
        settings.region,
        endpoint=endpoint,
        credentials=settings.credentials,
        retry=RetryPolicy(max_attempts=settings.retry_max_attempts),
        transport=transport,
        **client_options,
    )
    return Waiter(client)
