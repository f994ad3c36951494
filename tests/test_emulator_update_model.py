"""The emulator's update model, rule by rule (docs/update-rules.md).

Unit tests call :func:`updates.plan_update` with parameters decoded by the real codec; the
API tests at the end check what a client sees: status, RestartCount, events, error codes.
"""

from __future__ import annotations

from typing import Any

import pytest
from emulator_helpers import Api, ApiCallError, FakeClock, restart_counts, update_params, web_spec

from eci_provider.cloud import wire
from eci_provider.emulator import updates
from eci_provider.emulator.errors import ApiError
from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules import ListMode, Restart


def spec(**overrides: Any) -> ContainerGroupSpec:
    return ContainerGroupSpec.model_validate(web_spec(**overrides))


def plan(
    current: ContainerGroupSpec, desired: dict[str, Any], *fields: str, mode: str | None = None
) -> updates.UpdatePlan:
    sent = wire.decode_update_params(update_params(desired, *fields))
    return updates.plan_update(current, sent, mode)


def error(current: ContainerGroupSpec, desired: dict[str, Any], *fields: str, mode: str | None = None) -> ApiError:
    with pytest.raises(ApiError) as e:
        plan(current, desired, *fields, mode=mode)
    return e.value


def containers(p: updates.UpdatePlan) -> list[str]:
    return [c.name for c in p.spec.containers]


# --------------------------------------------------------------------------------------
# The emulator's own tables agree with the rules the planner reads
# --------------------------------------------------------------------------------------


def test_tables_agree_with_rule_metadata() -> None:
    top = {n: rules.rule_of(ContainerGroupSpec, n) for n in ContainerGroupSpec.model_fields}
    updatable = {n for n, r in top.items() if not r.create_only}
    assert {n for n in updatable if top[n].list_mode is ListMode.FULL} == set(updates.FULL_LISTS)
    merge = {n for n in updatable if top[n].list_mode is ListMode.MERGE}
    assert merge == set(updates.MERGE_LISTS) | updates.MERGE_STRUCTS
    for name, key in updates.MERGE_LISTS.items():
        assert top[name].merge_key == key
    assert {n for n in updatable if top[n].renew_only} == updates.RENEW_ONLY
    assert {n for n in updatable if top[n].restarts is Restart.INSTANCE} == set(updates.INSTANCE_RESTART)
    assert {n for n in updatable if top[n].restarts is Restart.NONE} == set(updates.NO_RESTART)
    assert {n for n in updatable if top[n].no_restart_if_alone_not_growing} == updates.NO_RESTART_IF_ALONE_NOT_GROWING
    assert top[updates.CONTAINER_RESTART].restarts is Restart.CHANGED_CONTAINERS
    assert top[updates.VOLUME_RESTART].restarts is Restart.MOUNTING_CONTAINERS


# --------------------------------------------------------------------------------------
# What is applied (UpdateContainerGroup API reference; interpretation "merge-and-renew")
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RenewUpdate", "IncrementalUpdate"])
def test_omitted_parameters_are_unchanged_in_both_modes(mode: str) -> None:
    current = spec(restart_policy="Always", dns_config={"name_servers": ["1.1.1.1"]})
    p = plan(current, web_spec(restart_policy="Never"), "restart_policy", mode=mode)
    assert p.spec.restart_policy == "Never"
    assert p.spec.model_copy(update={"restart_policy": "Always"}) == current
    assert p.changed == ("restart_policy",)


def test_default_update_type_is_renew() -> None:
    current = spec()
    p = plan(current, web_spec(tags={"team": "shop"}), "tags")
    assert p.spec.tags == {"team": "shop"}  # RenewUpdate replaces the tag list


@pytest.mark.parametrize("mode", ["RenewUpdate", "IncrementalUpdate"])
def test_containers_replace_the_whole_list(mode: str) -> None:
    current = spec()
    desired = web_spec()
    desired["containers"] = [desired["containers"][0]]
    p = plan(current, desired, "containers", mode=mode)
    assert containers(p) == ["web"]


@pytest.mark.parametrize("mode", ["RenewUpdate", "IncrementalUpdate"])
def test_init_containers_replace_the_whole_list(mode: str) -> None:
    current = spec(init_containers=[{"name": "a", "image": "busybox"}, {"name": "b", "image": "busybox"}])
    p = plan(current, web_spec(init_containers=[{"name": "c", "image": "busybox"}]), "init_containers", mode=mode)
    assert [c.name for c in p.spec.init_containers or ()] == ["c"]


