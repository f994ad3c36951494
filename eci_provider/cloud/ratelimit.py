"""Client-side API rate limits: one limiter per provider process, one budget per action.

ECI limits each action per account and per minute (ECI Limits documentation, "API rate
limits"): DescribeContainerGroups 2,000 calls, CreateContainerGroup and DeleteContainerGroup
1,000, UpdateContainerGroup and RestartContainerGroup 500.  A provider process that drives many
groups at once would otherwise find those limits by being throttled, each call backing off on
its own.  :class:`RateLimiter` keeps the process under them instead, and when the service
throttles anyway (another process or machine uses the same account) it slows the whole process
down for that action, then recovers.

Each action has a budget: a rate of ``limit`` calls per 60 seconds with a burst allowance of a
quarter of it (the generic cell rate algorithm), and a log of its last ``limit`` calls, so that
no 60 seconds ever hold more than ``limit`` calls, however the burst and the steady rate add
up.  The process can so use the whole documented quota, and never sends more than a quarter
of it at once: a stack of a few dozen groups is not slowed down at all, a large one is paced
evenly instead of spending the minute's quota at its first second and then being throttled.
A caller *reserves* its slot and sleeps until it: callers go in order, each wakes once, and the
clock and sleep are injectable (the tests move a fake clock and never sleep).

On a ``Throttling`` answer (:meth:`RateLimiter.throttled`) the action's budget is cut once per
episode: every caller of that action pauses (0.5 s, doubling while the calls after each pause
are throttled again, at least what ``x-acs-retry-after`` asked), callers already queued are
re-queued behind the pause, the burst allowance is withheld, and the rate halves, at most once
per ``recover_after`` seconds.  Throttling that goes on within that time lengthens the pauses
but cuts the rate no further: a service's minute drains with time, whatever the rate, so that
a new provider process meeting the calls of the one before it in the service's count (each
``pulumi`` command starts one) waits a few pauses, instead of being cut to a thirty-second of
its rate and climbing back for a minute.  A call
that succeeds after a cut (:meth:`RateLimiter.succeeded`) ends the doubling: the next episode
pauses 0.5 s again.  Throttled answers to calls admitted before
the cut are part of the same episode and cut nothing more; that is what the permit's
generation tells.  After ``recover_after`` seconds without throttling the rate doubles again,
up to the configured limit.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "DOCUMENTED_LIMITS",
    "Permit",
    "RateLimiter",
    "parse_rate_limits",
]

log = logging.getLogger("eci_provider.cloud.ratelimit")

#: The limits count calls per minute.
WINDOW = 60.0
#: Kept between a call and the one ``limit`` calls later beyond the minute: a call reaches
#: the service a little after its slot, by a delay that varies.
WINDOW_MARGIN = 0.5

#: Calls per minute and account, from the ECI Limits documentation ("API rate limits").
DOCUMENTED_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "DescribeContainerGroups": 2000,
        "CreateContainerGroup": 1000,
        "DeleteContainerGroup": 1000,
        "UpdateContainerGroup": 500,
        "RestartContainerGroup": 500,
    }
)


def parse_rate_limits(raw: Any, *, name: str, base: Mapping[str, int] = DOCUMENTED_LIMITS) -> dict[str, int]:
    """Per-minute limits from a config value: ``base`` with the actions the value names replaced.

    Accepted: a mapping or a JSON object (``{"DescribeContainerGroups": 600}``), or
    ``Action=N`` pairs separated by commas (``DescribeContainerGroups=600,CreateContainerGroup=300``).
    Only the actions of ``base`` are known (a misspelt action must not silently keep its
    default), and each limit is a whole number of calls per minute above 0.  Errors are
    :class:`ValueError` naming ``name`` (the config key or flag).
    """
    if isinstance(raw, Mapping):
        pairs = list(raw.items())
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            raise ValueError(f"{name}: is empty; give Action=N pairs or a JSON object, e.g. {_EXAMPLE}")
        if text.startswith(("{", "[")):
            try:
                loaded = json.loads(text)
            except ValueError as e:
                raise ValueError(f"{name}: is not valid JSON ({e.msg} at character {e.pos})") from None
            if not isinstance(loaded, dict):
                raise ValueError(f"{name}: must be a JSON object of action to calls per minute")
            pairs = list(loaded.items())
        else:
            pairs = []
            for item in text.split(","):
                action, sep, value = item.partition("=")
                if not sep:
                    raise ValueError(f"{name}: {item.strip()!r} is not Action=N; e.g. {_EXAMPLE}")
                pairs.append((action.strip(), value.strip()))
    else:
        raise ValueError(f"{name}: must be Action=N pairs or a JSON object, not {type(raw).__name__}")
    limits = dict(base)
    seen: set[str] = set()
    for action, value in pairs:
        if action not in base:
            raise ValueError(f"{name}: unknown action {action!r}; known: {', '.join(sorted(base))}")
        if action in seen:
            raise ValueError(f"{name}: {action} is given twice")
        seen.add(action)
        limits[action] = _per_minute(value, f"{name}: {action}")
    return limits


_EXAMPLE = "DescribeContainerGroups=600,CreateContainerGroup=300"


def _per_minute(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{where}: {value!r} is not a number of calls per minute")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(f"{where}: {value!r} is not a whole number of calls per minute")
    if value <= 0:
        raise ValueError(f"{where}: must be at least 1 call per minute, got {value}")
    return value


@dataclass(frozen=True)
class Permit:
    """Leave to send one call: the action and the budget's generation it was granted under."""

    action: str
    generation: int


