"""The apply layer against the emulator: adoption, idempotent creation under faults, cleanup of
failed creations, fresh tokens for a new generation, and plans that take effect as predicted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from emulated import emulated, spec, stored_spec

from eci_provider.cloud import wire
from eci_provider.cloud.client import RetryPolicy
from eci_provider.cloud.errors import GroupFailed, TransportError
from eci_provider.cloud.waiters import Waiter
from eci_provider.emulator import Faults
from eci_provider.planning.planner import applied_record, plan
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec, revealed

ID = "proj/dev/web"


def live(emulator) -> list[str]:  # type: ignore[no-untyped-def]
    return [g["ContainerGroupId"] for g in emulator.groups() if g["Status"] not in ("Succeeded", "Failed")]


def test_a_lost_create_is_adopted_not_duplicated() -> None:
    with emulated("embedded", faults=Faults(drop_create_response_rate=1.0), retry=RetryPolicy(max_attempts=1)) as (
        waiter,
        emulator,
    ):
        desired = apply.with_owner(spec(), ID)
        with pytest.raises(TransportError):
            apply.create(waiter, desired, ID)  # the group exists, the answer was lost
        assert len(live(emulator)) == 1
        emulator.set_faults(drop_create_response_rate=0.0)
        created = apply.create(waiter, desired, ID)
        assert created.adopted and live(emulator) == [created.observed.container_group_id]


def test_same_token_before_the_group_is_visible() -> None:
    """If the lost group is not visible yet, the re-run sends the same ClientToken."""
    with emulated(
        "embedded",
        faults=Faults(drop_create_response_rate=1.0, visibility_delay_seconds=0.3),
        retry=RetryPolicy(max_attempts=1),
    ) as (waiter, emulator):
        desired = apply.with_owner(spec(), ID)
        with pytest.raises(TransportError):
            apply.create(waiter, desired, ID)
        emulator.set_faults(drop_create_response_rate=0.0)
        created = apply.create(waiter, desired, ID)
        assert not created.adopted  # not visible to the lookup, but the token deduplicated it
        assert emulator.stats()["groups_created"] == 1


def test_creation_under_faults_makes_exactly_one_group() -> None:
    faults = Faults(throttle_rate=0.3, error_5xx_rate=0.1, drop_create_response_rate=0.3, seed=11)
    with emulated("loopback", faults=faults) as (waiter, emulator):
        for i in range(5):
            apply.create(waiter, apply.with_owner(spec(f"g{i}"), f"proj/dev/g{i}"), f"proj/dev/g{i}")
        assert emulator.stats()["groups_created"] == 5
        assert waiter.client.retry_stats.retries > 0


def test_a_failed_creation_is_cleaned_up() -> None:
    with emulated("embedded", faults=Faults(schedule_failed_rate=1.0)) as (waiter, emulator):
        with pytest.raises(GroupFailed, match="ScheduleFailed"):
            apply.create(waiter, apply.with_owner(spec(), ID), ID)
        assert emulator.groups() == []


def test_a_new_generation_gets_a_new_group() -> None:
    """Replacing a finished job with the same spec must not get the finished job back."""
    with emulated("embedded") as (waiter, emulator):
        desired = apply.with_owner(spec(restart_policy="Never"), ID)
        first = apply.create(waiter, desired, ID).observed.container_group_id
        emulator.force_status(first, "Succeeded")
        second = apply.create(waiter, desired, ID)
        assert not second.adopted and second.observed.container_group_id != first


def test_create_before_delete_does_not_adopt_the_old_group() -> None:
    with emulated("embedded") as (waiter, _):
        old = apply.create(waiter, apply.with_owner(spec(v_switch_id="vsw-1"), ID), ID).observed
        new = apply.create(waiter, apply.with_owner(spec(v_switch_id="vsw-2"), ID), ID)
        assert not new.adopted and new.observed.container_group_id != old.container_group_id


def test_update_applies_the_plan_and_waits_for_the_effect() -> None:
    with emulated("loopback", transition=0.05) as (waiter, emulator):
        before = apply.with_owner(
            spec(image_registry_credentials=[{"server": "r.example.com", "user_name": "u", "password": "old-pw"}]), ID
        )
        gid = apply.create(waiter, before, ID).observed.container_group_id
        data = revealed(before)
        data["containers"][0]["image"] = "nginx:1.27"
        data["image_registry_credentials"][0]["password"] = "new-pw"
        after = type(before).model_validate(data, context={"allow_owner_tag": True})
        observed = wire.observe(waiter.client.describe_container_groups([gid])[0])
        p = plan(after, observed.spec, observed.status, applied=applied_record(before, "s"))
        assert p.action == "update" and len(p.calls) == 2  # credentials alone, then containers
        result = apply.update(waiter, gid, p, after, applied_record(after, "s"))
        assert result.status == "Running"
        stored = stored_spec(emulator, gid)
        assert stored.image_registry_credentials[0].password.get_secret_value() == "new-pw"  # type: ignore[index]
        assert stored.containers[0].image == "nginx:1.27"
        assert result.restart_counts["web"] == 1 and result.restart_counts["side"] == 0


def _with_image(base: ContainerGroupSpec, image: str) -> ContainerGroupSpec:
    data = revealed(base)
    data["containers"][0]["image"] = image
    return ContainerGroupSpec.model_validate(data, context={"allow_owner_tag": True})


def _update_to(waiter: Waiter, gid: str, desired: ContainerGroupSpec) -> wire.Observed:
    observed = wire.observe(waiter.client.describe_container_groups([gid])[0])
    p = plan(desired, observed.spec, observed.status)
    assert p.action == "update", p.summary()
    return apply.update(waiter, gid, p, desired, applied_record(desired, "s"), timeout=10)


def test_an_image_set_back_and_forth_is_applied_every_time() -> None:
    """A → B → A → B: the third update has the same content as the first.  A token derived from
    the content made the service replay the first answer, so nothing changed and the wait for
    the effect ran into its timeout."""
    with emulated("embedded", transition=0.02) as (waiter, emulator):
        base = apply.with_owner(spec(), ID)
        gid = apply.create(waiter, base, ID).observed.container_group_id
        for image in ("nginx:1.26", "nginx:1.25", "nginx:1.26", "nginx:1.25"):
            result = _update_to(waiter, gid, _with_image(base, image))
            assert stored_spec(emulator, gid).containers[0].image == image
            assert result.spec.containers[0].image == image
        assert emulator.stats()["requests"]["UpdateContainerGroup"] == 4


def test_the_same_spec_created_again_after_a_delete_is_a_new_group() -> None:
    """`pulumi destroy` then `pulumi up`: the create must not get the deleted group's answer."""
    with emulated("embedded") as (waiter, emulator):
        desired = apply.with_owner(spec(), ID)
        first = apply.create(waiter, desired, ID).observed.container_group_id
        assert apply.delete(waiter, first)
        second = apply.create(waiter, desired, ID)
        assert not second.adopted and second.observed.container_group_id != first
        assert live(emulator) == [second.observed.container_group_id]


