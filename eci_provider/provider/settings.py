"""Provider settings, and the connection they describe (a client and its waiter).

Settings come from the stack config (``eci:*``), then the standard ``ALIBABA_CLOUD_*``
environment variables.  This is also where an ``embedded:PATH`` endpoint becomes the in-process
emulator's transport: building the test double is the caller's choice, never the client's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..cloud.client import EciClient
from ..cloud.credentials import Credentials
from ..cloud.retry import RetryPolicy
from ..cloud.waiters import Waiter

__all__ = ["EMBEDDED", "Settings", "connect"]

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
        return cls(region, endpoint, Credentials.resolve(ak, sk, token), attempts, timeout)


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


def connect(settings: Settings, **client_options: Any) -> Waiter:
    """A client for ``settings`` and the waiter on top of it (``waiter.client``)."""
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
