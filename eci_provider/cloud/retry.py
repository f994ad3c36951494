"""Retries with exponential backoff and jitter, bounded by attempts and a deadline.

Kept to one small function instead of a library: the rules are specific (which ECI errors are
retryable, ``x-acs-retry-after`` in milliseconds as the official SDK reads it, a deadline shared
with the caller's operation) and the clock, sleep and randomness must be injectable so the
fault tests run in milliseconds and deterministically.  tenacity would fit, but would add a
runtime dependency to express the same twenty lines.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

from .errors import RETRYABLE, EciError, MalformedResponseError

T = TypeVar("T")
log = logging.getLogger("eci_provider.cloud.client")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry a retryable error (throttling, 5xx, transport)."""

    max_attempts: int = 10
    base_delay: float = 0.2
    max_delay: float = 10.0
    #: Give up after this many seconds in total, whatever ``max_attempts`` says.
    deadline: float = 120.0
    #: Attempts when the answers are unreadable (a 2xx that is not the documented JSON): a
    #: few, because that is rarely a passing condition.
    malformed_max_attempts: int = 3

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Equal jitter: half the exponential step is fixed, half random, so retries of many
        clients spread out (throttling) but never collapse to zero."""
        step = min(self.max_delay, self.base_delay * (2**attempt))
        return step / 2 + rng.uniform(0, step / 2)


@dataclass
class RetryStats:
    """Counters shared by every call of a client (and so by its threads)."""

    attempts: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, attempts: int = 0, retries: int = 0) -> None:
        with self._lock:
            self.attempts += attempts
            self.retries += retries


def retry_call(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    stats: RetryStats | None = None,
    coordinated: Callable[[EciError], float | None] | None = None,
) -> T:
    """Call ``fn`` until it succeeds, raises a non-retryable error, or the policy runs out.

    ``coordinated`` returns, for an error, the wait that a limiter shared by the whole process
    already imposes on every caller (its pause after a ``Throttling``), or None.  That wait
    replaces this call's own exponential delay: the process backs off as one, instead of each
    call on its own schedule.
    """
    rng = rng or random.Random()
    start = clock()
    attempt = 0
    malformed = 0
    while True:
        if stats is not None:
            stats.add(attempts=1)
        try:
            return fn()
        except RETRYABLE as e:
            attempt += 1
            malformed += isinstance(e, MalformedResponseError)
            shared = coordinated(e) if coordinated is not None else None
            wait = policy.delay(attempt - 1, rng) if shared is None else shared
            if e.retry_after:
                wait = max(wait, e.retry_after)
            out_of_attempts = attempt >= policy.max_attempts or malformed >= policy.malformed_max_attempts
            if out_of_attempts or clock() - start + wait > policy.deadline:
                log.debug("%s: giving up after %d attempts: %s", what, attempt, e.code)
                raise
            if stats is not None:
                stats.add(retries=1)
            log.debug("%s: %s, retry %d in %.2fs", what, e.code, attempt, wait)
            sleep(wait)


def retry_after_seconds(acs_header: str | None, http_header: str | None = None) -> float | None:
    """How long the answer asked us to wait, in seconds, or None.

    ``x-acs-retry-after`` is milliseconds (the official SDK sleeps that many ms).  The standard
    ``Retry-After`` of an HTTP 429 (RFC 9110) is seconds or an HTTP date.  Capped at five
    minutes, so that a hostile or broken header cannot park an operation for a day.
    """
    if acs_header:
        try:
            ms = int(acs_header)
        except ValueError:
            ms = 0
        if ms > 0:
            return min(ms / 1000, _MAX_RETRY_AFTER)
    if http_header:
        text = http_header.strip()
        if text.isdigit():
            return min(float(text), _MAX_RETRY_AFTER) if int(text) > 0 else None
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
        return min(seconds, _MAX_RETRY_AFTER) if seconds > 0 else None
    return None


_MAX_RETRY_AFTER = 300.0


__all__ = ["EciError", "RetryPolicy", "RetryStats", "retry_after_seconds", "retry_call"]