def test_credentials_replace_the_whole_list_under_renew() -> None:
    creds = [{"server": "a.example.com", "user_name": "u", "password": "p1"}]
    current = spec(image_registry_credentials=[*creds, {"server": "b.example.com", "user_name": "u", "password": "p"}])
    p = plan(current, web_spec(image_registry_credentials=creds), "image_registry_credentials", mode="RenewUpdate")
    assert [c.server for c in p.spec.image_registry_credentials or ()] == ["a.example.com"]


def test_credentials_are_rejected_under_incremental_update() -> None:
    current = spec()
    password = "pw-7Rq2"
    desired = web_spec(image_registry_credentials=[{"server": "a.example.com", "user_name": "u", "password": password}])
    e = error(current, desired, "image_registry_credentials", mode="IncrementalUpdate")
    assert e.code == "InvalidParameter"
    assert "ImageRegistryCredential" in e.message and "RenewUpdate" in e.message
    assert password not in e.message  # the password is not echoed


def test_unknown_update_type_is_invalid() -> None:
    e = error(spec(), web_spec(restart_policy="Never"), "restart_policy", mode="FullUpdate")
    assert (e.code, "UpdateType" in e.message) == ("InvalidParameter", True)


def test_tags_renew_replaces_incremental_merges_by_key() -> None:
    current = spec(tags={"team": "shop", "env": "dev"})
    desired = web_spec(tags={"env": "prod", "owner": "me"})
    assert plan(current, desired, "tags", mode="RenewUpdate").spec.tags == {"env": "prod", "owner": "me"}
    merged = plan(current, desired, "tags", mode="IncrementalUpdate").spec.tags
    assert merged == {"team": "shop", "env": "prod", "owner": "me"}


def test_volumes_renew_replaces_incremental_merges_by_name() -> None:
    current = spec()
    desired = web_spec()
    desired["volumes"] = [
        desired["volumes"][0],
        {"name": "cache", "type": "EmptyDirVolume", "empty_dir_volume": {"medium": "Memory"}},
    ]
    renew = plan(current, desired, "volumes", mode="RenewUpdate")
    assert [v.name for v in renew.spec.volumes or ()] == ["cfg", "cache"]  # scratch removed
    incremental = plan(current, desired, "volumes", mode="IncrementalUpdate")
    assert [v.name for v in incremental.spec.volumes or ()] == ["cfg", "scratch", "cache"]


def test_acr_registry_infos_renew_replaces_incremental_merges_by_instance_id() -> None:
    current = spec(acr_registry_infos=[{"instance_id": "cri-1", "instance_name": "one"}, {"instance_id": "cri-2"}])
    desired = web_spec(acr_registry_infos=[{"instance_id": "cri-2", "instance_name": "two"}])
    renew = plan(current, desired, "acr_registry_infos", mode="RenewUpdate").spec.acr_registry_infos or []
    assert [(a.instance_id, a.instance_name) for a in renew] == [("cri-2", "two")]
    incremental = plan(current, desired, "acr_registry_infos", mode="IncrementalUpdate").spec.acr_registry_infos or []
    assert [(a.instance_id, a.instance_name) for a in incremental] == [("cri-1", "one"), ("cri-2", "two")]


def test_dns_config_renew_replaces_struct_incremental_overwrites_sent_members() -> None:
    current = spec(dns_config={"name_servers": ["1.1.1.1"], "searches": ["svc.local"]})
    desired = web_spec(dns_config={"name_servers": ["8.8.8.8"]})
    renew = plan(current, desired, "dns_config", mode="RenewUpdate").spec.dns_config
    assert renew is not None and (renew.name_servers, renew.searches) == (["8.8.8.8"], None)
    incremental = plan(current, desired, "dns_config", mode="IncrementalUpdate").spec.dns_config
    assert incremental is not None and (incremental.name_servers, incremental.searches) == (["8.8.8.8"], ["svc.local"])


# --------------------------------------------------------------------------------------
# Interpretation: create-only fields of re-sent items are kept
# --------------------------------------------------------------------------------------