@dataclass
class ActionStats:
    """What one action's budget did, for benchmarks and logs."""

    calls: int = 0
    #: Calls that had to wait for their slot, and how long they waited in total.
    delayed: int = 0
    waited: float = 0.0
    #: Throttled answers reported, and the episodes they made (each pauses the action; the rate
    #: halves at most once per ``recover_after`` seconds).
    throttled: int = 0
    cuts: int = 0


@dataclass
class _Budget:
    """One action's GCRA state (all times on the limiter's clock)."""

    action: str
    per_minute: int
    #: Seconds between calls at full rate, and the burst allowance (seconds of slots) at full rate.
    interval: float
    tolerance: float
    tat: float = 0.0  # theoretical arrival time of the next call
    factor: float = 1.0  # the share of the full rate allowed now (cut on throttling)
    #: Bumped by every cut: a throttled answer to a call of an older generation is part of an
    #: episode already handled.
    generation: int = 0
    #: Bumped whenever the pause moves: a caller sleeping towards a slot reserved before that
    #: must queue again.
    epoch: int = 0
    paused_until: float = 0.0
    streak: int = 0  # consecutive cuts, each without a success in between
    changed_at: float = 0.0  # when the last episode began (recovery counts from it)
    halved_at: float = -math.inf  # when ``factor`` was last halved
    #: The slots of the last ``per_minute`` calls, oldest first.
    log: deque[float] = field(default_factory=deque)
    stats: ActionStats = field(default_factory=ActionStats)

    def effective_interval(self) -> float:
        return self.interval / self.factor

    def effective_tolerance(self) -> float:
        # No burst while recovering: the calls after a pause go at the lowered rate.
        return self.tolerance if self.factor >= 1.0 else 0.0


