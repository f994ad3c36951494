"""Carry out plans against the cloud: adopt-or-create, update, delete; each waits for its effect.

This is the layer between the pure planner and the Pulumi glue.  It holds the operational
rules that keep retries and re-runs safe:

* **Ownership.** Every group carries the tag ``eci-provider/owner=<hash of its identity>``
  (project/stack/resource).  The planner ignores the tag.
* **Taking back what an earlier attempt left.** Before creating, :func:`create` looks for live
  groups with the owner tag whose spec already matches.  A create whose response was lost, or
  whose wait failed, left such a group behind; the next run takes it instead of making a second
  one.  (The Python dynamic SDK cannot report a partial failure, so this is how orphans are
  avoided.)  The group a replacement replaces carries the same tag and is never taken.
* **Adoption** of a group named by the program (:mod:`.adoption`): :func:`adopt` sends the
  adoption's calls, the owner tag in the last, and waits until they took effect.
* **ClientToken.** Each create, update and delete gets a new random token, which every retry
  of that call reuses (so a lost answer never makes a second group); a create whose outcome
  stayed unknown keeps its token for its next attempt in the same process.  A token derived from
  the content would make the service replay an earlier operation's answer: the deleted group
  of a destroyed stack, or an update that was already undone.  Across runs, adoption through
  the owner tag (above) is what finds a group an interrupted create left behind.
* **Cleanup.** A group that ends Failed or ScheduleFailed while being created is deleted
  before the error is raised, so nothing is left behind.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from ..cloud import wire
from ..cloud.client import new_client_token
from ..cloud.errors import GroupFailed, ServerError, TransportError
from ..cloud.waiters import Waiter
from ..planning.planner import Applied, Plan, UpdateCall, plan
from ..spec.model import ContainerGroupSpec, revealed
from ..spec.status import LIVE_STATUSES
from .ownership import OWNER_TAG, owner_value, tagged

log = logging.getLogger("eci_provider.provider.apply")


def with_owner(spec: ContainerGroupSpec, identity: str) -> ContainerGroupSpec:
    """The spec as it is applied: the user's tags plus the ownership tag (validated, so a
    twenty-first tag is reported like any other limit)."""
    data = tagged(revealed(spec), owner_value(identity))
    return ContainerGroupSpec.model_validate(data, context={"allow_owner_tag": True})


def run_to_completion(spec: ContainerGroupSpec) -> bool:
    """Groups whose containers are not restarted forever may finish: Succeeded is a success."""
    return spec.restart_policy in ("Never", "OnFailure")


@dataclass(frozen=True)
class Created:
    observed: wire.Observed
    adopted: bool


def create(
    waiter: Waiter,
    spec: ContainerGroupSpec,
    identity: str,
    *,
    timeout: float = 1200.0,
    sensitive: Sequence[str] = (),
    owner: str | None = None,
    exclude: Collection[str] = (),
) -> Created:
    """Take a matching group this owner already owns, or create one; wait until it runs.

    ``spec`` must already carry the ownership tag (:func:`with_owner`).  ``owner`` is the tag's
    value (derived from ``identity`` when not given: a first create); ``exclude`` lists groups
    never to take (the one a replacement replaces, the one an adoption replaces).
    """
    client = waiter.client
    owned = client.describe_container_groups(tags={OWNER_TAG: owner or owner_value(identity)}, with_event=False)
    for group in owned:
        obs = wire.observe(group)
        if obs.container_group_id in exclude:
            continue
        if obs.status in LIVE_STATUSES and plan(spec, obs.spec, obs.status).action == "noop":
            log.info(
                "adopting %s (%s), left behind by an earlier create of %s", obs.container_group_id, obs.status, identity
            )
            return Created(_wait_created(waiter, obs.container_group_id, spec, timeout), adopted=True)
    key = _unresolved.key(identity, spec)
    token = _unresolved.token_for(key)
    try:
        group_id = client.create_container_group(spec, client_token=token, sensitive=sensitive)
    except (TransportError, ServerError):
        raise  # the outcome is unknown: the next attempt of this create sends the same token
    except BaseException:
        _unresolved.resolve(key)
        raise
    _unresolved.resolve(key)
    return Created(_wait_created(waiter, group_id, spec, timeout), adopted=False)


class _UnresolvedCreates:
    """ClientTokens of creates whose outcome is unknown in this process.

    A create whose every retry lost its answer may have made a group that Describe does not list
    yet, so the owner-tag lookup of the next attempt cannot find it.  That next attempt is the
    same logical operation, so it reuses the token and the service returns the same group.  Once
    an attempt gets an answer, the token is forgotten: a later create of the same spec (after a
    destroy, say) is a new operation with a new token.  The key is a digest of the request kept
    in memory only; the token sent is random and depends on nothing secret.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}

    @staticmethod
    def key(identity: str, spec: ContainerGroupSpec) -> str:
        params = sorted(wire.to_create_params(spec, "-").items())
        return hashlib.sha256(repr((identity, params)).encode()).hexdigest()

    def token_for(self, key: str) -> str:
        with self._lock:
            return self._tokens.setdefault(key, new_client_token())

    def resolve(self, key: str) -> None:
        with self._lock:
            self._tokens.pop(key, None)