def test_container_create_only_fields_are_kept_when_resent_by_name() -> None:
    current_dict = web_spec()
    current_dict["containers"][0].update(
        environment_var_hide=True,
        security_context_privileged=True,
        security_context_run_as_group=7,
        termination_message_path="/tmp/term",
        termination_message_policy="FallbackToLogsOnError",
    )
    current = ContainerGroupSpec.model_validate(current_dict)
    desired = web_spec()
    desired["containers"][0]["image"] = "nginx:1.27"
    desired["containers"].append({"name": "new", "image": "busybox"})
    p = plan(current, desired, "containers")
    web, _, new = p.spec.containers
    assert (web.image, web.environment_var_hide, web.security_context_privileged) == ("nginx:1.27", True, True)
    assert (web.security_context_run_as_group, web.termination_message_path) == (7, "/tmp/term")
    assert web.termination_message_policy == "FallbackToLogsOnError"
    assert (new.environment_var_hide, new.termination_message_path) == (None, None)


def test_renamed_container_does_not_inherit_create_only_fields() -> None:
    current_dict = web_spec()
    current_dict["containers"][0]["security_context_privileged"] = True
    current = ContainerGroupSpec.model_validate(current_dict)
    desired = web_spec()
    desired["containers"][0]["name"] = "web2"
    p = plan(current, desired, "containers")
    assert p.spec.containers[0].name == "web2" and p.spec.containers[0].security_context_privileged is None


def test_init_container_create_only_fields_are_kept() -> None:
    current = spec(init_containers=[{"name": "init", "image": "busybox", "termination_message_path": "/t"}])
    p = plan(current, web_spec(init_containers=[{"name": "init", "image": "busybox:2"}]), "init_containers")
    assert (p.spec.init_containers or [])[0].termination_message_path == "/t"


@pytest.mark.parametrize("mode", ["RenewUpdate", "IncrementalUpdate"])
def test_volume_create_only_fields_are_kept(mode: str) -> None:
    current_dict = web_spec()
    current_dict["volumes"][0]["config_file_volume"].update(
        default_mode=644, config_file_to_paths=[{"path": "app.conf", "content": "aGVsbG8=", "mode": 600}]
    )
    current_dict["volumes"].append(
        {"name": "disk", "type": "DiskVolume", "disk_volume": {"disk_id": "d-1", "fs_type": "xfs"}}
    )
    current = ContainerGroupSpec.model_validate(current_dict)
    desired = web_spec()
    desired["volumes"][0]["config_file_volume"]["config_file_to_paths"] = [
        {"path": "app.conf", "content": "d29ybGQ="},
        {"path": "new.conf", "content": "eA=="},
    ]
    desired["volumes"].append({"name": "disk", "type": "DiskVolume"})
    p = plan(current, desired, "volumes", mode=mode)
    volumes = {v.name: v for v in p.spec.volumes or ()}
    cfg = volumes["cfg"].config_file_volume
    assert cfg is not None and cfg.default_mode == 644
    assert [(f.path, f.mode) for f in cfg.config_file_to_paths or ()] == [("app.conf", 600), ("new.conf", None)]
    disk = volumes["disk"].disk_volume
    assert disk is not None and (disk.disk_id, disk.fs_type) == ("d-1", "xfs")


def test_disk_volume_cannot_be_added_by_update() -> None:
    desired = web_spec()
    desired["volumes"].append({"name": "disk", "type": "DiskVolume"})
    e = error(spec(), desired, "volumes", mode="IncrementalUpdate")
    assert e.code == "InvalidParameter" and "Volume.3.DiskVolume" in e.message


def test_acr_create_only_fields_are_kept() -> None:
    current = spec(acr_registry_infos=[{"instance_id": "cri-1", "arn_service": "acs:ram::1:role/x"}])
    p = plan(
        current, web_spec(acr_registry_infos=[{"instance_id": "cri-1", "instance_name": "n"}]), "acr_registry_infos"
    )
    assert (p.spec.acr_registry_infos or [])[0].arn_service == "acs:ram::1:role/x"


# --------------------------------------------------------------------------------------
# Effective spec validation and NoNeedUpdate
# --------------------------------------------------------------------------------------