class RateLimiter:
    """Per-action call budgets shared by every client and thread of a process; thread-safe.

    ``limits`` maps an action to calls per minute; actions not listed are not limited.  Give the
    same instance to every :class:`~eci_provider.cloud.client.EciClient` of a process (the
    provider's ``settings.connect`` does), so that their calls share one budget.
    """

    def __init__(
        self,
        limits: Mapping[str, int] = DOCUMENTED_LIMITS,
        *,
        burst_fraction: float = 0.25,
        first_pause: float = 0.5,
        max_pause: float = 30.0,
        recover_after: float = 10.0,
        min_factor: float = 1 / 32,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0.0 <= burst_fraction < 1.0:
            raise ValueError("burst_fraction must be in [0, 1)")
        self.burst_fraction = burst_fraction
        self.first_pause, self.max_pause = first_pause, max_pause
        self.recover_after, self.min_factor = recover_after, min_factor
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}
        self.configure(limits)

    def configure(self, limits: Mapping[str, int]) -> None:
        """Set the per-minute limits (a new stack config); the throttling state is kept."""
        with self._lock:
            budgets: dict[str, _Budget] = {}
            for action, per_minute in limits.items():
                per_minute = _per_minute(per_minute, f"rate limit of {action}")
                burst = max(1, math.floor(per_minute * self.burst_fraction))
                interval = WINDOW / per_minute
                old = self._budgets.get(action)
                budget = _Budget(action, per_minute, interval, (burst - 1) * interval)
                if old is not None:
                    budget.tat, budget.factor = old.tat, old.factor
                    budget.generation, budget.epoch = old.generation, old.epoch
                    budget.paused_until, budget.streak, budget.changed_at = old.paused_until, old.streak, old.changed_at
                    budget.halved_at = old.halved_at
                    budget.log, budget.stats = deque(list(old.log)[-per_minute:]), old.stats
                budgets[action] = budget
            self._budgets = budgets

    @property
    def limits(self) -> dict[str, int]:
        """The configured calls per minute, by action."""
        with self._lock:
            return {a: b.per_minute for a, b in self._budgets.items()}

    def limit(self, action: str) -> int | None:
        with self._lock:
            budget = self._budgets.get(action)
            return budget.per_minute if budget else None

    def stats(self) -> dict[str, ActionStats]:
        """A copy of each action's counters."""
        with self._lock:
            return {a: ActionStats(**vars(b.stats)) for a, b in self._budgets.items()}

    def rate(self, action: str) -> float | None:
        """Calls per minute allowed now (lower than the limit after throttling), or None."""
        with self._lock:
            budget = self._budgets.get(action)
            if budget is None:
                return None
            self._recover(budget, self._clock())
            return 60.0 / budget.effective_interval()

    # -- asking for a slot ---------------------------------------------------------------

    def acquire(self, action: str, sleep: Callable[[float], None] | None = None) -> Permit:
        """Wait for the action's next slot, and take it.

        A caller queued when the budget is cut (a throttled answer) is re-queued behind the
        pause, at the lowered rate.  ``sleep`` replaces the limiter's own for this caller (a
        client's cancel-aware pause, which raises to leave the queue).
        """
        waited = 0.0
        while True:
            with self._lock:
                budget = self._budgets.get(action)
                if budget is None:
                    return Permit(action, 0)
                now = self._clock()
                slot = self._reserve(budget, now)
                generation, epoch = budget.generation, budget.epoch
                wait = slot - now
                if wait <= 0:
                    budget.stats.calls += 1
                    if waited > 0:
                        budget.stats.delayed += 1
                        budget.stats.waited += waited
                    return Permit(action, generation)
            (sleep or self._sleep)(wait)
            waited += wait
            with self._lock:
                if budget.epoch == epoch:  # the slot still holds: take it
                    budget.stats.calls += 1
                    budget.stats.delayed += 1
                    budget.stats.waited += waited
                    return Permit(action, generation)
            # Paused while we slept: the slot was reserved before the pause; queue again.

    def delay(self, action: str) -> float:
        """Seconds until a call of ``action`` could go, without reserving anything."""
        with self._lock:
            budget = self._budgets.get(action)
            if budget is None:
                return 0.0
            now = self._clock()
            self._recover(budget, now)
            return self._earliest(budget, now) - now

    def _reserve(self, budget: _Budget, now: float) -> float:
        self._recover(budget, now)
        slot = self._earliest(budget, now)
        budget.tat = max(budget.tat, slot) + budget.effective_interval()
        budget.log.append(slot)
        while len(budget.log) > budget.per_minute:
            budget.log.popleft()
        return slot

    @staticmethod
    def _earliest(budget: _Budget, now: float) -> float:
        """The earliest slot the rate, the pause and the 60-second log allow."""
        slot = max(now, budget.tat - budget.effective_tolerance(), budget.paused_until)
        if len(budget.log) >= budget.per_minute:
            slot = max(slot, budget.log[0] + WINDOW + WINDOW_MARGIN)
        return slot

    def _recover(self, budget: _Budget, now: float) -> None:
        """Double a cut rate for every ``recover_after`` seconds without throttling."""
        while budget.factor < 1.0 and now - budget.changed_at >= self.recover_after:
            budget.changed_at += self.recover_after
            budget.factor = min(1.0, budget.factor * 2)
            if budget.factor >= 1.0:
                budget.streak = 0
                log.info("%s: back to the full rate after throttling", budget.action)

    # -- the service said slow down ------------------------------------------------------

    def throttled(self, permit: Permit, retry_after: float | None = None) -> float:
        """Report a ``Throttling`` answer to the call ``permit`` admitted; returns how long
        every caller of the action now pauses (from now).

        The first report of an episode (a permit of the current generation) pauses the action and
        halves its rate (unless it was halved less than ``recover_after`` seconds ago); later
        reports of calls admitted before that cut only extend the pause to a longer
        ``retry_after``.
        """
        with self._lock:
            budget = self._budgets.get(permit.action)
            if budget is None:
                return retry_after or 0.0
            now = self._clock()
            budget.stats.throttled += 1
            if permit.generation == budget.generation:
                self._recover(budget, now)
                pause = min(self.max_pause, self.first_pause * 2**budget.streak)
                budget.streak += 1
                budget.generation += 1
                if budget.factor >= 1.0 or now - budget.halved_at >= self.recover_after:
                    budget.factor = max(self.min_factor, budget.factor / 2)
                    budget.halved_at = now
                budget.changed_at = now
                budget.stats.cuts += 1
                budget.paused_until = max(budget.paused_until, now + max(pause, retry_after or 0.0))
                self._requeue(budget, now)
                log.info(
                    "%s throttled: pausing every caller %.1fs, then %.0f calls per minute",
                    permit.action,
                    budget.paused_until - now,
                    60.0 / budget.effective_interval(),
                )
            elif retry_after and now + retry_after > budget.paused_until:
                budget.paused_until = now + retry_after
                self._requeue(budget, now)
            return max(0.0, budget.paused_until - now)

    def succeeded(self, permit: Permit) -> None:
        """Report a call that got an answer other than ``Throttling``.  Admitted after the last
        cut, it shows that the pause was long enough: the next episode starts short again."""
        with self._lock:
            budget = self._budgets.get(permit.action)
            if budget is not None and permit.generation == budget.generation:
                budget.streak = 0

    @staticmethod
    def _requeue(budget: _Budget, now: float) -> None:
        """Void the slots reserved for later than now (their callers, asleep, will queue again
        behind the pause) and restart the schedule at the pause's end."""
        while budget.log and budget.log[-1] > now:
            budget.log.pop()
        budget.tat = budget.paused_until
        budget.epoch += 1

    def pause_left(self, action: str) -> float:
        """Seconds until the action's throttling pause ends (0 when it is not paused)."""
        with self._lock:
            budget = self._budgets.get(action)
            return max(0.0, budget.paused_until - self._clock()) if budget else 0.0
