"""Decoding DescribeContainerGroups: every quirk of the response shape (DescribeContainerGroups API
reference).

``data/describe_group.json`` is written for this project in the shape the API reference documents:
init containers say ``Command``, probes ``Execs``, volume blocks are flat, env field references
sit under ``ValueFrom``, numbers are floats, blank handler objects and service tags appear.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eci_provider.cloud import wire
from eci_provider.cloud.errors import MalformedResponseError
from eci_provider.provider.operations import Operations, Runtime
from eci_provider.spec.model import ContainerGroupSpec

GROUP = json.loads((Path(__file__).parent / "data" / "describe_group.json").read_text())

EXPECTED = ContainerGroupSpec.model_validate(
    {
        "name": "shop-web",
        "zone_id": "cn-hangzhou-h",
        "v_switch_id": "vsw-bp1a",
        "security_group_id": "sg-bp1a",
        "resource_group_id": "rg-acfm1",
        "cpu": 2,
        "memory": 4,
        "restart_policy": "Always",
        "spot_strategy": "NoSpot",
        "tags": {"team": "shop", "empty": ""},
        "dns_config": {
            "name_servers": ["10.0.0.2"],
            "searches": ["svc.local"],
            "options": [{"name": "ndots", "value": "2"}],
        },
        "host_aliases": [{"ip": "10.0.0.9", "hostnames": ["db.local", "db"]}],
        "security_context": {"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 2147483647"}]},
        "volumes": [
            {
                "name": "cfg",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "nginx.conf"}]},
            },
            {
                "name": "share",
                "type": "NFSVolume",
                "nfs_volume": {"server": "0eaf.cn-hangzhou.nas.aliyuncs.com", "path": "/eci", "read_only": True},
            },
            {
                "name": "scratch",
                "type": "EmptyDirVolume",
                "empty_dir_volume": {"medium": "Memory", "size_limit": "256Mi"},
            },
            {
                "name": "data",
                "type": "FlexVolume",
                "flex_volume": {"driver": "alicloud/disk", "fs_type": "ext4", "options": '{"volumeId":"d-1"}'},
            },
            {"name": "old", "type": "DiskVolume", "disk_volume": {"disk_id": "d-2", "fs_type": "xfs"}},
        ],
        "init_containers": [
            {
                "name": "Init-Migrate",
                "image": "registry.example.com/shop/migrate:7",
                "cpu": 0.5,
                "memory": 1,
                "commands": ["/bin/migrate"],
                "args": ["--up"],
                "environment_vars": [{"key": "POD_IP", "field_ref": {"field_path": "status.podIP"}}],
                "volume_mounts": [
                    {"name": "cfg", "mount_path": "/cfg", "read_only": True, "mount_propagation": "None"}
                ],
            }
        ],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "cpu": 1,
                "memory": 2,
                "image_pull_policy": "IfNotPresent",
                "commands": ["nginx"],
                "args": ["-g", "daemon off;"],
                "stdin": False,
                "stdin_once": False,
                "tty": False,
                "environment_vars": [{"key": "MODE", "value": "prod"}, {"key": "EMPTY"}],
                "ports": [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}],
                "volume_mounts": [
                    {"name": "cfg", "mount_path": "/etc/nginx/conf.d", "read_only": True, "mount_propagation": "None"},
                    {"name": "scratch", "mount_path": "/tmp/cache"},
                ],
                "liveness_probe": {
                    "exec": {"commands": ["cat", "/tmp/healthy"]},
                    "period_seconds": 10,
                    "timeout_seconds": 1,
                    "success_threshold": 1,
                    "failure_threshold": 3,
                    "initial_delay_seconds": 5,
                },
                "readiness_probe": {
                    "http_get": {"port": 8080, "path": "/ready", "scheme": "HTTP"},
                    "period_seconds": 3,
                },
                "security_context": {
                    "run_as_user": 1000,
                    "read_only_root_filesystem": True,
                    "capability": {"adds": ["NET_ADMIN"]},
                },
                "gpu": 0,
            },
            {"name": "sidecar", "image": "fluent-bit:3", "cpu": 0.25, "memory": 0.5},
        ],
    },
    context={"observed": True},
)


def test_decodes_every_quirk() -> None:
    assert wire.from_describe(GROUP) == EXPECTED


def test_service_tags_are_dropped_but_empty_values_kept() -> None:
    assert wire.from_describe(GROUP).tags == {"team": "shop", "empty": ""}


def test_blank_handler_objects_are_absent() -> None:
    probe = wire.from_describe(GROUP).containers[0].liveness_probe
    assert probe is not None and probe.http_get is None and probe.tcp_socket is None


def test_init_container_command_quirk() -> None:
    assert wire.from_describe(GROUP).init_containers[0].commands == ["/bin/migrate"]  # type: ignore[index]


def test_observe_reports_runtime_facts() -> None:
    obs = wire.observe(GROUP)
    assert obs.container_group_id == "eci-bp1example0001"
    assert obs.status == "Running"
    assert obs.intranet_ip == "172.16.3.7" and obs.internet_ip is None
    assert obs.restart_counts == {"Init-Migrate": 0, "web": 2, "sidecar": 0}
    assert obs.events[0]["Reason"] == "Started"


def test_unknown_response_keys_are_ignored() -> None:
    noisy = dict(GROUP, TenantEniIp="10.10.0.1", SomethingNew={"Nested": [1, 2]})
    assert wire.from_describe(noisy) == EXPECTED


@pytest.mark.parametrize(
    "broken",
    [
        {"Containers": "?"},
        {"Containers": [1, 2]},
        {"InitContainers": [{"Name": "init", "RestartCount": "many"}]},
        {"Cpu": "lots"},
        {"Tags": "team=shop"},
        {"Events": "Started"},
        {"Events": [1]},
        {"Status": 3},
        {"Status": None},
        {"IntranetIp": ["172.16.0.3"]},
    ],
    ids=[
        "containers-a-string",
        "containers-not-objects",
        "restart-count-text",
        "cpu-text",
        "tags-a-string",
        "events-a-string",
        "events-not-objects",
        "status-a-number",
        "status-null",
        "ip-a-list",
    ],
)
def test_a_group_that_cannot_be_decoded_is_a_typed_error_naming_it(broken: dict[str, Any]) -> None:
    """Whatever part is malformed, every reader gets the same typed error naming the group:
    never a bare AttributeError from deep inside, and never a group read as absent."""
    with pytest.raises(MalformedResponseError) as caught:
        wire.observe({**GROUP, **broken})
    assert caught.value.action == "DescribeContainerGroups"
    assert "eci-bp1example0001 cannot be read" in str(caught.value)


def test_the_provider_s_read_of_a_malformed_group_fails_instead_of_dropping_it(answering: Any) -> None:
    url = answering({"RequestId": "r", "ContainerGroups": [{"ContainerGroupId": "eci-x", "Containers": [1]}]})
    runtime = Runtime()
    runtime.configure(
        {
            "eci:region": "cn-hangzhou",
            "eci:endpoint": url,
            "eci:accessKeyId": "id",
            "eci:accessKeySecret": "secret-value",
            "eci:retryMaxAttempts": "1",
        }
    )
    with pytest.raises(MalformedResponseError, match="eci-x cannot be read"):
        Operations(runtime, log=lambda line: None).read("eci-x", {})
