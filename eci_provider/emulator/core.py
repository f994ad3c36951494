"""The :class:`Emulator`: one store, one service, one WSGI app, one fault injector."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .app import App
from .auth import Authenticator
from .config import EmulatorConfig
from .faults import FaultInjector, Faults
from .ratelimits import RateLimits
from .service import Service
from .store import Store


class Emulator:
    """A local ECI 2018-08-08 service.

    ``clock`` (seconds since the epoch) and ``sleep`` are injectable so that tests can move
    time without waiting; state lives in SQLite at ``config.db_path`` and survives a restart of
    the emulator when that is a file.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or time.time
        self.sleep = sleep or time.sleep
        self.store = Store(self.config.db_path)
        self.injector = FaultInjector(self.config.faults)
        self.rate_limits = RateLimits(self.config.rate_limits, self.clock)
        self.service = Service(self.store, self.config, self.injector, self.clock)
        self.authenticator = Authenticator(self.config, self.store, self.clock)
        self.wsgi_app = App(self)

    # -- faults ----------------------------------------------------------------------------
    @property
    def faults(self) -> Faults:
        return self.injector.faults

    @faults.setter
    def faults(self, faults: Faults) -> None:
        self.injector.set(faults)

    def set_faults(self, **changes: Any) -> Faults:
        """Change some faults at run time, e.g. ``emulator.set_faults(throttle_rate=0.5)``."""
        return self.injector.update(**changes)

    # -- inspection and test hooks ---------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Requests per action, groups ever created, faults injected, groups by status, and the
        rate limits: the limits enforced, throttled answers and peak calls per minute by action."""
        return {**self.service.stats(), "rate_limits": self.rate_limits.stats()}

    def journal(self, since: int = 0) -> list[dict[str, Any]]:
        """Accepted mutating calls with their decisions (see :meth:`Service.journal`)."""
        return self.service.journal(since)

    def groups(self) -> list[dict[str, Any]]:
        """Every stored group including invisible ones, secrets masked."""
        return self.service.snapshot()

    def force_status(self, group_id: str, status: str) -> None:
        """Put a group into ``status`` now (Python only; e.g. to test terminal states)."""
        self.service.force_status(group_id, status)

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return f"Emulator(db_path={self.config.db_path!r})"