_unresolved = _UnresolvedCreates()


def _wait_created(waiter: Waiter, group_id: str, spec: ContainerGroupSpec, timeout: float) -> wire.Observed:
    try:
        return waiter.wait_created(group_id, timeout=timeout, run_to_completion=run_to_completion(spec))
    except GroupFailed:
        # A group that failed to start is of no use; delete it so that no orphan remains.
        try:
            delete(waiter, group_id, timeout=min(timeout, 300.0))
        except Exception as e:  # the original failure is what the user needs to see
            log.warning("could not delete failed group %s: %s", group_id, e)
        raise


def update(
    waiter: Waiter,
    group_id: str,
    the_plan: Plan,
    desired: ContainerGroupSpec,
    applied: Applied,
    *,
    timeout: float = 1200.0,
    on_call: Callable[[int, UpdateCall], None] | None = None,
) -> wire.Observed:
    """Send the plan's calls in order; before each, wait for Pending/Running; after each, wait
    until it took effect and the group runs again.  ``applied`` records the desired spec.
    ``on_call(i, call)`` is told of each call the service accepted, so that a caller whose wait
    is stopped knows which write-only values were sent and which were not."""
    if the_plan.action != "update":
        raise ValueError(f"update() needs an update plan, not {the_plan.action}")

    def took_effect(obs: wire.Observed) -> bool:
        return plan(desired, obs.spec, obs.status, applied=applied).action == "noop"

    return _send(waiter, group_id, the_plan.calls, took_effect, desired, timeout=timeout, on_call=on_call)


def adopt(
    waiter: Waiter,
    group_id: str,
    calls: Sequence[UpdateCall],
    desired: ContainerGroupSpec,
    applied: Applied,
    owner: str,
    *,
    timeout: float = 1200.0,
) -> wire.Observed:
    """Send an adoption's calls (:attr:`.adoption.Adoption.calls`: the owner tag in the last) and
    wait until the group matches ``desired`` and carries the owner tag."""

    def took_effect(obs: wire.Observed) -> bool:
        tagged_ = (obs.spec.tags or {}).get(OWNER_TAG) == owner
        return tagged_ and plan(desired, obs.spec, obs.status, applied=applied).action == "noop"

    return _send(waiter, group_id, calls, took_effect, desired, timeout=timeout)


def _send(
    waiter: Waiter,
    group_id: str,
    calls: Sequence[UpdateCall],
    took_effect: Callable[[wire.Observed], bool],
    desired: ContainerGroupSpec,
    *,
    timeout: float,
    on_call: Callable[[int, UpdateCall], None] | None = None,
) -> wire.Observed:
    if not calls:
        raise ValueError("nothing to send")
    obs: wire.Observed | None = None
    for i, call in enumerate(calls):
        waiter.update_when_ready(group_id, call.update_type, call.fields, timeout=timeout)
        if on_call:
            on_call(i, call)  # the service accepted it
        last = i == len(calls) - 1
        # Only the last call can be checked against the read-back spec.  An earlier one (a
        # credential change sent alone) changes nothing Describe shows; returning at the first
        # Running is safe because the next call waits out IncorrectStatus if it is still applying.
        obs = waiter.wait_updated(
            group_id,
            effect=took_effect if last else (lambda _obs: True),
            timeout=timeout,
            run_to_completion=run_to_completion(desired),
        )
    assert obs is not None
    return obs


def delete(waiter: Waiter, group_id: str, *, timeout: float = 600.0) -> bool:
    """Delete and wait until the group is gone; False when it was already gone."""
    return waiter.delete_and_wait(group_id, timeout=timeout)
