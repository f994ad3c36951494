"""The per-field rules are the single source of truth; check them against independent sources.

* The official SDK's request models (2.1.0) list every wire name Create and Update accept. A
  field we mark updatable must exist in UpdateContainerGroupRequest under the name we use, and a
  field we mark create-only must not.
* The UpdateContainerGroup API reference and the Alibaba Cloud API metadata name the updatable
  top-level parameters and the create-only fields inside
  containers and volumes.
"""

from __future__ import annotations

import re
import typing
from typing import get_type_hints

from alibabacloud_eci20180808 import models as eci
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from Tea.model import TeaModel

from eci_provider.spec import rules, sources
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules import ListMode, Restart


def _populate(tp: typing.Any) -> typing.Any:
    origin = typing.get_origin(tp)
    if origin in (list, typing.List):  # noqa: UP006 - the SDK annotates with typing.List
        return [_populate(typing.get_args(tp)[0])]
    if isinstance(tp, type) and issubclass(tp, TeaModel):
        hints = get_type_hints(tp.__init__, vars(eci))
        return tp(**{n: _populate(t) for n, t in hints.items() if n != "return"})
    return {bool: True, int: 1, float: 1.5}.get(tp, "s")


def sdk_names(cls: type) -> set[str]:
    """Every flattened name a fully populated SDK request emits, list indices as N."""
    return {re.sub(r"\.1(?=\.|$)", ".N", k) for k in OpenApiUtil.query(_populate(cls).to_map())}


OPERATION_PARAMS = {"RegionId", "ClientToken", "OwnerId", "OwnerAccount", "ResourceOwnerId", "ResourceOwnerAccount"}


def our_names(mode: str) -> set[str]:
    out = set()
    for f in rules.walk(ContainerGroupSpec):
        if f.child is not None:
            continue
        name = f.wire_create if mode == "create" else (None if f.create_only else f.wire_update)
        if name is None:
            continue
        out |= {"Tag.N.Key", "Tag.N.Value"} if f.path == "tags" else {name}
    return out


def test_every_field_has_a_rule() -> None:
    assert len(list(rules.walk(ContainerGroupSpec))) > 200


def test_create_names_match_sdk() -> None:
    sdk = sdk_names(eci.CreateContainerGroupRequest) - OPERATION_PARAMS
    ours = our_names("create")
    # Newer than SDK 2.1.0 (the 2026 CreateContainerGroup API reference) and its 2019 edition:
    assert ours - sdk == {"MaxPendingMinute", "Volume.N.EmptyDirVolume.Enable"}
    # An operation flag (the client offers dry runs) and a parameter the API dropped in 2025:
    assert sdk - ours == {"DryRun", "OverheadReservationOption.EnableOverheadReservation"}


def test_update_names_match_sdk() -> None:
    sdk = sdk_names(eci.UpdateContainerGroupRequest) - OPERATION_PARAMS - {"ContainerGroupId", "UpdateType"}
    ours = our_names("update")
    assert ours - sdk == set(), "a field marked updatable is not an UpdateContainerGroup parameter"
    # Update accepts Stdin/StdinOnce/Tty on init containers, but Create does not, so no desired
    # spec can hold them; they are not part of the spec.
    assert sdk - ours == {"InitContainer.N.Stdin", "InitContainer.N.StdinOnce", "InitContainer.N.Tty"}


def test_create_only_fields_are_absent_from_update() -> None:
    update = sdk_names(eci.UpdateContainerGroupRequest)
    for f in rules.walk(ContainerGroupSpec):
        if f.child is None and f.rule.create_only:
            # The same path under the Update spelling must not exist.
            assert f.wire_create not in update, f.path


def test_top_level_updatable_set_is_update_model_section_1() -> None:
    updatable = {n for n in ContainerGroupSpec.model_fields if not rules.rule_of(ContainerGroupSpec, n).create_only}
    apis = {rules.rule_of(ContainerGroupSpec, n).api for n in updatable}
    assert apis == {
        "RestartPolicy",
        "Cpu",
        "Memory",
        "ResourceGroupId",
        "Tag",
        "Volume",
        "DnsConfig",
        "Container",
        "InitContainer",
        "ImageRegistryCredential",
        "AcrRegistryInfo",
    }


