"""The instance state machine (ECI instance lifecycle documentation), computed lazily from timestamps.

There are no background threads.  Every stored group knows when its next transition is due
(:meth:`Lifecycle.next_change`); each request first replays all due transitions with the
timestamps at which they *would* have happened (:meth:`Lifecycle.advance`).  The result is the
same whether a group is looked at every millisecond or once an hour, the clock can be injected
for tests, and several processes sharing one SQLite file agree.

Transitions, each ``T = transition_seconds`` long:

* Create: Scheduling → Pending → Running (or Scheduling → ScheduleFailed, removed after 24 h).
* RestartContainerGroup: Restarting → Running; every container restarts.
* UpdateContainerGroup: Updating → Running; the update plan's restarts happen at the end.
* DeleteContainerGroup: a Running group with a preStop hook is Terminating for one step, then
  gone; any other group is gone at once.

Run-to-completion simulation: a container whose image is ``emulator.local/exit:<code>`` exits
with ``<code>`` one step after it started; the restart policy then decides (Always restarts it;
OnFailure restarts a non-zero exit; Never does not).  When every container is done the group is
Succeeded (all exited 0) or Failed.  Init containers always complete successfully.
"""

from __future__ import annotations

from typing import Any

from .state import TERMINAL, ContainerRuntime, Group, rfc3339

EXIT_IMAGE_PREFIX = "emulator.local/exit:"
#: A simulated container runs at least this long, so that ``transition_seconds=0`` cannot make
#: an Always-restarting container loop without time passing.
MIN_RUN_SECONDS = 0.01
#: Safety bound on transitions replayed per call (each step moves time forward).
_MAX_STEPS = 10_000


def exit_code_of(image: str | None) -> int | None:
    """The exit code a simulated image exits with, or ``None`` for an ordinary image."""
    if not image or not image.startswith(EXIT_IMAGE_PREFIX):
        return None
    tail = image[len(EXIT_IMAGE_PREFIX) :]
    try:
        code = int(tail)
    except ValueError:
        return None
    return code if 0 <= code <= 255 else None


def has_pre_stop(group: Group) -> bool:
    return any(
        k.startswith("lifecycle_pre_stop_handler_") and v is not None
        for c in group.spec.get("containers") or ()
        for k, v in c.items()
    )


