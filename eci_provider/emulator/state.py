"""Runtime state of one emulated container group, as stored in SQLite (JSON).

A :class:`Group` holds the effective spec (field names, secrets in clear: the local database is
the emulator's own storage), the runtime facts DescribeContainerGroups reports (status, IPs,
per-container state and restart counts, events), and the operation in progress.  It is plain
data; :mod:`.lifecycle` moves it through the state machine.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from ..spec.model import ContainerGroupSpec

STATUSES = (
    "Scheduling",
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "ScheduleFailed",
    "Restarting",
    "Updating",
    "Terminating",
    "Expired",
)
#: Terminal states (DescribeContainerGroups API reference): kept for the retention period, never changed again.
TERMINAL = frozenset({"Succeeded", "Failed", "Expired"})
#: States UpdateContainerGroup and RestartContainerGroup accept (their API references).
MUTABLE = frozenset({"Pending", "Running"})
MAX_EVENTS = 50

_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_group_id() -> str:
    """``eci-`` and 20 random characters, the shape of real IDs; unique across processes."""
    return "eci-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(20))


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ContainerRuntime:
    """One container's (or init container's) runtime state."""

    name: str
    restart_count: int = 0
    state: str = "Waiting"  # Waiting | Running | Terminated
    reason: str | None = "ContainerCreating"
    started_at: float | None = None
    finished_at: float | None = None
    exit_code: int | None = None
    #: Terminated and not going to be restarted by the restart policy.
    done: bool = False
    previous: dict[str, Any] | None = None

    def snapshot(self) -> dict[str, Any]:
        """The ``CurrentState`` object of DescribeContainerGroups."""
        out: dict[str, Any] = {"State": self.state}
        if self.reason:
            out["Reason"] = self.reason
        if self.started_at is not None:
            out["StartTime"] = rfc3339(self.started_at)
        if self.state == "Terminated":
            out["ExitCode"] = self.exit_code if self.exit_code is not None else 0
            if self.finished_at is not None:
                out["FinishTime"] = rfc3339(self.finished_at)
        return out


@dataclass
class Group:
    """One container group: spec, placement, runtime state, events, operation in progress."""

    id: str
    region: str
    spec: dict[str, Any]
    status: str
    status_since: float
    created_at: float
    visible_at: float
    placement: dict[str, Any] = field(default_factory=dict)
    containers: list[ContainerRuntime] = field(default_factory=list)
    init_containers: list[ContainerRuntime] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    #: The operation whose completion is the next transition (update plan, restart).
    pending: dict[str, Any] | None = None
    #: Decided at creation by the ``schedule_failed_rate`` fault.
    schedule_fail: bool = False
    succeeded_at: float | None = None
    failed_at: float | None = None
    expired_at: float | None = None
    #: Set by the lifecycle when the group must disappear (deleted, or auto-removed).
    gone: bool = False

    # -- spec access ---------------------------------------------------------------------
    def model(self) -> ContainerGroupSpec:
        """The stored spec as a model (validated as observed data: it was checked when written)."""
        return ContainerGroupSpec.model_validate(self.spec, context={"observed": True})

    def container_specs(self) -> dict[str, dict[str, Any]]:
        return {c["name"]: c for c in self.spec.get("containers") or ()}

    @property
    def terminal_at(self) -> float | None:
        if self.status not in TERMINAL:
            return None
        return self.succeeded_at or self.failed_at or self.expired_at or self.status_since

    # -- persistence -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("containers", "init_containers")}
        out["containers"] = [asdict(c) for c in self.containers]
        out["init_containers"] = [asdict(c) for c in self.init_containers]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        data = dict(data)
        data["containers"] = [ContainerRuntime(**c) for c in data.get("containers") or ()]
        data["init_containers"] = [ContainerRuntime(**c) for c in data.get("init_containers") or ()]
        return cls(**data)

    # -- events --------------------------------------------------------------------------
    def event(self, t: float, reason: str, message: str, name: str, *, type_: str = "Normal", count: int = 1) -> None:
        """Record an event; a repeat of the same event bumps ``Count`` (Kubernetes semantics).

        At most :data:`MAX_EVENTS` are kept, newest last (ECI documentation: 50 per instance).
        """
        stamp = rfc3339(t)
        for i, ev in enumerate(self.events):
            if (ev["Type"], ev["Reason"], ev["Name"], ev["Message"]) == (type_, reason, name, message):
                ev["Count"] += count
                ev["LastTimestamp"] = stamp
                self.events.append(self.events.pop(i))
                return
        self.events.append(
            {
                "Type": type_,
                "Reason": reason,
                "Message": message,
                "Name": name,
                "Count": count,
                "FirstTimestamp": stamp,
                "LastTimestamp": stamp,
            }
        )
        del self.events[:-MAX_EVENTS]
