"""API rate limits as the service enforces them: calls per minute, per access key and action.

ECI documents its limits per account and minute (ECI Limits documentation, "API rate
limits"), and answers a call beyond them with ``Throttling`` (HTTP 400; CreateContainerGroup
API reference, error codes).  How the service counts a minute is not documented.  The emulator
counts a sliding window: a call is refused when the same access key already made ``limit`` calls
of that action in the 60 seconds before it.  That is the strictest reading: a client that
passes it also passes a count per calendar minute.  Refused calls do not count.

Enforcement is off unless the config sets limits (a benchmark scales them down, e.g. 120 per
minute).  The counters run either way, so a run without limits still reports its peak calls per
minute, to compare with a run with them.  They live in memory: processes sharing a database
file count separately, as they do faults.
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["WINDOW_SECONDS", "RateLimits"]

WINDOW_SECONDS = 60.0


class RateLimits:
    """Admission per (access key, action); thread-safe."""

    def __init__(self, limits: Mapping[str, int] | None, clock: Callable[[], float]) -> None:
        self.limits = dict(limits) if limits is not None else None
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._peak: Counter[str] = Counter()
        self._throttled: Counter[str] = Counter()

    def admit(self, access_key_id: str, action: str) -> bool:
        """Count a call; False (and nothing counted) when it is over the action's limit."""
        now = self._clock()
        with self._lock:
            window = self._calls.setdefault((access_key_id, action), deque())
            while window and window[0] <= now - WINDOW_SECONDS:
                window.popleft()
            limit = self.limits.get(action) if self.limits is not None else None
            if limit is not None and len(window) >= limit:
                self._throttled[action] += 1
                return False
            window.append(now)
            self._peak[action] = max(self._peak[action], len(window))
            return True

    def stats(self) -> dict[str, Any]:
        """The limits (None: off), throttled answers by action, and by action the most calls
        one access key made in any 60 seconds."""
        with self._lock:
            return {
                "limits": dict(self.limits) if self.limits is not None else None,
                "throttled": dict(self._throttled),
                "peak_per_minute": dict(self._peak),
            }