def test_nested_create_only_fields_are_update_model_section_1() -> None:
    nested = {f.path for f in rules.walk(ContainerGroupSpec) if f.rule.create_only and "." in f.path}
    assert {
        "containers[].environment_var_hide",
        "containers[].security_context_privileged",
        "containers[].security_context_run_as_group",
        "containers[].security_context_run_as_non_root",
        "containers[].termination_message_path",
        "containers[].termination_message_policy",
        "volumes[].disk_volume",
        "volumes[].config_file_volume.default_mode",
        "volumes[].config_file_volume.config_file_to_paths[].mode",
    } <= nested
    # The Alibaba Cloud API metadata adds the init containers' termination message fields and the ACR ARNs.
    assert {
        "init_containers[].termination_message_path",
        "init_containers[].termination_message_policy",
        "acr_registry_infos[].arn_service",
        "acr_registry_infos[].arn_user",
        "volumes[].empty_dir_volume.enable",
    } <= nested


def test_restart_and_list_rules_follow_update_model() -> None:
    r = {n: rules.rule_of(ContainerGroupSpec, n) for n in ContainerGroupSpec.model_fields}
    assert r["init_containers"].restarts is Restart.INSTANCE
    assert r["containers"].restarts is Restart.CHANGED_CONTAINERS
    assert r["volumes"].restarts is Restart.MOUNTING_CONTAINERS
    for n in ("tags", "resource_group_id", "restart_policy", "acr_registry_infos"):
        assert r[n].restarts is Restart.NONE, n
    for n in ("cpu", "memory", "dns_config"):
        assert r[n].restarts is Restart.INSTANCE and r[n].restart_source == sources.INTERPRETATION, n
    cred = r["image_registry_credentials"]
    assert cred.renew_only and cred.no_restart_if_alone_not_growing and cred.restarts is Restart.INSTANCE
    for n in ("containers", "init_containers", "image_registry_credentials"):
        assert r[n].list_mode is ListMode.FULL, n
    assert {n: r[n].merge_key for n in ("tags", "volumes", "acr_registry_infos")} == {
        "tags": "key",
        "volumes": "name",
        "acr_registry_infos": "instance_id",
    }
    assert r["dns_config"].list_mode is ListMode.MERGE


def test_write_only_fields_follow_update_model_section_6() -> None:
    wo = {f.path for f in rules.walk(ContainerGroupSpec) if f.write_only}
    assert {
        "image_registry_credentials[].password",
        "volumes[].config_file_volume.config_file_to_paths[].content",
        "eip_instance_id",
        "auto_create_eip",
        "eip_bandwidth",
        "auto_match_image_cache",
        "termination_grace_period_seconds",
    } <= wo
    # ... and nothing DescribeContainerGroups returns (per its API reference) is marked write-only.
    for visible in (
        "containers[].image",
        "containers[].environment_vars[]",
        "volumes[].nfs_volume.server",
        "tags",
        "dns_config.name_servers",
        "host_aliases[]",
        "security_context.sysctls[]",
        "ephemeral_storage",
        "ram_role_name",
        "spot_strategy",
    ):
        assert visible not in wo, visible


def test_address_pinning_fields() -> None:
    pins = {f.path for f in rules.walk(ContainerGroupSpec) if f.rule.pins_address}
    assert pins == {"private_ip_address", "eip_instance_id", "fixed_ip"}


def test_secrets_are_typed_as_secrets() -> None:
    from pydantic import SecretStr

    for f in rules.walk(ContainerGroupSpec):
        if f.rule.secret:
            ann = f.model.model_fields[f.name].annotation
            assert ann is SecretStr or SecretStr in typing.get_args(ann), f.path
    assert {f.path for f in rules.walk(ContainerGroupSpec) if f.rule.secret} == {
        "image_registry_credentials[].password",
        "volumes[].config_file_volume.config_file_to_paths[].content",
    }
