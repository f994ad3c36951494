"""CreateContainerGroup validation codes, and DescribeContainerGroups: element shape, filters, paging."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import Api, ApiCallError, FakeClock, make_emulator, web_spec
from hypothesis import HealthCheck, given, settings
from strategies import specs

from eci_provider.cloud import wire
from eci_provider.emulator.placement import place
from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec


@pytest.fixture
def api(clock: FakeClock) -> Api:
    return Api(make_emulator(clock, transition_seconds=0.0))


def create_error(api: Api, params: dict[str, str]) -> ApiCallError:
    with pytest.raises(ApiCallError) as e:
        api.call("CreateContainerGroup", params)
    return e.value


def flat(spec: dict[str, Any]) -> dict[str, str]:
    model = ContainerGroupSpec.model_validate(spec, context={"observed": True})
    out = wire.to_create_params(model, "cn-hangzhou")
    del out["RegionId"]
    return out


# --------------------------------------------------------------------------------------
# Create validation
# --------------------------------------------------------------------------------------


def test_create_error_codes(api: Api) -> None:
    dup = web_spec()
    dup["containers"][1]["name"] = "web"
    assert create_error(api, flat(dup)).code == "InvalidParameter.DuplicatedName"
    dup_init = web_spec(init_containers=[{"name": "web", "image": "busybox"}])
    assert create_error(api, flat(dup_init)).code == "InvalidParameter.DuplicatedName"
    vols = web_spec()
    vols["volumes"].append({"name": "cfg", "type": "EmptyDirVolume"})
    assert create_error(api, flat(vols)).code == "InvalidParameter.DuplicatedVolumeName"
    for cpu, memory in (("128.0", "256.0"), ("2.0", "64.0"), ("0", "1.0"), ("-1", "2")):
        e = create_error(api, {**flat(web_spec()), "Cpu": cpu, "Memory": memory})
        assert e.code == "InvalidParameter.CPU.Memory", (cpu, memory)
    sums = web_spec(cpu=0.25, memory=0.5)
    assert create_error(api, flat(sums)).code == "InvalidParameter.CPU.Memory"
    huge = web_spec()
    huge["containers"][0]["cpu"] = 100.0
    assert create_error(api, flat(huge)).code == "InvalidParameter.CPU.Memory"  # no size fits the sums
    bad_port = flat(web_spec())
    bad_port["Container.1.Port.1.Port"] = "70000"
    e = create_error(api, bad_port)
    assert e.code == "InvalidParameter" and '"Container.1.Port.1.Port"' in e.body["Message"]


@pytest.mark.parametrize("name", ["ContainerGroupName", "Container.1.Name", "Container.2.Image"])
def test_create_missing_parameters(api: Api, name: str) -> None:
    params = flat(web_spec())
    del params[name]
    e = create_error(api, params)
    assert (e.status, e.code) == (400, "MissingParameter") and name in e.body["Message"]


def test_create_without_containers(api: Api) -> None:
    e = create_error(api, {"ContainerGroupName": "empty"})
    assert e.code == "MissingParameter" and '"Container"' in e.body["Message"]


def test_create_rejects_unknown_parameters_by_name(api: Api) -> None:
    e = create_error(api, {**flat(web_spec()), "Container.1.Colour": "blue"})
    assert e.code == "InvalidParameter" and "Container.1.Colour" in e.body["Message"]


def test_create_accepts_owner_parameters_and_the_provider_tag(api: Api) -> None:
    params = {**flat(web_spec()), "OwnerId": "1", "Tag.3.Key": "eci-provider/owner", "Tag.3.Value": "stack-1"}
    gid = api.call("CreateContainerGroup", params)["ContainerGroupId"]
    group = api.group(gid)
    assert group is not None and {"Key": "eci-provider/owner", "Value": "stack-1"} in group["Tags"]


def test_create_rejects_service_tags(api: Api) -> None:
    e = create_error(api, {**flat(web_spec()), "Tag.3.Key": "acs:owner", "Tag.3.Value": "x"})
    assert e.code == "InvalidParameter" and "Tag" in e.body["Message"]


def test_dry_run_validates_without_creating(api: Api) -> None:
    e = create_error(api, {**flat(web_spec()), "DryRun": "true"})
    assert e.code == "DryRunOperation"
    assert api.describe()["TotalCount"] == 0
    dup = web_spec()
    dup["containers"][1]["name"] = "web"
    assert create_error(api, {**flat(dup), "DryRun": "true"}).code == "InvalidParameter.DuplicatedName"


def test_private_ip_cannot_be_shared_by_live_groups(api: Api) -> None:
    first = api.create(web_spec(private_ip_address="172.16.9.9"))
    assert create_error(api, flat(web_spec(private_ip_address="172.16.9.9"))).code == "PrivateIpAddress.Already.InUse"
    api.emulator.force_status(first, "Failed")  # a failed instance releases its IP
    api.create(web_spec(private_ip_address="172.16.9.9"))


# --------------------------------------------------------------------------------------
# The element
# --------------------------------------------------------------------------------------


def test_element_runtime_facts(api: Api) -> None:
    spec = web_spec(
        cpu=1.5,
        memory=3.0,
        v_switch_id="vsw-a,vsw-b",
        instance_type="ecs.c6.large,ecs.g6.large",
        private_ip_address="172.16.5.5",
        auto_create_eip=True,
        image_registry_credentials=[{"server": "r.example.com", "user_name": "u", "password": "pw"}],
    )
    spec["containers"][0]["environment_vars"] = [{"key": "SECRET", "value": "v"}]
    spec["containers"][0]["environment_var_hide"] = True
    group = api.group(api.create(spec))
    assert group is not None
    assert (group["Cpu"], group["Memory"]) == (2.0, 4.0)  # rounded up (ECI instance specifications)
    assert (group["VSwitchId"], group["InstanceType"]) == ("vsw-a", "ecs.c6.large")
    assert group["ZoneId"].startswith("cn-hangzhou-") and group["SecurityGroupId"] and group["VpcId"].startswith("vpc-")
    assert group["IntranetIp"] == "172.16.5.5" and group["InternetIp"] and group["EniInstanceId"].startswith("eni-")
    assert (group["RegionId"], group["RestartPolicy"], group["SpotStrategy"]) == ("cn-hangzhou", "Always", "NoSpot")
    assert group["ContainerGroupId"].startswith("eci-") and len(group["ContainerGroupId"]) == 24
    assert "ImageRegistryCredentials" not in group and "pw" not in json.dumps(group)
    assert "EnvironmentVars" not in group["Containers"][0]  # hidden by EnvironmentVarHide
    cfg = next(v for v in group["Volumes"] if v["Name"] == "cfg")
    assert cfg["ConfigFileVolumeConfigFileToPaths"] == [{"Path": "app.conf"}]  # content is write-only
    assert {t["Key"] for t in group["Tags"]} == {"team", "env"}


def test_sizes_and_addresses_are_filled_in(api: Api) -> None:
    a = api.group(api.create(web_spec(name="aa")))
    b = api.group(api.create({"name": "bb", "containers": [{"name": "c", "image": "nginx"}]}))
    assert a is not None and b is not None
    assert (a["Cpu"], a["Memory"]) == (0.5, 1.0)  # from the containers' sums
    assert (b["Cpu"], b["Memory"]) == (2.0, 4.0)  # the documented default
    assert a["IntranetIp"] != b["IntranetIp"] and a["InternetIp"] == ""


def test_observe_decodes_the_element(api: Api) -> None:
    gid = api.create(web_spec(restart_policy="OnFailure"))
    group = api.group(gid)
    assert group is not None
    observed = wire.observe(group)
    assert (observed.container_group_id, observed.status) == (gid, "Running")
    assert observed.restart_counts == {"web": 0, "sidecar": 0}
    assert observed.spec.restart_policy == "OnFailure" and observed.spec.tags == {"team": "shop", "env": "dev"}


# Fields the service fills in or chooses for itself; they cannot round-trip exactly.
_FILLED = [
    n
    for n in ContainerGroupSpec.model_fields
    if (r := rules.rule_of(ContainerGroupSpec, n)).computed or r.one_of_csv or r.doc_default is not None
]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(spec=specs())
def test_every_valid_spec_round_trips_through_describe(spec: ContainerGroupSpec) -> None:
    api = Api(make_emulator(transition_seconds=0.0))
    params = wire.to_create_params(spec, "cn-hangzhou")
    del params["RegionId"]
    group = api.group(api.call("CreateContainerGroup", params)["ContainerGroupId"])
    assert group is not None
    seen = wire.from_describe(group).model_copy(update=dict.fromkeys(_FILLED))
    assert seen == wire.visible(spec).model_copy(update=dict.fromkeys(_FILLED))


# --------------------------------------------------------------------------------------
# Filters, limits, paging
# --------------------------------------------------------------------------------------


def describe_error(api: Api, **params: Any) -> ApiCallError:
    with pytest.raises(ApiCallError) as e:
        api.describe(**params)
    return e.value


def test_filters(api: Api) -> None:
    a = api.create(web_spec(name="aa", tags={"team": "shop", "env": "dev"}, resource_group_id="rg-1"))
    b = api.create(
        web_spec(name="bb", tags={"team": "shop", "env": "prod"}, v_switch_id="vsw-x", zone_id="cn-hangzhou-k")
    )
    c = api.create(web_spec(name="cc", tags={"team": "ads"}, security_group_id="sg-9", compute_categories=["economy"]))
    api.emulator.force_status(c, "Succeeded")

    def ids(**params: Any) -> set[str]:
        return {g["ContainerGroupId"] for g in api.describe(**params)["ContainerGroups"]}

    assert ids() == {a, b, c}
    assert ids(ContainerGroupIds=json.dumps([a, c, "eci-unknown"])) == {a, c}
    assert ids(ContainerGroupName="bb") == {b}
    assert ids(Status="Succeeded") == {c}
    assert ids(**{"Tag.1.Key": "team", "Tag.1.Value": "shop"}) == {a, b}
    assert ids(**{"Tag.1.Key": "team", "Tag.1.Value": "shop", "Tag.2.Key": "env", "Tag.2.Value": "prod"}) == {b}
    assert ids(**{"Tag.1.Key": "env"}) == {a, b}
    assert ids(ResourceGroupId="rg-1") == {a}
    assert ids(VSwitchId="vsw-x") == {b}
    assert ids(ZoneId="cn-hangzhou-k") == {b}
    assert ids(SecurityGroupId="sg-9") == {c}
    assert ids(ComputeCategory="economy") == {c}
    assert ids(ComputeCategory="general") == {a, b}
    other_region = Api(api.emulator, region="cn-beijing")
    assert other_region.describe()["TotalCount"] == 0
    with pytest.raises(ApiCallError) as e:
        other_region.call("DeleteContainerGroup", ContainerGroupId=a)
    assert e.value.code == "InvalidParameter.NotFound"


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"ContainerGroupIds": json.dumps([f"eci-{i}" for i in range(21)])}, "ContainerGroupIds"),
        ({"ContainerGroupIds": "eci-1,eci-2"}, "ContainerGroupIds"),
        ({"Limit": "21"}, "Limit"),
        ({"Limit": "0"}, "Limit"),
        ({"Limit": "ten"}, "Limit"),
        ({"NextToken": "garbage"}, "NextToken"),
        ({"Status": "Sleeping"}, "Status"),
        ({**{f"Tag.{i}.Key": f"k{i}" for i in range(1, 12)}}, "Tag"),
        ({"WithEvent": "maybe"}, "WithEvent"),
        ({"Colour": "blue"}, "Colour"),
    ],
)
def test_describe_rejects_bad_parameters(api: Api, params: dict[str, str], name: str) -> None:
    e = describe_error(api, **params)
    assert (e.status, e.code) == (400, "InvalidParameter") and name in e.body["Message"]


def test_twenty_ids_are_accepted(api: Api) -> None:
    assert api.describe(ContainerGroupIds=json.dumps([f"eci-{i}" for i in range(20)]))["TotalCount"] == 0


def test_paging_walks_every_group_once_newest_first(api: Api, clock: FakeClock) -> None:
    created = []
    for i in range(45):
        created.append(api.create(web_spec(name=f"g-{i}")))
        clock.advance(1)
    for limit, expected in ((20, [20, 20, 5]), (15, [15, 15, 15])):  # an exact multiple ends without a token
        seen: list[str] = []
        token = ""
        pages = []
        while True:
            body = api.describe(Limit=limit, **({"NextToken": token} if token else {}))
            assert body["TotalCount"] == 45
            pages.append(len(body["ContainerGroups"]))
            seen += [g["ContainerGroupId"] for g in body["ContainerGroups"]]
            token = body["NextToken"]
            if not token:
                break
        assert pages == expected
        assert seen == list(reversed(created))
    assert len(api.describe()["ContainerGroups"]) == 20  # the default limit


def test_paging_is_stable_when_groups_are_created_between_pages(api: Api, clock: FakeClock) -> None:
    for i in range(3):
        api.create(web_spec(name=f"g-{i}"))
        clock.advance(1)
    first = api.describe(Limit=2)
    api.create(web_spec(name="late"))
    second = api.describe(Limit=2, NextToken=first["NextToken"])
    names = [g["ContainerGroupName"] for g in first["ContainerGroups"] + second["ContainerGroups"]]
    assert names == ["g-2", "g-1", "g-0"]


def test_a_token_cannot_be_used_with_other_filters(api: Api) -> None:
    for i in range(3):
        api.create(web_spec(name=f"g-{i}"))
    token = api.describe(Limit=1)["NextToken"]
    e = describe_error(api, Limit=1, NextToken=token, ContainerGroupName="g-1")
    assert e.code == "InvalidParameter" and "NextToken" in e.body["Message"]


def test_with_event(api: Api) -> None:
    gid = api.create(web_spec())
    assert api.describe()["ContainerGroups"][0]["Events"]
    assert api.describe(WithEvent="False")["ContainerGroups"][0]["Events"] == []
    assert api.group(gid) is not None


def test_addresses_start_where_the_docs_say(api: Api) -> None:
    """docs/emulator.md: "allocated sequentially from 172.16.0.2", 250 per /24 (.2 to .251)."""
    doc = " ".join((Path(__file__).resolve().parent.parent / "docs" / "emulator.md").read_text().split())
    first_documented = re.search(r"allocated sequentially from (\d+\.\d+\.\d+\.\d+)", doc)
    assert first_documented is not None
    addresses = [api.group(api.create(web_spec(name=f"g{i}"))) for i in range(2)]
    assert [g["IntranetIp"] for g in addresses if g] == [first_documented.group(1), "172.16.0.3"]
    spec = ContainerGroupSpec.model_validate(web_spec())
    assert [place(spec, "cn-hangzhou", seq)["IntranetIp"] for seq in (1, 250, 251)] == [
        "172.16.0.2",
        "172.16.0.251",
        "172.16.1.2",
    ]
