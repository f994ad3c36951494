"""Fault injection: the failure modes a reconciler must survive, on demand and reproducibly.

Every fault is a rate (probability per eligible request) or a duration, drawn from one seeded
RNG, so a failing test run can be replayed.  Faults apply only after a request authenticated:
a signing bug must never be masked by a lucky ``Throttling``.
"""

from __future__ import annotations

import dataclasses
import random
import threading
from dataclasses import dataclass

__all__ = ["DroppedResponse", "FaultInjector", "Faults", "MalformedAnswer"]


class MalformedAnswer(Exception):
    """Answer HTTP 200 with an HTML page instead of running the action (no effect)."""

    BODY = b"<html><head><title>502 Bad Gateway</title></head><body>upstream closed</body></html>"


class DroppedResponse(Exception):
    """The action was committed, and its response must not reach the client.

    The HTTP server closes the connection without writing anything; the in-process transport
    turns it into :class:`httpx.ReadError`.  This is the nastiest realistic failure for a
    create: the group exists, but the client does not know its ID (it must retry with the
    same ``ClientToken``, or find the group by name or tag).
    """


@dataclass(frozen=True)
class Faults:
    """What to inject.  All rates are probabilities in ``[0, 1]``."""

    #: ``Throttling`` (HTTP 400) instead of running the action.
    throttle_rate: float = 0.0
    #: When set, throttled responses carry ``x-acs-retry-after`` with this many milliseconds
    #: (the official SDK reads the header as milliseconds).
    retry_after_ms: int | None = None
    #: ``InternalError`` (500) or ``ServiceUnavailable`` (503), half each, without any effect.
    error_5xx_rate: float = 0.0
    #: Extra time before each authenticated request is handled.
    latency_seconds: float = 0.0
    #: CreateContainerGroup commits, then the response is dropped (see :class:`DroppedResponse`).
    drop_create_response_rate: float = 0.0
    #: UpdateContainerGroup commits, then the response is dropped.
    drop_update_response_rate: float = 0.0
    #: Instead of running the action, answer HTTP 200 with a body that is not the API's JSON (an
    #: HTML page, as a proxy in the way might send): a client must not read it as "nothing".
    malformed_response_rate: float = 0.0
    #: A new group is absent from DescribeContainerGroups for this long after its creation.
    visibility_delay_seconds: float = 0.0
    #: A new group goes Scheduling → ScheduleFailed instead of Pending.
    schedule_failed_rate: float = 0.0
    #: RNG seed; ``None`` seeds from the OS (not reproducible).
    seed: int | None = 0

    def __post_init__(self) -> None:
        for name in (
            "throttle_rate",
            "error_5xx_rate",
            "drop_create_response_rate",
            "drop_update_response_rate",
            "malformed_response_rate",
            "schedule_failed_rate",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for name in ("latency_seconds", "visibility_delay_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.retry_after_ms is not None and self.retry_after_ms <= 0:
            raise ValueError("retry_after_ms must be positive")


class FaultInjector:
    """Thread-safe holder of the current :class:`Faults` and the RNG that rolls them."""

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self._faults = faults or Faults()
        self._rng = random.Random(self._faults.seed)

    @property
    def faults(self) -> Faults:
        return self._faults

    def set(self, faults: Faults) -> None:
        """Replace the faults; the RNG is re-seeded only when the seed changes."""
        with self._lock:
            if faults.seed != self._faults.seed:
                self._rng = random.Random(faults.seed)
            self._faults = faults

    def update(self, **changes: object) -> Faults:
        faults = dataclasses.replace(self._faults, **changes)  # type: ignore[arg-type]
        self.set(faults)
        return faults

    def roll(self, rate: float) -> bool:
        """True with probability ``rate`` (never draws for a zero rate, so seeds stay stable)."""
        if rate <= 0.0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def choice(self, options: tuple[str, ...]) -> str:
        with self._lock:
            return self._rng.choice(options)
