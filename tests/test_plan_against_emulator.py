"""The planner's predictions, checked against the emulator (an independent implementation of
the update model): for random changes, applying the plan must produce exactly the desired spec,
and restart exactly what the plan says (the emulator's RestartCount is the evidence)."""

from __future__ import annotations

import pytest
from emulated import emulated, stored_spec
from hypothesis import given, settings
from strategies import UPDATE_KINDS, changed_pairs

from eci_provider import apply
from eci_provider.plan import applied_record, plan
from eci_provider.spec import ContainerGroupSpec

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
    with emulated("embedded") as (client, emulator):
        before_spec, after_spec = apply.with_owner(old, ID), apply.with_owner(new, ID)
        created = apply.create(client, before_spec, ID, timeout=20).observed
        gid = created.container_group_id
        p = plan(after_spec, created.spec, created.status, applied=applied_record(before_spec, "s"))
        if p.action != "update":
            return
        result = apply.update(client, gid, p, after_spec, applied_record(after_spec, "s"), timeout=20)

        # Everything took effect, write-only values included (compared on the stored spec).
        assert plan(after_spec, stored_spec(emulator, gid), result.status).action == "noop"
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
