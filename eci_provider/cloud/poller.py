"""One DescribeContainerGroups call for many concurrent waiters.

The Pulumi engine runs several resource operations at once (the dynamic provider serves four
RPCs concurrently; a stack has many groups).  Polling one group per call would multiply API
calls by the number of groups, and DescribeContainerGroups is rate limited (2,000/minute).
Waiters therefore ask this poller: the first one in a round becomes the leader, waits a short
gather window so others can join, then describes every requested ID in chunks of 20 and hands
each waiter its answer.

A call costs the same (one request, one slot of the rate limit) whether it names 3 IDs or 20.
So a round fills its last call with *riders*: groups that other waits are watching (see
:meth:`BatchPoller.watch`) but that are not due yet, the least recently seen first.  A wait
whose group rode along wakes early with that observation and reschedules from it, so waits that
started at different moments fall into the same rounds, and a status change can be seen before
the wait's own poll was due.  Riders never add a call.

With a rate limiter (``ready``), the leader also waits until a Describe may go before it takes
the batch: under a tight budget the batches grow instead of the calls queueing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchPoller", "Observation", "PollerStats", "Watch"]

Describe = Callable[[Sequence[str]], dict[str, dict[str, Any]]]

#: The most IDs one DescribeContainerGroups call takes (DescribeContainerGroups API reference).
IDS_PER_CALL = 20


@dataclass(frozen=True)
class Observation:
    """A group as one round saw it: its Describe element, or None when the answer omitted it."""

    round: int
    group: dict[str, Any] | None


@dataclass
class _Ticket:
    group_id: str
    done: bool = False
    result: Observation | None = None
    error: BaseException | None = None


@dataclass
class PollerStats:
    rounds: int = 0
    #: DescribeContainerGroups calls the rounds made (one per 20 IDs).
    calls: int = 0
    #: IDs described, riders included.
    ids_polled: int = 0
    #: IDs added to fill a call for a wait that was not due yet.
    riders: int = 0

    def ids_per_call(self) -> float:
        return self.ids_polled / self.calls if self.calls else 0.0


class Watch:
    """A wait's interest in one group (see :meth:`BatchPoller.watch`)."""

    def __init__(self, poller: BatchPoller, group_id: str) -> None:
        self._poller = poller
        self.group_id = group_id
        self._event = threading.Event()

    def newer(self, after: int) -> Observation | None:
        """The latest observation of the group from a round after round ``after``, if any."""
        seen = self._poller.latest(self.group_id)
        return seen if seen is not None and seen.round > after else None

    def wait_newer(self, after: int, timeout: float, cancelled: Callable[[], bool]) -> Observation | None:
        """Block up to ``timeout`` seconds for an observation newer than round ``after``; None
        when none came in time or ``cancelled()`` became true (checked on every wake)."""
        deadline = time.monotonic() + timeout
        while True:
            self._event.clear()
            seen = self.newer(after)
            if seen is not None or cancelled():
                return seen
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._event.wait(left)

    def wake(self) -> None:
        self._event.set()


@dataclass
class BatchPoller:
    describe: Describe
    #: How long a leader waits for other waiters to join its round.
    gather: float = 0.02
    sleep: Callable[[float], None] = time.sleep
    #: Seconds until a DescribeContainerGroups call may go (the process's rate limiter), or None.
    ready: Callable[[], float] | None = None
    #: Fill each call's free places with watched groups that are not due (see the module doc).
    riders: bool = True
    stats: PollerStats = field(default_factory=PollerStats)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[_Ticket] = []
        self._leading = False
        self._round = 0
        self._watches: dict[str, list[Watch]] = {}
        self._latest: dict[str, Observation] = {}

    def observe(self, group_id: str) -> dict[str, Any] | None:
        """The group's current DescribeContainerGroups element, or None if it is not listed."""
        return self.poll(group_id).group

    def poll(self, group_id: str) -> Observation:
        """Join the next round and return what it saw of ``group_id``."""
        ticket = _Ticket(group_id)
        with self._cond:
            self._pending.append(ticket)
            while not ticket.done:
                if not self._leading:
                    self._leading = True
                    break
                self._cond.wait()
        if not ticket.done:
            self._lead()
        if ticket.error is not None:
            raise ticket.error
        assert ticket.result is not None
        return ticket.result

    @contextmanager
    def watch(self, group_id: str) -> Iterator[Watch]:
        """Ride along in rounds while the block runs: the group is described whenever a call
        has room, and the watch is woken with each new observation."""
        w = Watch(self, group_id)
        with self._cond:
            self._watches.setdefault(group_id, []).append(w)
        try:
            yield w
        finally:
            with self._cond:
                watches = self._watches[group_id]
                watches.remove(w)
                if not watches:
                    del self._watches[group_id]
                    self._latest.pop(group_id, None)

    def latest(self, group_id: str) -> Observation | None:
        """The newest observation of a watched group."""
        with self._cond:
            return self._latest.get(group_id)

    def wake_all(self) -> None:
        """Wake every watch (a cancel: each wait then sees that it was cancelled)."""
        with self._cond:
            watches = [w for ws in self._watches.values() for w in ws]
        for w in watches:
            w.wake()

    def _lead(self) -> None:
        try:
            if self.gather > 0:
                self.sleep(self.gather)
            if self.ready is not None:
                wait = self.ready()
                if wait > 0:  # keep gathering while the Describe budget refills
                    self.sleep(wait)
            with self._cond:
                batch, self._pending = self._pending, []
                due = list(dict.fromkeys(t.group_id for t in batch))
                riders = self._riders(set(due), -len(due) % IDS_PER_CALL) if self.riders else []
                self._round += 1
                round_no = self._round
            ids = due + riders
            try:
                found = self.describe(ids)
                error: BaseException | None = None
            except BaseException as e:  # every waiter of the round learns of it
                found, error = {}, e
            with self._cond:
                self.stats.rounds += 1
                self.stats.calls += -(-len(ids) // IDS_PER_CALL)
                self.stats.ids_polled += len(ids)
                self.stats.riders += len(riders)
                for t in batch:
                    t.result, t.error, t.done = Observation(round_no, found.get(t.group_id)), error, True
                woken: list[Watch] = []
                if error is None:
                    for gid in ids:
                        if gid in self._watches:
                            self._latest[gid] = Observation(round_no, found.get(gid))
                            woken.extend(self._watches[gid])
            for w in woken:
                w.wake()
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()

    def _riders(self, due: set[str], room: int) -> list[str]:
        """Up to ``room`` watched groups not due in this round, the least recently seen first."""
        if room <= 0:
            return []
        candidates = [gid for gid in self._watches if gid not in due]
        candidates.sort(key=lambda gid: self._latest[gid].round if gid in self._latest else -1)
        return candidates[:room]