def test_effective_spec_is_validated_with_seed_codes() -> None:
    current = spec()
    dup = web_spec()
    dup["containers"][1]["name"] = "web"
    assert error(current, dup, "containers").code == "InvalidParameter.DuplicatedName"
    vols = web_spec()
    vols["volumes"].append({"name": "scratch", "type": "EmptyDirVolume"})
    assert error(current, vols, "volumes", mode="RenewUpdate").code == "InvalidParameter.DuplicatedVolumeName"
    too_big = spec(cpu=1.0, memory=2.0)
    big = web_spec(cpu=1.0, memory=2.0)
    big["containers"][0]["cpu"] = 2.0
    assert error(too_big, big, "containers").code == "InvalidParameter.CPU.Memory"
    assert error(current, web_spec(cpu=128.0, memory=1.0), "cpu", "memory").code == "InvalidParameter.CPU.Memory"


def test_removing_a_mounted_volume_is_invalid() -> None:
    desired = web_spec()
    desired["volumes"] = [desired["volumes"][1]]
    e = error(spec(), desired, "volumes", mode="RenewUpdate")
    assert e.code == "InvalidParameter" and "VolumeMount" in e.message


@pytest.mark.parametrize(
    ("desired", "fields"),
    [
        (web_spec(), ("containers",)),
        (web_spec(containers=list(reversed(web_spec()["containers"]))), ("containers",)),
        (web_spec(tags={"env": "dev", "team": "shop"}), ("tags",)),
        (web_spec(volumes=list(reversed(web_spec()["volumes"]))), ("volumes",)),
        (web_spec(restart_policy="Always"), ("restart_policy",)),  # the documented default
        (web_spec(cpu=0.5, memory=1.0), ("cpu", "memory")),  # the size derived from the containers' sums
        (web_spec(cpu=0.4, memory=0.9), ("cpu", "memory")),  # rounds to that same size
    ],
)
def test_no_need_update(desired: dict[str, Any], fields: tuple[str, ...]) -> None:
    e = error(spec(), desired, *fields, mode="RenewUpdate")
    assert e.code == "NoNeedUpdate"


def test_port_protocol_default_and_number_spelling_are_no_change() -> None:
    current_dict = web_spec()
    current_dict["containers"][0]["ports"] = [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]
    desired = web_spec()
    desired["containers"][0]["ports"] = [{"port": 53, "protocol": "UDP"}, {"port": 80}]
    e = error(ContainerGroupSpec.model_validate(current_dict), desired, "containers")
    assert e.code == "NoNeedUpdate"


def test_environment_variable_order_is_a_change() -> None:
    current_dict = web_spec()
    current_dict["containers"][0]["environment_vars"] = [{"key": "A", "value": "1"}, {"key": "B", "value": "2"}]
    desired = web_spec()
    desired["containers"][0]["environment_vars"] = [{"key": "B", "value": "2"}, {"key": "A", "value": "1"}]
    p = plan(ContainerGroupSpec.model_validate(current_dict), desired, "containers")
    assert p.restart_containers == {"web": "its spec changed"}


# --------------------------------------------------------------------------------------
# What restarts (UpdateContainerGroup API reference; the restart interpretations)
# --------------------------------------------------------------------------------------


def test_init_container_change_restarts_the_instance() -> None:
    current = spec(init_containers=[{"name": "init", "image": "busybox"}])
    p = plan(current, web_spec(init_containers=[{"name": "init", "image": "busybox:2"}]), "init_containers")
    assert (p.restart_instance, p.instance_reasons) == (True, ("InitContainer",))


def test_adding_the_first_init_container_restarts_the_instance() -> None:
    p = plan(spec(), web_spec(init_containers=[{"name": "init", "image": "busybox"}]), "init_containers")
    assert p.restart_instance


CREDS = [{"server": "a.example.com", "user_name": "u", "password": "p"}]
TWO_CREDS = [*CREDS, {"server": "b.example.com", "user_name": "u", "password": "p"}]


def test_credentials_alone_not_growing_restart_nothing() -> None:
    current = spec(image_registry_credentials=TWO_CREDS)
    new = [{"server": "a.example.com", "user_name": "u", "password": "rotated"}]
    p = plan(current, web_spec(image_registry_credentials=new), "image_registry_credentials")
    assert (p.restart_instance, p.restart_containers) == (False, {})


def test_credentials_growing_restart_the_instance() -> None:
    p = plan(
        spec(image_registry_credentials=CREDS),
        web_spec(image_registry_credentials=TWO_CREDS),
        "image_registry_credentials",
    )
    assert p.instance_reasons == ("ImageRegistryCredential",)


