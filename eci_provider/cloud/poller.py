"""One DescribeContainerGroups call for many concurrent waiters.

The Pulumi engine runs several resource operations at once (the dynamic provider serves four
RPCs concurrently; a stack has many groups).  Polling one group per call would multiply API
calls by the number of groups, and DescribeContainerGroups is rate limited (2,000/minute).
Waiters therefore ask this poller: the first one in a round becomes the leader, waits a short
gather window so others can join, then describes every requested ID in chunks of 20 and hands
each waiter its answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Describe = Callable[[Sequence[str]], dict[str, dict[str, Any]]]


@dataclass
class _Ticket:
    group_id: str
    done: bool = False
    result: dict[str, Any] | None = None
    error: BaseException | None = None


@dataclass
class PollerStats:
    rounds: int = 0
    ids_polled: int = 0


@dataclass
class BatchPoller:
    describe: Describe
    #: How long a leader waits for other waiters to join its round.
    gather: float = 0.02
    sleep: Callable[[float], None] = time.sleep
    stats: PollerStats = field(default_factory=PollerStats)

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        self._pending: list[_Ticket] = []
        self._leading = False

    def observe(self, group_id: str) -> dict[str, Any] | None:
        """The group's current DescribeContainerGroups element, or None if it is not listed."""
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
        return ticket.result

    def _lead(self) -> None:
        try:
            if self.gather > 0:
                self.sleep(self.gather)
            with self._cond:
                batch, self._pending = self._pending, []
            ids = list(dict.fromkeys(t.group_id for t in batch))
            try:
                found = self.describe(ids)
                error: BaseException | None = None
            except BaseException as e:  # every waiter of the round learns of it
                found, error = {}, e
            with self._cond:
                self.stats.rounds += 1
                self.stats.ids_polled += len(ids)
                for t in batch:
                    t.result, t.error, t.done = found.get(t.group_id), error, True
        finally:
            with self._cond:
                self._leading = False
                self._cond.notify_all()
