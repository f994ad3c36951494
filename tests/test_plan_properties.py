"""Planner properties over generated specs and random changes (hypothesis)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from strategies import CREATE_ONLY_KINDS, changed_pairs, mutate, spec_dicts, specs
from wire_calls import wire_calls

from eci_provider.cloud import wire
from eci_provider.planning.planner import Plan, applied_record, plan
from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec

SALT = "prop-salt"


def observed(spec: ContainerGroupSpec) -> ContainerGroupSpec:
    return wire.from_describe(wire.to_describe(spec))


@settings(max_examples=80)
@given(specs())
def test_plan_of_a_spec_against_itself_is_noop(spec: ContainerGroupSpec) -> None:
    assert plan(spec, spec).action == "noop"
    assert plan(spec, spec, "Running", applied=applied_record(spec, SALT)).action == "noop"


@settings(max_examples=80)
@given(specs())
def test_plan_against_the_decoded_spec_is_noop(spec: ContainerGroupSpec) -> None:
    """What the service reports back for an applied spec is never a diff (no perpetual diff)."""
    assert plan(spec, observed(spec), "Running", applied=applied_record(spec, SALT)).action == "noop"
    assert plan(spec, observed(spec), "Running").action == "noop"  # write-only unknown, not a diff
    assert (
        plan(
            spec, wire.from_flat({k: v for k, v in wire.to_create_params(spec, "r").items() if k != "RegionId"})
        ).action
        == "noop"
    )


@settings(max_examples=80)
@given(st.data())
def test_any_single_create_only_change_replaces(data: st.DataObject) -> None:
    d = data.draw(spec_dicts())
    old = ContainerGroupSpec.model_validate(d)
    kind = data.draw(st.sampled_from(CREATE_ONLY_KINDS))
    new_d = copy.deepcopy(d)
    assume(data.draw(mutate(new_d, kind)))
    new = ContainerGroupSpec.model_validate(new_d)
    p = plan(new, observed(old), "Running", applied=applied_record(old, SALT))
    assert p.action == "replace", (kind, p.reasons)
    assert p.replace_fields and p.calls == ()


@settings(max_examples=80)
@given(changed_pairs(kinds=("tag_change", "tag_add", "tag_remove"), max_changes=1))
def test_a_tag_change_never_restarts_anything(pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]]) -> None:
    old, new, kinds = pair
    assume(kinds)
    p = plan(new, observed(old), "Running", applied=applied_record(old, SALT))
    assert p.restart == "none" and p.restarted_containers == ()
    assert p.started_containers == () and p.stopped_containers == ()
    if p.action == "update":
        assert all(k == "UpdateType" or k.startswith("Tag.") for call in wire_calls(p) for k in call)
    else:  # removing the last tag cannot be sent: a replacement, which is not a restart
        assert p.action == "replace" and p.replace_fields == ("tags",)


def _check_calls(p: Plan, desired: ContainerGroupSpec) -> None:
    # The oracle encodes the desired spec itself (models → API tree), not the call's plain data.
    complete = wire.flatten(wire.to_api_tree(desired, "update"))
    for call in wire_calls(p):
        assert set(call) - {"UpdateType"}, "an empty call would fail with NoNeedUpdate"
        if any(k.startswith("ImageRegistryCredential.") for k in call):
            assert call["UpdateType"] == "RenewUpdate"
        for field, prefix in (("containers", "Container."), ("init_containers", "InitContainer.")):
            sent = {k: v for k, v in call.items() if k.startswith(prefix)}
            if sent:
                expected = {k: v for k, v in complete.items() if k.startswith(prefix)}
                assert sent == expected, f"{field} must be sent complete"


@settings(max_examples=120)
@given(changed_pairs())
def test_calls_are_well_formed(pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]]) -> None:
    old, new, _ = pair
    p = plan(new, observed(old), "Running", applied=applied_record(old, SALT))
    assert p.action in ("noop", "update", "replace")
    _check_calls(p, new)
    if p.action == "update":
        assert p.calls and p.update_type in ("IncrementalUpdate", "RenewUpdate")
        assert p.update_type == (
            "RenewUpdate" if any(c["UpdateType"] == "RenewUpdate" for c in wire_calls(p)) else "IncrementalUpdate"
        )
        # What is sent decodes, and only top-level parameters that changed are sent.
        for call in wire_calls(p):
            decoded = wire.decode_update_params({k: v for k, v in call.items() if k != "UpdateType"})
            changed = {c.field for c in p.changes}
            partners = {x for f in changed for x in rules.rule_of(ContainerGroupSpec, f).send_with}
            assert set(decoded) <= changed | partners
    else:
        assert p.calls == ()


@settings(max_examples=80)
@given(changed_pairs(), st.sampled_from(["Succeeded", "Failed", "Expired"]))
def test_terminal_instances(pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]], status: str) -> None:
    old, new, _ = pair
    applied = applied_record(old, SALT)
    changed = plan(new, observed(old), "Running", applied=applied).action != "noop"
    p = plan(new, observed(old), status, applied=applied)
    assert p.action == ("replace" if changed else "noop")
    assert plan(old, observed(old), status, applied=applied).action == "noop"


@settings(max_examples=60)
@given(changed_pairs(), st.sampled_from(["Updating", "Restarting", "Scheduling", "Pending"]))
def test_transitional_status_does_not_change_the_plan(pair: Any, status: str) -> None:
    old, new, _ = pair
    applied = applied_record(old, SALT)
    a = plan(new, observed(old), "Running", applied=applied)
    b = plan(new, observed(old), status, applied=applied)
    assert (a.action, a.update_type, a.calls, a.restart) == (b.action, b.update_type, b.calls, b.restart)


@settings(max_examples=60)
@given(changed_pairs())
def test_plan_is_deterministic_and_never_shows_secrets(pair: Any) -> None:
    old, new, _ = pair
    applied = applied_record(old, SALT)
    a = plan(new, observed(old), "Running", applied=applied)
    b = plan(new, observed(old), "Running", applied=applied)
    assert a == b
    text = repr(a.reasons) + repr(a.to_dict())
    for spec in (old, new):
        for cred in spec.image_registry_credentials or ():
            pw = cred.password.get_secret_value()
            if len(pw) >= 4:
                assert pw not in text
        for v in spec.volumes or ():
            for f in (v.config_file_volume.config_file_to_paths or ()) if v.config_file_volume else ():
                if f.content and len(f.content.get_secret_value()) >= 8:
                    assert f.content.get_secret_value() not in text


@settings(max_examples=60)
@given(changed_pairs())
def test_the_inputs_plan_of_equal_inputs_is_the_plan_of_them(
    pair: tuple[ContainerGroupSpec, ContainerGroupSpec, list[str]],
) -> None:
    """inputs_plan answers equal inputs without canonicalising them: the answer must be plan()'s."""
    from eci_provider.planning.planner import inputs_plan

    for spec in pair[:2]:
        copy_ = ContainerGroupSpec.model_validate(spec.model_dump())
        full = plan(copy_, spec, None, applied=applied_record(spec, "check"))
        assert inputs_plan(spec, copy_, (), ()) == full