def test_a_lost_update_answer_is_retried_without_a_second_update() -> None:
    with emulated("embedded", transition=0.02, faults=Faults(drop_update_response_rate=1.0)) as (waiter, emulator):
        base = apply.with_owner(spec(), ID)
        gid = apply.create(waiter, base, ID).observed.container_group_id
        observed = wire.observe(waiter.client.describe_container_groups([gid])[0])
        desired = _with_image(base, "nginx:1.26")
        p = plan(desired, observed.spec, observed.status)
        attempts: list[str] = []
        real_send = waiter.client._send

        def spy(action: str, business: Mapping[str, str], *rest: Any) -> dict[str, Any]:
            if action == "UpdateContainerGroup":
                attempts.append(business["ClientToken"])
                if len(attempts) > 1:
                    emulator.set_faults(drop_update_response_rate=0.0)  # only the first answer is lost
            return real_send(action, business, *rest)

        waiter.client._send = spy  # type: ignore[method-assign]
        apply.update(waiter, gid, p, desired, applied_record(desired, "s"), timeout=10)
        stats = emulator.stats()
        assert stats["faults"]["drop_update_response"] == 1
        assert stats["requests"]["UpdateContainerGroup"] == 2  # the lost one and its retry...
        assert stored_spec(emulator, gid).containers[0].image == "nginx:1.26"
        assert (
            wire.observe(waiter.client.describe_container_groups([gid])[0]).restart_counts["web"] == 1
        )  # ...applied once
        assert len(attempts) == 2 and attempts[0] == attempts[1]  # one operation, one token


def _tokens_sent(waiter: Waiter) -> list[str]:
    """Every ClientToken the waiter's client sends from now on, in order."""
    sent: list[str] = []
    real_send = waiter.client._send

    def spy(action: str, business: Mapping[str, str], *rest: Any) -> dict[str, Any]:
        if "ClientToken" in business:
            sent.append(business["ClientToken"])
        return real_send(action, business, *rest)

    waiter.client._send = spy  # type: ignore[method-assign]
    return sent


def test_the_token_sent_depends_on_no_request_content_and_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two creates that differ only in a registry password, each run from the same random state
    (in clouds of their own), send the same ClientToken: the token carries nothing of the
    request, so it cannot be used to test password guesses."""
    import random
    import uuid

    from eci_provider.cloud import client as client_module

    tokens = []
    for password in ("guess-me-1", "another-pw-2"):
        rng = random.Random(42)
        monkeypatch.setattr(client_module.uuid, "uuid4", lambda rng=rng: uuid.UUID(int=rng.getrandbits(128)))
        desired = spec(image_registry_credentials=[{"server": "r.example.com", "user_name": "u", "password": password}])
        with emulated("embedded") as (waiter, _):
            sent = _tokens_sent(waiter)
            apply.create(waiter, apply.with_owner(desired, ID), ID)
            tokens.append(sent[0])
    assert tokens[0] == tokens[1] and tokens[0].startswith("ecip-")
    assert all("guess-me" not in t and "another-pw" not in t for t in tokens)


def test_the_same_update_twice_is_two_operations_with_two_tokens() -> None:
    with emulated("embedded") as (waiter, _):
        base = apply.with_owner(spec(), ID)
        gid = apply.create(waiter, base, ID).observed.container_group_id
        sent = _tokens_sent(waiter)
        for image in ("nginx:1.26", "nginx:1.25", "nginx:1.26"):
            _update_to(waiter, gid, _with_image(base, image))
        assert len(sent) == 3 and len(set(sent)) == 3