class Lifecycle:
    """Moves :class:`Group` records through the state machine."""

    def __init__(self, transition_seconds: float, schedule_failed_ttl_seconds: float) -> None:
        self.step_seconds = transition_seconds
        self.run_seconds = max(transition_seconds, MIN_RUN_SECONDS)
        self.schedule_failed_ttl = schedule_failed_ttl_seconds

    # -- scheduling ----------------------------------------------------------------------
    def next_change(self, g: Group) -> float | None:
        """When the next transition of ``g`` is due, or ``None`` if nothing will happen by itself."""
        if g.gone or g.status in TERMINAL:
            return None
        if g.status == "ScheduleFailed":
            return g.status_since + self.schedule_failed_ttl
        if g.status in ("Scheduling", "Pending", "Updating", "Restarting", "Terminating"):
            return g.status_since + self.step_seconds
        if g.status == "Running":
            due = [t for _, t, _ in self._exits(g)]
            return min(due) if due else None
        return None

    def advance(self, g: Group, now: float) -> None:
        """Replay every transition due at or before ``now``."""
        for _ in range(_MAX_STEPS):
            t = self.next_change(g)
            if t is None or t > now:
                return
            self._step(g, t, now)

    def _exits(self, g: Group) -> list[tuple[ContainerRuntime, float, int]]:
        """Each running container whose image exits: the container, when it exits, its code."""
        images = {name: c.get("image") for name, c in g.container_specs().items()}
        out = []
        for c in g.containers:
            code = exit_code_of(images.get(c.name)) if c.state == "Running" else None
            if code is not None and c.started_at is not None:
                out.append((c, c.started_at + self.run_seconds, code))
        return out

    def _step(self, g: Group, t: float, now: float) -> None:
        status = g.status
        if status == "Scheduling":
            if g.schedule_fail:
                self._set(g, "ScheduleFailed", t)
                g.event(t, "FailedScheduling", "No capacity available (emulated fault).", g.id, type_="Warning")
            else:
                self._set(g, "Pending", t)
                g.event(t, "Scheduled", f"Successfully assigned {g.id} to a virtual node.", g.spec["name"])
                for ic in g.init_containers:
                    _start(ic, t)
                for c in g.containers:
                    c.reason = "PodInitializing" if g.init_containers else "ContainerCreating"
        elif status == "Pending":
            self._run_init(g, t, rerun=False)
            for c in g.containers:
                self._restart(g, c, t)
            self._set(g, "Running", t)
        elif status == "Updating":
            self._finish_update(g, t)
        elif status == "Restarting":
            self._restart_instance(g, t, "Restarted by RestartContainerGroup.")
            self._set(g, "Running", t)
        elif status in ("Terminating", "ScheduleFailed"):
            g.gone = True
        elif status == "Running":
            self._container_exits(g, t, now)

    # -- container exits -----------------------------------------------------------------
    def _container_exits(self, g: Group, t: float, now: float) -> None:
        policy = g.spec.get("restart_policy") or "Always"
        for c, due, code in self._exits(g):
            if due > t:
                continue
            assert c.started_at is not None
            if policy == "Always" or (policy == "OnFailure" and code != 0):
                # Restart loops are replayed arithmetically, not one cycle per step.
                cycles = max(1, int((now - c.started_at) / self.run_seconds + 1e-9))
                last_start = c.started_at + (cycles - 1) * self.run_seconds
                c.previous = _terminated(code, last_start, last_start + self.run_seconds)
                c.restart_count += cycles
                _start(c, c.started_at + cycles * self.run_seconds)
                reason, kind = ("Completed", "Normal") if code == 0 else ("BackOff", "Warning")
                message = f"Container {c.name} exited with code {code} and was restarted."
                g.event(due, reason, message, c.name, type_=kind, count=cycles)
            else:
                c.state, c.reason, c.exit_code = "Terminated", "Completed" if code == 0 else "Error", code
                c.finished_at, c.done = due, True
                reason, kind = ("Completed", "Normal") if code == 0 else ("Failed", "Warning")
                g.event(due, reason, f"Container {c.name} exited with code {code}.", c.name, type_=kind)
        if g.containers and all(c.done for c in g.containers):
            end = max(c.finished_at or t for c in g.containers)
            if all(c.exit_code == 0 for c in g.containers):
                self._set(g, "Succeeded", end)
                g.succeeded_at = end
            else:
                self._set(g, "Failed", end)
                g.failed_at = end

    # -- operations ----------------------------------------------------------------------
    def begin_update(self, g: Group, now: float, spec: dict[str, Any], plan: dict[str, Any]) -> None:
        """Store the new spec and enter Updating; the plan's restarts happen when it completes."""
        plan = dict(plan, was_started=any(c.started_at is not None for c in g.containers))
        g.spec = spec
        g.containers = _reconcile(g.containers, spec.get("containers"))
        g.init_containers = _reconcile(g.init_containers, spec.get("init_containers"))
        g.pending = {"kind": "update", **plan}
        self._set(g, "Updating", now)

    def begin_restart(self, g: Group, now: float) -> None:
        g.pending = {"kind": "restart"}
        self._set(g, "Restarting", now)

    def begin_delete(self, g: Group, now: float, force: bool) -> None:
        """Terminating for one step when a running group has a preStop hook; otherwise gone."""
        if g.status == "Terminating":
            return
        if g.status == "Running" and has_pre_stop(g) and not force:
            g.pending = None
            self._set(g, "Terminating", now)
            g.event(now, "Killing", "Running preStop hooks before deletion.", g.spec["name"])
        else:
            g.gone = True

    def force_status(self, g: Group, status: str, now: float) -> None:
        """Test hook: put ``g`` into ``status`` now (terminal states also stop its containers)."""
        g.pending = None
        self._set(g, status, now)
        if status in TERMINAL:
            code = {"Succeeded": 0, "Failed": 1, "Expired": 137}[status]
            for c in g.containers:
                if c.state != "Terminated":
                    c.state, c.exit_code, c.finished_at = "Terminated", code, now
                    c.reason = {0: "Completed", 1: "Error"}.get(code, "Expired")
                c.done = True
            g.succeeded_at = now if status == "Succeeded" else None
            g.failed_at = now if status == "Failed" else None
            g.expired_at = now if status == "Expired" else None

    # -- helpers -------------------------------------------------------------------------
    def _set(self, g: Group, status: str, t: float) -> None:
        g.status, g.status_since = status, t

    def _finish_update(self, g: Group, t: float) -> None:
        plan = g.pending or {}
        g.pending = None
        changed = ", ".join(plan.get("changed_params") or ())
        g.event(t, "Updated", f"Updated {changed}." if changed else "Updated.", g.spec["name"])
        if plan.get("restart_instance") and plan.get("was_started"):
            reasons = ", ".join(plan.get("instance_reasons") or ())
            self._restart_instance(g, t, f"Instance restarted because {reasons} changed.")
        else:
            self._run_init(g, t, rerun=False)
            restart = set(plan.get("restart_containers") or ())
            for c in g.containers:
                if c.started_at is None:
                    self._restart(g, c, t)  # a new container, or the group was still Pending
                elif c.name in restart:
                    self._restart(g, c, t)
                    why = plan["restart_containers"][c.name]
                    g.event(t, "Restarted", f"Container {c.name} restarted: {why}.", c.name)
        self._set(g, "Running", t)

    def _restart_instance(self, g: Group, t: float, message: str) -> None:
        self._run_init(g, t, rerun=True)
        for c in g.containers:
            self._restart(g, c, t)
        g.event(t, "Restarted", message, g.spec["name"])

    def _run_init(self, g: Group, t: float, *, rerun: bool) -> None:
        for ic in g.init_containers:
            if ic.state == "Terminated" and not rerun:
                continue
            if ic.state == "Terminated":
                ic.previous = ic.snapshot()
                ic.restart_count += 1
            ic.state, ic.reason, ic.exit_code = "Terminated", "Completed", 0
            ic.started_at, ic.finished_at, ic.done = t, t, True

    def _restart(self, g: Group, c: ContainerRuntime, t: float) -> None:
        """Start ``c`` at ``t``; a container that ran before counts a restart."""
        if c.started_at is not None:
            prev = c.snapshot()
            if c.state != "Terminated":
                prev.update({"State": "Terminated", "Reason": "Restarted", "ExitCode": 0, "FinishTime": rfc3339(t)})
            c.previous = prev
            c.restart_count += 1
        _start(c, t)
        g.event(t, "Started", f"Started container {c.name}", c.name)


def _start(c: ContainerRuntime, t: float) -> None:
    c.state, c.reason, c.started_at = "Running", None, t
    c.finished_at, c.exit_code, c.done = None, None, False


def _terminated(code: int, start: float, finish: float) -> dict[str, Any]:
    return {
        "State": "Terminated",
        "Reason": "Completed" if code == 0 else "Error",
        "ExitCode": code,
        "StartTime": rfc3339(start),
        "FinishTime": rfc3339(finish),
    }


def _reconcile(runtime: list[ContainerRuntime], specs: list[dict[str, Any]] | None) -> list[ContainerRuntime]:
    """Runtime entries for the new container list: kept by name, new ones waiting, removed dropped."""
    by_name = {c.name: c for c in runtime}
    return [by_name.get(s["name"]) or ContainerRuntime(s["name"]) for s in specs or ()]
