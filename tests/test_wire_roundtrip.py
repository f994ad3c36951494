"""Encoding then decoding gives back the same spec, apart from write-only fields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from strategies import specs

from eci_provider.cloud import wire
from eci_provider.planning.canonical import plan_of
from eci_provider.planning.planner import seal
from eci_provider.spec.model import ContainerGroupSpec


@settings(max_examples=200)
@given(specs())
def test_flat_roundtrip(spec: ContainerGroupSpec) -> None:
    params = wire.to_create_params(spec, "cn-hangzhou")
    assert params.pop("RegionId") == "cn-hangzhou"
    assert wire.from_flat(params) == spec


@settings(max_examples=200)
@given(specs())
def test_describe_roundtrip_is_spec_minus_write_only(spec: ContainerGroupSpec) -> None:
    assert wire.from_describe(wire.to_describe(spec)) == wire.visible(spec)


@settings(max_examples=100)
@given(specs())
def test_update_params_decode_to_the_same_fields(spec: ContainerGroupSpec) -> None:
    """What the planner sends for a top-level parameter decodes to that parameter, minus the
    fields UpdateContainerGroup does not carry (they are create-only)."""
    for name in (
        "containers",
        "init_containers",
        "volumes",
        "tags",
        "dns_config",
        "image_registry_credentials",
        "acr_registry_infos",
        "restart_policy",
        "cpu",
        "memory",
    ):
        value = getattr(spec, name)
        if value is None:
            continue
        fp = plan_of(ContainerGroupSpec, name)
        params, _ = wire.encode_update("RenewUpdate", {name: seal(value, fp, name, frozenset())})
        del params["UpdateType"]
        decoded = wire.decode_update_params(params)
        assert set(decoded) == {name}
        if name in ("tags", "dns_config", "restart_policy", "cpu", "memory", "image_registry_credentials"):
            assert decoded[name] == value


def test_visible_drops_write_only_and_hidden_env() -> None:
    spec = ContainerGroupSpec.model_validate(
        {
            "name": "ab",
            "termination_grace_period_seconds": 5,
            "containers": [
                {
                    "name": "a",
                    "image": "x",
                    "environment_var_hide": True,
                    "environment_vars": [{"key": "SECRET", "value": "v"}],
                    "lifecycle_pre_stop_handler_execs": ["sleep", "1"],
                }
            ],
        }
    )
    shown = wire.visible(spec)
    assert shown.termination_grace_period_seconds is None
    assert shown.containers[0].environment_vars is None
    assert shown.containers[0].lifecycle_pre_stop_handler_execs is None
    assert "SECRET" not in str(wire.to_describe(spec))


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        (
            {"ContainerGroupName": "ab", "Container.1.Name": "a", "Container.1.Image": "x", "Container.1.Bogus": "1"},
            "Container.1.Bogus is not accepted",
        ),
        ({"ContainerGroupName": "ab", "Container.2.Name": "a", "Container.2.Image": "x"}, "without gaps"),
        ({"ContainerGroupName": "ab", "Container.0.Name": "a"}, "start at 1"),
    ],
)
def test_bad_flat_params_are_named(params: dict[str, str], fragment: str) -> None:
    with pytest.raises(wire.WireError) as info:
        wire.from_flat(params)
    assert fragment in info.value.message


def test_update_rejects_create_only_parameters() -> None:
    with pytest.raises(wire.WireError) as info:
        wire.decode_update_params(
            {"Container.1.Name": "a", "Container.1.Image": "x", "Container.1.SecurityContextPrivileged": "true"}
        )
    assert "not accepted by UpdateContainerGroup" in info.value.message
    with pytest.raises(wire.WireError):
        wire.decode_update_params({"VSwitchId": "vsw-2"})


@settings(max_examples=100)
@given(specs())
def test_overlay_of_the_own_observation_changes_nothing(spec: ContainerGroupSpec) -> None:
    """A refresh of an unchanged group writes back inputs that plan as no change."""
    from eci_provider.planning.planner import plan

    merged = wire.overlay(spec, wire.from_describe(wire.to_describe(spec)))
    assert plan(spec, merged).action == "noop"
    assert wire.visible(merged) == wire.visible(spec).model_copy(update={"tags": spec.user_tags() or None})


def test_overlay_shows_drift_and_keeps_write_only_inputs() -> None:
    spec = ContainerGroupSpec.model_validate(
        {
            "name": "ab",
            "termination_grace_period_seconds": 30,
            "tags": {"a": "1"},
            "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": "pw"}],
            "containers": [
                {"name": "web", "image": "nginx:1", "lifecycle_pre_stop_handler_execs": ["sleep", "1"]},
                {"name": "gone", "image": "x"},
            ],
        }
    )
    drifted = ContainerGroupSpec.model_validate(
        {
            "name": "ab",
            "zone_id": "cn-hangzhou-b",
            "tags": {"a": "2", "eci-provider/owner": "abc"},
            "containers": [{"name": "web", "image": "nginx:2", "cpu": 0.5}],
        },
        context={"observed": True},
    )
    merged = wire.overlay(spec, drifted)
    assert merged.containers[0].image == "nginx:2" and [c.name for c in merged.containers] == ["web"]
    assert merged.containers[0].lifecycle_pre_stop_handler_execs == ["sleep", "1"]  # write-only: kept
    assert merged.containers[0].cpu is None and merged.zone_id is None  # the service's choices stay unset
    assert merged.tags == {"a": "2"}  # the provider's tag is not an input
    assert merged.termination_grace_period_seconds == 30
    assert merged.image_registry_credentials == spec.image_registry_credentials


def test_overlay_leaves_documented_defaults_unset_that_the_user_left_unset() -> None:
    """Describe reports SpotStrategy NoSpot for every group; written back into the inputs by a
    refresh, the engine showed ``- spot_strategy: "NoSpot"`` in every later preview diff."""
    spec = ContainerGroupSpec.model_validate({"name": "ab", "containers": [{"name": "web", "image": "nginx:1"}]})
    observed = wire.from_describe({**wire.to_describe(spec), "SpotStrategy": "NoSpot"})
    assert observed.spot_strategy == "NoSpot"
    merged = wire.overlay(spec, observed)
    assert merged.spot_strategy is None
    spot = ContainerGroupSpec.model_validate({**spec.model_dump(exclude_none=True), "spot_strategy": "NoSpot"})
    assert wire.overlay(spot, observed).spot_strategy == "NoSpot"  # set by the user: kept
