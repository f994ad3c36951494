"""The planner's predictions, checked against the emulator (an independent implementation of
the update model): for random changes, applying the plan must produce exactly the desired spec,
and restart exactly what the plan says (the emulator's RestartCount is the evidence)."""

from __future__ import annotations

import pytest
from emulated import effective_spec, emulated
from hypothesis import given, settings
from strategies import UPDATE_KINDS, changed_pairs

from eci_provider.planning.planner import applied_record, plan
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec

ID = "proj/stack/group"


@settings(max_examples=40)
@given(changed_pairs(max_containers=3))
def test_mixed_changes_take_effect_exactly_as_predicted(
    pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]],
) -> None:
    check_against_emulator(*pair[:2])


@pytest.mark.parametrize("kind", UPDATE_KINDS)
def test_each_kind_of_change_takes_effect_exactly_as_predicted(kind: str) -> None:
    """One change at a time, so that no other change masks a wrong prediction."""

    @settings(max_examples=10)
    @given(changed_pairs(kinds=(kind,), max_changes=1, max_containers=3))
    def run(pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]]) -> None:
        check_against_emulator(*pair[:2])

    run()


def check_against_emulator(old: ContainerGroupSpec, new: ContainerGroupSpec) -> None:
    with emulated("embedded") as (waiter, emulator):
        before_spec, after_spec = apply.with_owner(old, ID), apply.with_owner(new, ID)
        created = apply.create(waiter, before_spec, ID, timeout=20).observed
        gid = created.container_group_id
        p = plan(after_spec, created.spec, created.status, applied=applied_record(before_spec, "s"))
        if p.action != "update":
            return
        result = apply.update(waiter, gid, p, after_spec, applied_record(after_spec, "s"), timeout=20)

        # Everything took effect, write-only values included (compared on the stored spec,
        # with what the service chose for fields never requested taken from Describe).
        effective = effective_spec(emulator, gid, result.spec)
        assert plan(after_spec, effective, result.status).action == "noop"
        # And what restarted is exactly what the plan predicted.
        kept = {c.name for c in after_spec.containers} & {c.name for c in before_spec.containers}
        restarted = {n for n in kept if result.restart_counts[n] > created.restart_counts[n]}
        if p.restart == "instance":
            assert restarted == kept, p.reasons
        elif p.restart == "containers":
            assert restarted == set(p.restarted_containers), (restarted, p.reasons)
        else:
            assert restarted == set(), (restarted, p.reasons)
        assert set(p.started_containers) == {c.name for c in after_spec.containers} - kept


def test_declaring_the_size_the_service_derived_changes_nothing() -> None:
    """Found by the property above: a group created without Cpu/Memory gets a size derived
    from its containers; declaring exactly that size later is no change, so only the image
    change is sent, and the group converges."""
    containers = [{"name": "a", "image": "nginx:1.25"}, {"name": "b", "image": "nginx:1.25", "cpu": 0.25}]
    old = ContainerGroupSpec.model_validate({"name": "sized", "containers": containers})
    bumped = [{**containers[0], "image": "nginx:1.26"}, containers[1]]
    new = ContainerGroupSpec.model_validate({"name": "sized", "cpu": 0.25, "memory": 0.5, "containers": bumped})
    check_against_emulator(old, new)
