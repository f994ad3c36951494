"""The five ECI actions over the store: validation, ClientToken idempotency, state changes.

Each call runs in one database transaction: due lifecycle transitions are replayed and
retention applied first (so every action sees the state "now"), then the action runs.  An
error rolls the whole transaction back, so a rejected request has no effect at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from ..cloud import wire
from ..spec import rules
from ..spec.model import ContainerGroupSpec, revealed
from . import describe, errors, masking, updates
from .config import EmulatorConfig
from .errors import ApiError
from .faults import FaultInjector
from .lifecycle import Lifecycle
from .placement import SizeError, instance_size, place
from .state import MUTABLE, STATUSES, TERMINAL, ContainerRuntime, Group, new_group_id, rfc3339
from .store import Store, Tx

ACTIONS = (
    "CreateContainerGroup",
    "DescribeContainerGroups",
    "UpdateContainerGroup",
    "DeleteContainerGroup",
    "RestartContainerGroup",
)
MUTATING = frozenset(ACTIONS) - {"DescribeContainerGroups"}
OWNER_PARAMS = frozenset({"OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount"})
_CREATE_EXTRA = frozenset({"RegionId", "ClientToken", "DryRun"}) | OWNER_PARAMS
_UPDATE_EXTRA = frozenset({"RegionId", "ClientToken", "ContainerGroupId", "UpdateType"}) | OWNER_PARAMS
_DELETE_PARAMS = frozenset({"RegionId", "ClientToken", "ContainerGroupId", "Force"}) | OWNER_PARAMS
_RESTART_PARAMS = frozenset({"RegionId", "ClientToken", "ContainerGroupId"}) | OWNER_PARAMS


def _api_names(sent: Mapping[str, Any]) -> list[str]:
    return [rules.rule_of(ContainerGroupSpec, name).update_name or name for name in sent]


def _check_params(params: Mapping[str, str], allowed: frozenset[str], action: str) -> None:
    for key in params:
        pattern = ".".join("N" if part.isdigit() else part for part in key.split("."))
        if pattern not in allowed:
            raise ApiError("InvalidParameter", f"The parameter {key} is not accepted by {action}.")


class Service:
    """Runs actions; owns the lifecycle rules and the idempotency table."""

    def __init__(self, store: Store, config: EmulatorConfig, faults: FaultInjector, clock: Callable[[], float]):
        self.store = store
        self.config = config
        self.faults = faults
        self.clock = clock
        self.lifecycle = Lifecycle(config.transition_seconds, config.schedule_failed_ttl_seconds)

    # -- dispatch ------------------------------------------------------------------------
    def call(self, action: str, params: Mapping[str, str]) -> dict[str, Any]:
        """Run ``action`` with its business parameters; returns the body without RequestId."""
        handler = {
            "CreateContainerGroup": self._create,
            "DescribeContainerGroups": self._describe,
            "UpdateContainerGroup": self._update,
            "DeleteContainerGroup": self._delete,
            "RestartContainerGroup": self._restart,
        }[action]
        region = params.get("RegionId")
        if not region:
            raise errors.missing("RegionId")
        token = params.get("ClientToken") if action in MUTATING else None
        if token is not None and (not token.isascii() or not 0 < len(token) <= 64):
            raise errors.invalid("ClientToken", "must be 1 to 64 ASCII characters")
        now = self.clock()
        with self.store.transaction() as tx:
            self._refresh(tx, now)
            if token:
                digest = hashlib.sha256(
                    json.dumps(sorted((k, v) for k, v in params.items() if k != "ClientToken")).encode()
                ).hexdigest()
                seen = tx.token(action, region, token, now)
                if seen is not None:
                    if seen[0] != digest:
                        raise ApiError(
                            "IdempotentParameterMismatch",
                            "The ClientToken was used before with different parameters.",
                        )
                    return seen[1]
            result = handler(tx, params, region, now)
            if token:
                tx.remember_token((action, region, token), digest, result, now, self.config.client_token_ttl_seconds)
            return result

    def _refresh(self, tx: Tx, now: float) -> None:
        for g in tx.due(now):
            self.lifecycle.advance(g, now)
            self._save(tx, g)
        tx.purge_retention(now, self.config.retention_seconds, self.config.retention_keep)

    def _group(self, tx: Tx, params: Mapping[str, str], region: str) -> Group:
        group_id = params.get("ContainerGroupId")
        if not group_id:
            raise errors.missing("ContainerGroupId")
        g = tx.get(group_id)
        if g is None or g.region != region:
            raise errors.not_found(group_id)
        return g

    def _save(self, tx: Tx, g: Group) -> None:
        tx.save(g, self.lifecycle.next_change(g))

    # -- actions -------------------------------------------------------------------------
    def _create(self, tx: Tx, params: Mapping[str, str], region: str, now: float) -> dict[str, Any]:
        dry_run = errors.parse_bool("DryRun", params.get("DryRun"), default=False)
        spec_params = {k: v for k, v in params.items() if k not in _CREATE_EXTRA}
        try:
            spec = wire.from_flat(spec_params, context={"allow_owner_tag": True})
        except wire.WireError as e:
            raise ApiError(e.code, e.message) from None
        except ValidationError as e:
            raise errors.from_validation(e, "create") from None
        try:
            instance_size(spec)
        except SizeError as e:
            raise errors.seed_error("InvalidParameter.CPU.Memory", str(e)) from None
        if spec.private_ip_address:
            for other in tx.groups(region):
                busy = other.status not in TERMINAL and other.status != "ScheduleFailed"
                if busy and other.placement.get("IntranetIp") == spec.private_ip_address:
                    raise errors.seed_error("PrivateIpAddress.Already.InUse")
        if dry_run:
            raise errors.seed_error("DryRunOperation")
        faults = self.faults.faults
        g = Group(
            id=new_group_id(),
            region=region,
            spec=revealed(spec),
            status="Scheduling",
            status_since=now,
            created_at=now,
            visible_at=now + faults.visibility_delay_seconds,
            placement=place(spec, region, tx.incr("seq.address")),
            containers=[ContainerRuntime(c.name) for c in spec.containers],
            init_containers=[ContainerRuntime(c.name) for c in spec.init_containers or ()],
            schedule_fail=self.faults.roll(faults.schedule_failed_rate),
        )
        if g.schedule_fail:
            tx.incr("faults.schedule_failed")
        self.lifecycle.advance(g, now)
        self._save(tx, g)
        tx.incr("groups_created")
        tx.record(now, "CreateContainerGroup", g.id, {"name": spec.name})
        return {"ContainerGroupId": g.id}

    def _describe(self, tx: Tx, params: Mapping[str, str], region: str, now: float) -> dict[str, Any]:
        _check_params(params, describe.PARAMS, "DescribeContainerGroups")
        query = describe.parse_query(params)
        visible = [g for g in tx.groups(region, query.ids) if g.visible_at <= now]
        chunk, total, next_token = describe.page(visible, query)
        return {
            "TotalCount": total,
            "NextToken": next_token,
            "ContainerGroups": [describe.element(g, with_event=query.with_event) for g in chunk],
        }

    def _update(self, tx: Tx, params: Mapping[str, str], region: str, now: float) -> dict[str, Any]:
        body = {k: v for k, v in params.items() if k not in _UPDATE_EXTRA}
        try:
            sent = wire.decode_update_params(body)
        except wire.WireError as e:
            raise errors.from_update_decode(e.message) from None
        except ValueError as e:  # the tag list form (``Tag.N.Key`` missing, duplicate keys)
            raise errors.invalid("Tag", str(e)) from None
        g = self._group(tx, params, region)
        if g.status not in MUTABLE:
            raise errors.incorrect_status(g.status, "UpdateContainerGroup")
        update_type = params.get("UpdateType") or None
        plan = updates.plan_update(g.model(), sent, update_type)
        self.lifecycle.begin_update(g, now, revealed(plan.spec), plan.pending())
        self._save(tx, g)
        tx.record(
            now,
            "UpdateContainerGroup",
            g.id,
            {
                "update_type": update_type or updates.DEFAULT_UPDATE_TYPE,
                "sent": sorted(_api_names(sent)),
                "changed": [str(c) for c in plan.pending()["changed_params"]],
                "restart_instance": plan.restart_instance,
                "restart_containers": sorted(plan.restart_containers),
            },
        )
        return {}

    def _delete(self, tx: Tx, params: Mapping[str, str], region: str, now: float) -> dict[str, Any]:
        _check_params(params, _DELETE_PARAMS, "DeleteContainerGroup")
        force = errors.parse_bool("Force", params.get("Force"), default=False)
        g = self._group(tx, params, region)
        self.lifecycle.begin_delete(g, now, force)
        self._save(tx, g)
        tx.record(now, "DeleteContainerGroup", g.id, {"force": force})
        return {}

    def _restart(self, tx: Tx, params: Mapping[str, str], region: str, now: float) -> dict[str, Any]:
        _check_params(params, _RESTART_PARAMS, "RestartContainerGroup")
        g = self._group(tx, params, region)
        if g.status not in MUTABLE:
            raise errors.incorrect_status(g.status, "RestartContainerGroup")
        self.lifecycle.begin_restart(g, now)
        self._save(tx, g)
        tx.record(now, "RestartContainerGroup", g.id, {})
        return {}

    # -- Python-only and admin hooks -----------------------------------------------------
    def force_status(self, group_id: str, status: str) -> None:
        """Put a group into ``status`` now (tests of terminal states, IncorrectStatus, ...)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        now = self.clock()
        with self.store.transaction() as tx:
            self._refresh(tx, now)
            g = tx.get(group_id)
            if g is None:
                raise KeyError(group_id)
            self.lifecycle.force_status(g, status, now)
            self._save(tx, g)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every stored group, visible or not, with secrets masked (the admin listing)."""
        now = self.clock()
        with self.store.transaction() as tx:
            self._refresh(tx, now)
            groups = tx.groups()
        return [self._listed(g, now) for g in groups]

    @staticmethod
    def _listed(g: Group, now: float) -> dict[str, Any]:
        """One group of the admin listing, every field the spec rules mark secret masked."""
        spec = masking.masked(g.model())
        return {
            "ContainerGroupId": g.id,
            "RegionId": g.region,
            "Status": g.status,
            "Visible": g.visible_at <= now,
            "VisibleTime": rfc3339(g.visible_at),
            # warnings=False: a masked field may hold the mask where its type expects a number or list.
            "Spec": spec.model_dump(mode="json", exclude_none=True, warnings=False),
            "Describe": describe.element(g, spec=spec),
        }

    def stats(self) -> dict[str, Any]:
        now = self.clock()
        with self.store.transaction() as tx:
            self._refresh(tx, now)
            counters = tx.counters()
            groups = tx.groups()
        by_status: dict[str, int] = {}
        for g in groups:
            by_status[g.status] = by_status.get(g.status, 0) + 1
        return {
            "requests": {k.split(".", 1)[1]: v for k, v in counters.items() if k.startswith("requests.")},
            "groups_created": counters.get("groups_created", 0),
            "faults": {k.split(".", 1)[1]: v for k, v in counters.items() if k.startswith("faults.")},
            "groups": {"total": len(groups), "by_status": by_status},
        }

    def journal(self, since: int = 0) -> list[dict[str, Any]]:
        """Every accepted create, update, delete and restart, oldest first: what a test asks
        when it must know which UpdateType was sent and what restarted, rather than infer it
        from counters.  A ClientToken replay is not a new entry."""
        with self.store.transaction() as tx:
            return tx.journal(since)

    def count(self, name: str, by: int = 1) -> None:
        with self.store.transaction() as tx:
            tx.incr(name, by)
