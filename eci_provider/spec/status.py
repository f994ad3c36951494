"""The instance statuses that decisions turn on, in one leaf module.

The planner (what a status means for a change), the waiters (when a wait is over) and the
generated rules document all read these sets; none of them owns them.
"""

from __future__ import annotations

#: Only these states accept UpdateContainerGroup (UpdateContainerGroup API reference).
UPDATABLE_STATUSES = frozenset({"Pending", "Running"})
#: Terminal states (DescribeContainerGroups API reference). A finished instance stays finished; a
#: changed spec needs a new one (docs/update-rules.md, interpretation "finished-instance").
TERMINAL_STATUSES = frozenset({"Succeeded", "Failed", "Expired"})
#: An instance that failed to be created, or is being deleted, is recreated (docs/update-rules.md,
#: interpretation "unusable-instance").
REPLACE_STATUSES = frozenset({"ScheduleFailed", "Terminating"})
#: A create or an update that ends here has failed.
FAILED_STATUSES = frozenset({"Failed", "ScheduleFailed"})
#: A group in one of these is alive: it runs, or will, or is changing.
LIVE_STATUSES = frozenset({"Scheduling", "Pending", "Running", "Updating", "Restarting"})


def settled_statuses(run_to_completion: bool) -> frozenset[str]:
    """Where a group settles: Running, or also Succeeded for a group that runs to completion."""
    return frozenset({"Running", "Succeeded"}) if run_to_completion else frozenset({"Running"})