def test_credentials_sent_with_other_changes_restart_the_instance() -> None:
    current = spec(image_registry_credentials=TWO_CREDS)
    desired = web_spec(image_registry_credentials=CREDS, tags={"team": "x"})
    p = plan(current, desired, "image_registry_credentials", "tags")
    assert p.instance_reasons == ("ImageRegistryCredential",)


@pytest.mark.parametrize(
    ("desired", "fields", "reasons"),
    [
        (web_spec(cpu=4.0, memory=8.0), ("cpu", "memory"), ("Cpu", "Memory")),
        (web_spec(dns_config={"name_servers": ["8.8.8.8"]}), ("dns_config",), ("DnsConfig",)),
    ],
)
def test_inferred_instance_restarts(desired: dict[str, Any], fields: tuple[str, ...], reasons: tuple[str, ...]) -> None:
    assert plan(spec(), desired, *fields).instance_reasons == reasons


def test_container_change_restarts_only_that_container() -> None:
    desired = web_spec()
    desired["containers"][1]["commands"] = ["sleep", "60"]
    p = plan(spec(), desired, "containers")
    assert (p.restart_instance, p.restart_containers) == (False, {"sidecar": "its spec changed"})


def test_volume_change_restarts_the_containers_that_mount_it() -> None:
    desired = web_spec()
    desired["volumes"][0]["config_file_volume"]["config_file_to_paths"][0]["content"] = "d29ybGQ="
    p = plan(spec(), desired, "volumes", mode="IncrementalUpdate")
    assert (p.restart_instance, p.restart_containers) == (False, {"web": "volume cfg changed"})
    unmounted = web_spec()
    unmounted["volumes"][1]["empty_dir_volume"] = {"medium": "Memory"}
    assert plan(spec(), unmounted, "volumes").restart_containers == {}


@pytest.mark.parametrize(
    ("desired", "field"),
    [
        (web_spec(tags={"team": "other"}), "tags"),
        (web_spec(resource_group_id="rg-1"), "resource_group_id"),
        (web_spec(restart_policy="OnFailure"), "restart_policy"),
        (web_spec(acr_registry_infos=[{"instance_id": "cri-1"}]), "acr_registry_infos"),
    ],
)
def test_changes_that_restart_nothing(desired: dict[str, Any], field: str) -> None:
    p = plan(spec(), desired, field)
    assert (p.changed, p.restart_instance, p.restart_containers) == ((field,), False, {})


# --------------------------------------------------------------------------------------
# Through the API: states, restart visibility, error spelling
# --------------------------------------------------------------------------------------


def running(api: Api, clock: FakeClock, spec_dict: dict[str, Any] | None = None) -> str:
    gid = api.create(spec_dict or web_spec())
    clock.advance(2)  # Scheduling → Pending → Running
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    return gid


def test_update_goes_through_updating_and_restarts_changed_container(api: Api, clock: FakeClock) -> None:
    gid = running(api, clock)
    desired = web_spec()
    desired["containers"][1]["image"] = "busybox:2"
    desired["containers"].append({"name": "extra", "image": "redis"})
    api.update(gid, update_params(desired, "containers"), "IncrementalUpdate")
    group = api.group(gid)
    assert group is not None and group["Status"] == "Updating"
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running"
    assert restart_counts(group) == {"web": 0, "sidecar": 1, "extra": 0}
    sidecar = next(c for c in group["Containers"] if c["Name"] == "sidecar")
    assert sidecar["Image"] == "busybox:2" and sidecar["PreviousState"]["State"] == "Terminated"
    assert sidecar["CurrentState"]["StartTime"] != group["CreationTime"]
    reasons = {(e["Reason"], e["Name"]) for e in group["Events"]}
    assert ("Updated", "web-app") in reasons and ("Restarted", "sidecar") in reasons


def test_instance_restart_is_visible_on_every_container_and_init_container(api: Api, clock: FakeClock) -> None:
    gid = running(api, clock, web_spec(init_containers=[{"name": "init", "image": "busybox"}]))
    api.update(
        gid, update_params(web_spec(init_containers=[{"name": "init", "image": "busybox:2"}]), "init_containers")
    )
    clock.advance(1)
    group = api.group(gid)
    assert group is not None
    assert restart_counts(group) == {"web": 1, "sidecar": 1}
    assert restart_counts(group, "InitContainers") == {"init": 1}
    assert any(e["Reason"] == "Restarted" and "InitContainer" in e["Message"] for e in group["Events"])


