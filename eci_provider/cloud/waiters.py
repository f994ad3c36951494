"""Await logic: when has a create, an update or a delete taken effect?

Kept apart from the RPC client, as pulumi-kubernetes keeps its await logic apart from CRUD: the
client says what the service answered; a :class:`Waiter` decides, from what Describe shows over
time, when an operation is done, when it failed (with the group's last events), and when the
wait must give up.

Waiters of one process share a :class:`~eci_provider.cloud.poller.BatchPoller`, so concurrent
waits cost one DescribeContainerGroups call per round for up to 20 groups.  Two things put
waits that started at different moments into the same rounds: they wake on a shared clock grid
(every ``grid`` seconds), and a wait whose group rode along in another wait's round (the poller
fills each call's 20 IDs with watched groups) takes that observation at once and reschedules
from it.  The waits' Describe calls go through the client, and so through the process's rate
limiter: one batched call, one slot.

:attr:`Waiter.cancel` cancels every wait at once (the native provider's Cancel, Ctrl-C): they
stop at once with a :class:`CancelSignal` (the default), within one poll interval with a plain
:class:`threading.Event`, and say which group was waiting.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..spec.status import (
    FAILED_STATUSES,
    REPLACE_STATUSES,
    TERMINAL_STATUSES,
    UPDATABLE_STATUSES,
    settled_statuses,
)
from . import wire
from .client import EciClient, new_client_token
from .errors import Cancelled, GroupFailed, IncorrectStatusError, WaitTimeout
from .poller import BatchPoller, Observation, Watch

__all__ = ["CancelSignal", "Cancelled", "PollPolicy", "Waiter"]

log = logging.getLogger("eci_provider.cloud.waiters")


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
    #: Waits wake on multiples of this many seconds of the shared clock, so that concurrent
    #: waits share Describe rounds (0: wake exactly after the interval).
    grid: float = 0.05

    def interval(self, in_status: float) -> float:
        return min(self.maximum, max(self.initial, self.fraction * in_status))


class CancelSignal(threading.Event):
    """A :class:`threading.Event` whose ``set()`` also wakes every wait in progress at once."""

    def __init__(self) -> None:
        super().__init__()
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()

    def subscribe(self, listener: Callable[[], None]) -> None:
        with self._listeners_lock:
            self._listeners.append(listener)

    def set(self) -> None:
        super().set()
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()


class Waiter:
    """Waits on groups through one client; thread-safe, shared by every operation of a process."""

    def __init__(
        self,
        client: EciClient,
        *,
        poll: PollPolicy | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        cancel: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.poll = poll or PollPolicy()
        self._clock, self._sleep = clock, sleep
        self.cancel = cancel if cancel is not None else CancelSignal()
        limiter = client.limiter
        ready = (lambda: limiter.delay("DescribeContainerGroups")) if limiter is not None else None
        self.poller = BatchPoller(self._describe_batch, sleep=sleep, ready=ready)
        if isinstance(self.cancel, CancelSignal):
            self.cancel.subscribe(self.poller.wake_all)

    def _describe_batch(self, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        return {g["ContainerGroupId"]: g for g in self.client.describe_container_groups(ids)}

    def observe(self, group_id: str) -> wire.Observed | None:
        """The group as it is now (through the shared poller), or None if Describe omits it."""
        group = self.poller.observe(group_id)
        return wire.observe(group) if group is not None else None

    def _pause(
        self, seconds: float, group_id: str, what: str, watch: Watch | None = None, after: int = 0
    ) -> Observation | None:
        """Sleep until the next grid tick at least ``seconds`` away, unless cancelled first; with
        a ``watch``, return early with an observation of the group newer than round ``after``
        (another wait's round described it), else None."""
        if self.cancel.is_set():
            raise _cancelled(group_id, what)
        grid = self.poll.grid
        if grid > 0:
            now = self._clock()
            seconds = math.ceil((now + seconds) / grid) * grid - now
        if self._sleep is time.sleep:
            if watch is not None:
                seen = watch.wait_newer(after, seconds, self.cancel.is_set)
            else:
                self.cancel.wait(seconds)
                seen = None
            if self.cancel.is_set():
                raise _cancelled(group_id, what)
            return seen
        self._sleep(seconds)  # an injected sleep (tests move a fake clock)
        return watch.newer(after) if watch is not None else None

    # -- the generic wait -------------------------------------------------------------------

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
        the deadline, Cancelled when cancelled.  Polling starts fast, backs off, and starts fast
        again on a status change."""
        with self.poller.watch(group_id) as watch:
            return self._wait(watch, done, timeout=timeout, what=what, fail=fail)

    def _wait(
        self,
        watch: Watch,
        done: Callable[[wire.Observed | None], bool],
        *,
        timeout: float,
        what: str,
        fail: Callable[[wire.Observed | None], str | None],
    ) -> wire.Observed | None:
        group_id = watch.group_id
        deadline = self._clock() + timeout
        last_status: str | None = "(none)"
        since = self._clock()
        seen = self.poller.poll(group_id)
        while True:
            obs = wire.observe(seen.group) if seen.group is not None else None
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
                    group_id=group_id,
                )
            newer = self._pause(interval, group_id, what, watch, seen.round)
            seen = newer if newer is not None else self.poller.poll(group_id)

    # -- what each operation waits for ------------------------------------------------------

    def wait_created(self, group_id: str, *, timeout: float = 1200.0, run_to_completion: bool = False) -> wire.Observed:
        """Running (or Succeeded, for groups that run to completion); fail on Failed or
        ScheduleFailed with the events; tolerate a short "not listed yet" window."""
        start = self._clock()
        targets = settled_statuses(run_to_completion)

        def fail(obs: wire.Observed | None) -> str | None:
            if obs is None:
                if self._clock() - start > self.poll.not_found_grace:
                    return f"not listed by DescribeContainerGroups {self.poll.not_found_grace:.0f}s after creation"
                return None
            if obs.status in FAILED_STATUSES or (obs.status == "Succeeded" and not run_to_completion):
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
        targets = settled_statuses(run_to_completion)

        def done(obs: wire.Observed | None) -> bool:
            if obs is None:
                return False
            if obs.status in ("Updating", "Restarting") or effect(obs):
                seen["effect"] = True
            return seen["effect"] and obs.status in targets

        def fail(obs: wire.Observed | None) -> str | None:
            if obs is None:
                return "the group disappeared during the update"
            if obs.status in FAILED_STATUSES:
                return f"ended {obs.status} after the update"
            return None

        obs = self.wait(group_id, done, timeout=timeout, what="wait for the update", fail=fail)
        assert obs is not None
        return obs

    def wait_deleted(self, group_id: str, *, timeout: float = 600.0) -> None:
        self.wait(group_id, lambda o: o is None, timeout=timeout, what="wait for deletion")

    # -- calls that may have to wait first ---------------------------------------------------

    def update_when_ready(
        self,
        group_id: str,
        update_type: str,
        fields: Mapping[str, Any],
        *,
        timeout: float = 600.0,
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
                self.client.update_container_group(group_id, update_type, fields, client_token=new_client_token())
                return
            except IncorrectStatusError as e:
                if self._clock() >= deadline:
                    raise WaitTimeout(
                        "WaitTimeout", f"{group_id} never became updatable: {e.message}", action="UpdateContainerGroup"
                    ) from None
                log.debug("update %s: %s; waiting for Pending/Running", group_id, e.code)
            self.wait_updatable(group_id, timeout=max(0.0, deadline - self._clock()))

    def delete_and_wait(self, group_id: str, *, timeout: float = 600.0) -> bool:
        """Delete (waiting out ``IncorrectStatus``) and wait until Describe no longer lists the
        group; False when it was already gone."""
        deadline = self._clock() + timeout
        while True:
            try:
                existed = self.client.delete_container_group(group_id)
                break
            except IncorrectStatusError as e:
                if self._clock() >= deadline:
                    raise WaitTimeout(
                        "WaitTimeout", f"{group_id} could not be deleted: {e.message}", action="DeleteContainerGroup"
                    ) from None
                if self.observe(group_id) is None:
                    return False
                self._pause(self.poll.initial, group_id, "delete")
        self.wait_deleted(group_id, timeout=max(1.0, deadline - self._clock()))
        return existed


def _cancelled(group_id: str, what: str) -> Cancelled:
    return Cancelled("Cancelled", f"{what}: stopped waiting for {group_id} (cancelled)", action=what, group_id=group_id)


def _events(events: Sequence[Mapping[str, Any]]) -> str:
    if not events:
        return ""
    lines = [f"{e.get('Type', '')} {e.get('Reason', '')}: {e.get('Message', '')}" for e in events[-5:]]
    return "; last events: " + " | ".join(lines)