def test_tag_update_restarts_nothing_and_shows_new_tags(api: Api, clock: FakeClock) -> None:
    gid = running(api, clock)
    api.update(gid, update_params(web_spec(tags={"env": "prod"}), "tags"), "IncrementalUpdate")
    clock.advance(1)
    group = api.group(gid)
    assert group is not None
    assert restart_counts(group) == {"web": 0, "sidecar": 0}
    assert {t["Key"]: t["Value"] for t in group["Tags"]} == {"team": "shop", "env": "prod"}


@pytest.mark.parametrize("status", ["Scheduling", "Updating", "Restarting", "Succeeded", "Failed", "Expired"])
def test_only_pending_or_running_can_be_updated(api: Api, status: str) -> None:
    gid = api.create(web_spec())
    api.emulator.force_status(gid, status)
    with pytest.raises(ApiCallError) as e:
        api.update(gid, update_params(web_spec(tags={"a": "b"}), "tags"))
    assert (e.value.status, e.value.code) == (400, "IncorrectStatus")
    assert status in e.value.body["Message"]


def test_pending_group_can_be_updated(api: Api, clock: FakeClock) -> None:
    gid = api.create(web_spec())
    clock.advance(1)
    assert (api.group(gid) or {})["Status"] == "Pending"
    api.update(gid, update_params(web_spec(tags={"a": "b"}), "tags"))
    clock.advance(1)
    group = api.group(gid)
    assert group is not None and group["Status"] == "Running" and restart_counts(group) == {"web": 0, "sidecar": 0}


def test_update_errors_through_the_api(api: Api, clock: FakeClock) -> None:
    gid = running(api, clock)
    with pytest.raises(ApiCallError) as e:
        api.update("eci-doesnotexist", update_params(web_spec(tags={"a": "b"}), "tags"))
    assert (e.value.status, e.value.code) == (404, "InvalidParameter.NotFound")
    with pytest.raises(ApiCallError) as e:
        api.update(gid, update_params(web_spec(), "tags"))
    assert e.value.code == "NoNeedUpdate"
    bad = update_params(web_spec(), "containers")
    bad["Container.1.Port.1.Port"] = "0"
    with pytest.raises(ApiCallError) as e:
        api.update(gid, bad)
    assert e.value.code == "InvalidParameter" and '"Container.1.Port.1.Port"' in e.value.body["Message"]
    with pytest.raises(ApiCallError) as e:
        api.update(gid, {"Container.1.EnvironmentVarHide": "true", **update_params(web_spec(), "containers")})
    assert e.value.code == "InvalidParameter" and "Container.1.EnvironmentVarHide" in e.value.body["Message"]
    missing = update_params(web_spec(), "containers")
    del missing["Container.2.Image"]
    with pytest.raises(ApiCallError) as e:
        api.update(gid, missing)
    assert e.value.code == "MissingParameter" and "Container.2.Image" in e.value.body["Message"]
    with pytest.raises(ApiCallError) as e:
        api.call("UpdateContainerGroup", {"Tag.1.Key": "a"})
    assert e.value.code == "MissingParameter" and "ContainerGroupId" in e.value.body["Message"]


def test_a_block_with_only_create_only_fields_survives_a_resend() -> None:
    """Found by the planner-vs-emulator property test: the 2019 EmptyDirVolume.Enable cannot be
    sent in an update, so re-sending the volume must keep it instead of dropping the block."""
    from eci_provider.emulator.updates import plan_update
    from eci_provider.spec.model import ContainerGroupSpec, Volume

    current = ContainerGroupSpec.model_validate(
        {
            "name": "ab",
            "volumes": [{"name": "v", "type": "EmptyDirVolume", "empty_dir_volume": {"enable": True}}],
            "containers": [{"name": "c", "image": "x", "volume_mounts": [{"name": "v", "mount_path": "/v"}]}],
        }
    )
    sent = {"volumes": [Volume(name="v", type="EmptyDirVolume"), Volume(name="w", type="EmptyDirVolume")]}
    result = plan_update(current, sent, "IncrementalUpdate")
    assert result.spec.volumes[0].empty_dir_volume is not None  # type: ignore[index]
    assert result.spec.volumes[0].empty_dir_volume.enable is True  # type: ignore[index,union-attr]
    assert result.restart_containers == {}  # only an unmounted volume was added
