"""Oracle: our CreateContainerGroup flattening must equal the official SDK's.

The SDK (``alibabacloud_eci20180808`` 2.1.0 + ``alibabacloud_openapi_util``) is a test-only
dependency. The one difference we normalise is the spelling of booleans: the SDK renders
Python's ``str(True)`` = ``True``, while we send ``true`` as the API reference writes it (the
service is case-insensitive). We normalise only parameters whose field
is a boolean, found from the spec's own types, so a string that happens to read "True" still
has to match exactly.
"""

from __future__ import annotations

import re
import typing

from alibabacloud_eci20180808 import models as eci
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from hypothesis import given, settings
from strategies import specs

from eci_provider.cloud import wire
from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec


def _bool_patterns() -> set[str]:
    out = set()
    for f in rules.walk(ContainerGroupSpec):
        ann = f.model.model_fields[f.name].annotation
        if (f.child is None and bool in typing.get_args(ann)) or ann is bool:
            out.add(f.wire_create)
    return out


BOOL_PATTERNS = _bool_patterns()


def sdk_params(request: eci.CreateContainerGroupRequest) -> dict[str, str]:
    flat = OpenApiUtil.query(request.to_map())
    out = {}
    for key, value in flat.items():
        pattern = re.sub(r"\.[0-9]+(?=\.|$)", ".N", key)
        if pattern in BOOL_PATTERNS and value in ("True", "False"):
            value = value.lower()
        out[key] = value
    return out


def test_bool_patterns_found() -> None:
    assert {
        "AutoCreateEip",
        "Container.N.Tty",
        "Volume.N.NFSVolume.ReadOnly",
        "Container.N.VolumeMount.N.ReadOnly",
        "Container.N.SecurityContextPrivileged",
    } <= BOOL_PATTERNS
    assert "FixedIp" not in BOOL_PATTERNS  # a string on the wire: "true"/"false"


def test_reference_sample_matches_sdk() -> None:
    """A sample request touching every kind of parameter, built independently on both sides."""
    C = eci
    request = C.CreateContainerGroupRequest(
        region_id="cn-hangzhou",
        container_group_name="demo-group",
        security_group_id="sg-123",
        v_switch_id="vsw-123",
        cpu=2.0,
        memory=4.0,
        restart_policy="Always",
        auto_create_eip=True,
        tag=[
            C.CreateContainerGroupRequestTag(key="env", value="dev"),
            C.CreateContainerGroupRequestTag(key="team", value="a b"),
        ],
        dns_config=C.CreateContainerGroupRequestDnsConfig(
            name_server=["8.8.8.8", "1.1.1.1"],
            search=["svc.local"],
            option=[C.CreateContainerGroupRequestDnsConfigOption(name="ndots", value="2")],
        ),
        volume=[
            C.CreateContainerGroupRequestVolume(
                name="cfg",
                type="ConfigFileVolume",
                config_file_volume=C.CreateContainerGroupRequestVolumeConfigFileVolume(
                    config_file_to_path=[
                        C.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath(
                            path="app.conf", content="aGVsbG8="
                        )
                    ]
                ),
            )
        ],
        container=[
            C.CreateContainerGroupRequestContainer(
                name="web",
                image="nginx:1.25",
                cpu=1.0,
                memory=2.0,
                command=["/bin/sh", "-c"],
                arg=["echo hi && sleep 1"],
                environment_var=[
                    C.CreateContainerGroupRequestContainerEnvironmentVar(key="A", value="1"),
                    C.CreateContainerGroupRequestContainerEnvironmentVar(key="B", value="x=y&z"),
                ],
                port=[C.CreateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                volume_mount=[C.CreateContainerGroupRequestContainerVolumeMount(name="cfg", mount_path="/etc/app")],
                liveness_probe=C.CreateContainerGroupRequestContainerLivenessProbe(
                    http_get=C.CreateContainerGroupRequestContainerLivenessProbeHttpGet(
                        path="/healthz", port=80, scheme="HTTP"
                    ),
                    initial_delay_seconds=5,
                    period_seconds=10,
                ),
                readiness_probe=C.CreateContainerGroupRequestContainerReadinessProbe(
                    tcp_socket=C.CreateContainerGroupRequestContainerReadinessProbeTcpSocket(port=80)
                ),
            )
        ],
    )
    spec = ContainerGroupSpec(
        name="demo-group",
        security_group_id="sg-123",
        v_switch_id="vsw-123",
        cpu=2,
        memory=4,
        restart_policy="Always",
        auto_create_eip=True,
        tags={"env": "dev", "team": "a b"},
        dns_config={
            "name_servers": ["8.8.8.8", "1.1.1.1"],
            "searches": ["svc.local"],
            "options": [{"name": "ndots", "value": "2"}],
        },
        volumes=[
            {
                "name": "cfg",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "aGVsbG8="}]},
            }
        ],
        containers=[
            {
                "name": "web",
                "image": "nginx:1.25",
                "cpu": 1,
                "memory": 2,
                "commands": ["/bin/sh", "-c"],
                "args": ["echo hi && sleep 1"],
                "environment_vars": [{"key": "A", "value": "1"}, {"key": "B", "value": "x=y&z"}],
                "ports": [{"port": 80, "protocol": "TCP"}],
                "volume_mounts": [{"name": "cfg", "mount_path": "/etc/app"}],
                "liveness_probe": {
                    "http_get": {"path": "/healthz", "port": 80, "scheme": "HTTP"},
                    "initial_delay_seconds": 5,
                    "period_seconds": 10,
                },
                "readiness_probe": {"tcp_socket": {"port": 80}},
            }
        ],
    )
    ours = wire.to_create_params(spec, "cn-hangzhou")
    assert ours == sdk_params(request)
    assert len(ours) == 42  # the 42 keys the SDK produces for this request


def test_kitchen_sink_matches_sdk() -> None:
    """Every block the SDK models: hooks, all probe kinds, every volume type, init containers,
    credentials, ACR, sysctls, host aliases, EIP, IPv6, spot, data cache and more."""
    C = eci
    request = C.CreateContainerGroupRequest(
        region_id="cn-shanghai",
        container_group_name="sink",
        zone_id="cn-shanghai-b",
        security_group_id="sg-1",
        v_switch_id="vsw-1,vsw-2",
        schedule_strategy="VSwitchOrdered",
        restart_policy="OnFailure",
        eip_instance_id=None,
        auto_create_eip=True,
        eip_bandwidth=10,
        eip_isp="BGP",
        eip_common_bandwidth_package="cbwp-1",
        cpu=4.0,
        memory=8.0,
        resource_group_id="rg-1",
        dns_policy="None",
        instance_type="ecs.c5.xlarge",
        image_snapshot_id="imc-1",
        ram_role_name="role",
        termination_grace_period_seconds=30,
        auto_match_image_cache=False,
        ipv_6address_count=1,
        active_deadline_seconds=3600,
        spot_strategy="SpotWithPriceLimit",
        spot_price_limit=0.025,
        spot_duration=1,
        strict_spot=True,
        core_pattern="/data/core",
        share_process_namespace=True,
        host_name="sink-host",
        ingress_bandwidth=1024000,
        egress_bandwidth=2048000,
        cpu_options_core=2,
        cpu_options_threads_per_core=1,
        cpu_options_numa="1",
        ephemeral_storage=40,
        plain_http_registry="harbor.local",
        insecure_registry="reg.local:5000",
        image_accelerate_mode="imc",
        ipv_6gateway_bandwidth_enable=True,
        ipv_6gateway_bandwidth="100",
        container_resource_view=True,
        fixed_ip="true",
        fixed_ip_retain_hour=24,
        data_cache_bucket="default",
        data_cache_pl="PL1",
        data_cache_provisioned_iops=40000,
        data_cache_bursting_enabled=False,
        private_ip_address="172.16.0.9",
        os_type="Linux",
        cpu_architecture="AMD64",
        compute_category=["economy", "general"],
        gpu_driver_version="tesla=535",
        tag=[C.CreateContainerGroupRequestTag(key="app", value="sink")],
        image_registry_credential=[
            C.CreateContainerGroupRequestImageRegistryCredential(
                server="registry.example.com", user_name="bot", password="s3cr3t pass"
            )
        ],
        acr_registry_info=[
            C.CreateContainerGroupRequestAcrRegistryInfo(
                instance_id="cri-1",
                instance_name="acr",
                region_id="cn-beijing",
                domain=["a.example", "b.example"],
                arn_service="acs:ram::1:role/a",
                arn_user="acs:ram::2:role/b",
            )
        ],
        dns_config=C.CreateContainerGroupRequestDnsConfig(name_server=["10.0.0.2"]),
        host_aliase=[C.CreateContainerGroupRequestHostAliase(ip="1.1.1.1", hostname=["one.one", "uno"])],
        security_context=C.CreateContainerGroupRequestSecurityContext(
            sysctl=[C.CreateContainerGroupRequestSecurityContextSysctl(name="net.ipv4.ping_group_range", value="0 1")]
        ),
        host_security_context=C.CreateContainerGroupRequestHostSecurityContext(
            sysctl=[C.CreateContainerGroupRequestHostSecurityContextSysctl(name="kernel.msgmax", value="65536")]
        ),
        ntp_server=["ntp.cloud.aliyuncs.com"],
        volume=[
            C.CreateContainerGroupRequestVolume(
                name="scratch",
                type="EmptyDirVolume",
                empty_dir_volume=C.CreateContainerGroupRequestVolumeEmptyDirVolume(medium="Memory", size_limit="1Gi"),
            ),
            C.CreateContainerGroupRequestVolume(
                name="nfs",
                type="NFSVolume",
                nfsvolume=C.CreateContainerGroupRequestVolumeNFSVolume(
                    server="x.nas.aliyuncs.com", path="/share", read_only=True
                ),
            ),
            C.CreateContainerGroupRequestVolume(
                name="cfg",
                type="ConfigFileVolume",
                config_file_volume=C.CreateContainerGroupRequestVolumeConfigFileVolume(
                    default_mode=644,
                    config_file_to_path=[
                        C.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath(
                            path="a/b.conf", content="aGVsbG8gd29ybGQ=", mode=600
                        )
                    ],
                ),
            ),
            C.CreateContainerGroupRequestVolume(
                name="flex",
                type="FlexVolume",
                flex_volume=C.CreateContainerGroupRequestVolumeFlexVolume(
                    driver="alicloud/disk", fs_type="ext4", options='{"volumeId":"d-1"}'
                ),
            ),
            C.CreateContainerGroupRequestVolume(
                name="host",
                type="HostPathVolume",
                host_path_volume=C.CreateContainerGroupRequestVolumeHostPathVolume(path="/tmp", type="Directory"),
            ),
            C.CreateContainerGroupRequestVolume(
                name="disk",
                type="DiskVolume",
                disk_volume=C.CreateContainerGroupRequestVolumeDiskVolume(disk_id="d-2", disk_size=20, fs_type="xfs"),
            ),
        ],
        init_container=[
            C.CreateContainerGroupRequestInitContainer(
                name="init",
                image="busybox",
                cpu=0.5,
                memory=1.0,
                gpu=0,
                working_dir="/w",
                image_pull_policy="IfNotPresent",
                command=["sh", "-c"],
                arg=["echo init"],
                environment_var=[
                    C.CreateContainerGroupRequestInitContainerEnvironmentVar(
                        key="POD_IP",
                        field_ref=C.CreateContainerGroupRequestInitContainerEnvironmentVarFieldRef(
                            field_path="status.podIP"
                        ),
                    )
                ],
                port=[C.CreateContainerGroupRequestInitContainerPort(port=9000, protocol="UDP")],
                volume_mount=[
                    C.CreateContainerGroupRequestInitContainerVolumeMount(
                        name="scratch", mount_path="/s", sub_path="x", read_only=False, mount_propagation="None"
                    )
                ],
                security_context=C.CreateContainerGroupRequestInitContainerSecurityContext(
                    capability=C.CreateContainerGroupRequestInitContainerSecurityContextCapability(add=["NET_ADMIN"]),
                    read_only_root_filesystem=True,
                    run_as_user=1000,
                ),
                termination_message_path="/tmp/t",
                termination_message_policy="File",
            )
        ],
        container=[
            C.CreateContainerGroupRequestContainer(
                name="app",
                image="registry.example.com/app:1",
                cpu=2.0,
                memory=4.0,
                gpu=1,
                working_dir="/app",
                image_pull_policy="Always",
                command=["/app/run"],
                arg=["--port", "8080"],
                stdin=True,
                stdin_once=False,
                tty=True,
                environment_var=[C.CreateContainerGroupRequestContainerEnvironmentVar(key="MODE", value="prod")],
                port=[C.CreateContainerGroupRequestContainerPort(port=8080)],
                volume_mount=[
                    C.CreateContainerGroupRequestContainerVolumeMount(
                        name="cfg", mount_path="/etc/app", read_only=True, mount_propagation="HostToContainer"
                    )
                ],
                liveness_probe=C.CreateContainerGroupRequestContainerLivenessProbe(
                    exec=C.CreateContainerGroupRequestContainerLivenessProbeExec(command=["cat", "/tmp/healthy"]),
                    period_seconds=5,
                    timeout_seconds=2,
                    success_threshold=1,
                    failure_threshold=4,
                ),
                readiness_probe=C.CreateContainerGroupRequestContainerReadinessProbe(
                    http_get=C.CreateContainerGroupRequestContainerReadinessProbeHttpGet(
                        path="/ready", port=8080, scheme="HTTPS"
                    )
                ),
                security_context=C.CreateContainerGroupRequestContainerSecurityContext(
                    capability=C.CreateContainerGroupRequestContainerSecurityContextCapability(
                        add=["NET_ADMIN", "NET_RAW"]
                    ),
                    read_only_root_filesystem=True,
                    run_as_user=1001,
                ),
                lifecycle_post_start_handler_http_get_host="10.0.0.1",
                lifecycle_post_start_handler_http_get_path="/hook",
                lifecycle_post_start_handler_http_get_port=8080,
                lifecycle_post_start_handler_http_get_scheme="HTTP",
                lifecycle_post_start_handler_http_get_http_header=[
                    C.CreateContainerGroupRequestContainerLifecyclePostStartHandlerHttpGetHttpHeader(
                        name="X-A", value="1"
                    )
                ],
                lifecycle_pre_stop_handler_exec=["/bin/sh", "-c", "sleep 5"],
                environment_var_hide=True,
                security_context_privileged=False,
                security_context_run_as_group=3000,
                security_context_run_as_non_root=True,
                termination_message_path="/dev/termination-log",
                termination_message_policy="FallbackToLogsOnError",
            )
        ],
    )
    spec = ContainerGroupSpec.model_validate(
        {
            "name": "sink",
            "zone_id": "cn-shanghai-b",
            "security_group_id": "sg-1",
            "v_switch_id": "vsw-1,vsw-2",
            "schedule_strategy": "VSwitchOrdered",
            "restart_policy": "OnFailure",
            "auto_create_eip": True,
            "eip_bandwidth": 10,
            "eip_isp": "BGP",
            "eip_common_bandwidth_package": "cbwp-1",
            "cpu": 4,
            "memory": 8,
            "resource_group_id": "rg-1",
            "dns_policy": "None",
            "instance_type": "ecs.c5.xlarge",
            "image_snapshot_id": "imc-1",
            "ram_role_name": "role",
            "termination_grace_period_seconds": 30,
            "auto_match_image_cache": False,
            "ipv6_address_count": 1,
            "active_deadline_seconds": 3600,
            "spot_strategy": "SpotWithPriceLimit",
            "spot_price_limit": 0.025,
            "spot_duration": 1,
            "strict_spot": True,
            "core_pattern": "/data/core",
            "share_process_namespace": True,
            "host_name": "sink-host",
            "ingress_bandwidth": 1024000,
            "egress_bandwidth": 2048000,
            "cpu_options_core": 2,
            "cpu_options_threads_per_core": 1,
            "cpu_options_numa": "1",
            "ephemeral_storage": 40,
            "plain_http_registry": "harbor.local",
            "insecure_registry": "reg.local:5000",
            "image_accelerate_mode": "imc",
            "ipv6_gateway_bandwidth_enable": True,
            "ipv6_gateway_bandwidth": "100",
            "container_resource_view": True,
            "fixed_ip": "true",
            "fixed_ip_retain_hour": 24,
            "data_cache_bucket": "default",
            "data_cache_pl": "PL1",
            "data_cache_provisioned_iops": 40000,
            "data_cache_bursting_enabled": False,
            "private_ip_address": "172.16.0.9",
            "os_type": "Linux",
            "cpu_architecture": "AMD64",
            "compute_categories": ["economy", "general"],
            "gpu_driver_version": "tesla=535",
            "tags": {"app": "sink"},
            "image_registry_credentials": [
                {"server": "registry.example.com", "user_name": "bot", "password": "s3cr3t pass"}
            ],
            "acr_registry_infos": [
                {
                    "instance_id": "cri-1",
                    "instance_name": "acr",
                    "region_id": "cn-beijing",
                    "domains": ["a.example", "b.example"],
                    "arn_service": "acs:ram::1:role/a",
                    "arn_user": "acs:ram::2:role/b",
                }
            ],
            "dns_config": {"name_servers": ["10.0.0.2"]},
            "host_aliases": [{"ip": "1.1.1.1", "hostnames": ["one.one", "uno"]}],
            "security_context": {"sysctls": [{"name": "net.ipv4.ping_group_range", "value": "0 1"}]},
            "host_security_context": {"sysctls": [{"name": "kernel.msgmax", "value": "65536"}]},
            "ntp_servers": ["ntp.cloud.aliyuncs.com"],
            "volumes": [
                {
                    "name": "scratch",
                    "type": "EmptyDirVolume",
                    "empty_dir_volume": {"medium": "Memory", "size_limit": "1Gi"},
                },
                {
                    "name": "nfs",
                    "type": "NFSVolume",
                    "nfs_volume": {"server": "x.nas.aliyuncs.com", "path": "/share", "read_only": True},
                },
                {
                    "name": "cfg",
                    "type": "ConfigFileVolume",
                    "config_file_volume": {
                        "default_mode": 644,
                        "config_file_to_paths": [{"path": "a/b.conf", "content": "aGVsbG8gd29ybGQ=", "mode": 600}],
                    },
                },
                {
                    "name": "flex",
                    "type": "FlexVolume",
                    "flex_volume": {"driver": "alicloud/disk", "fs_type": "ext4", "options": '{"volumeId":"d-1"}'},
                },
                {"name": "host", "type": "HostPathVolume", "host_path_volume": {"path": "/tmp", "type": "Directory"}},
                {
                    "name": "disk",
                    "type": "DiskVolume",
                    "disk_volume": {"disk_id": "d-2", "disk_size": 20, "fs_type": "xfs"},
                },
            ],
            "init_containers": [
                {
                    "name": "init",
                    "image": "busybox",
                    "cpu": 0.5,
                    "memory": 1,
                    "gpu": 0,
                    "working_dir": "/w",
                    "image_pull_policy": "IfNotPresent",
                    "commands": ["sh", "-c"],
                    "args": ["echo init"],
                    "environment_vars": [{"key": "POD_IP", "field_ref": {"field_path": "status.podIP"}}],
                    "ports": [{"port": 9000, "protocol": "UDP"}],
                    "volume_mounts": [
                        {
                            "name": "scratch",
                            "mount_path": "/s",
                            "sub_path": "x",
                            "read_only": False,
                            "mount_propagation": "None",
                        }
                    ],
                    "security_context": {
                        "capability": {"adds": ["NET_ADMIN"]},
                        "read_only_root_filesystem": True,
                        "run_as_user": 1000,
                    },
                    "termination_message_path": "/tmp/t",
                    "termination_message_policy": "File",
                }
            ],
            "containers": [
                {
                    "name": "app",
                    "image": "registry.example.com/app:1",
                    "cpu": 2,
                    "memory": 4,
                    "gpu": 1,
                    "working_dir": "/app",
                    "image_pull_policy": "Always",
                    "commands": ["/app/run"],
                    "args": ["--port", "8080"],
                    "stdin": True,
                    "stdin_once": False,
                    "tty": True,
                    "environment_vars": [{"key": "MODE", "value": "prod"}],
                    "ports": [{"port": 8080}],
                    "volume_mounts": [
                        {
                            "name": "cfg",
                            "mount_path": "/etc/app",
                            "read_only": True,
                            "mount_propagation": "HostToContainer",
                        }
                    ],
                    "liveness_probe": {
                        "exec": {"commands": ["cat", "/tmp/healthy"]},
                        "period_seconds": 5,
                        "timeout_seconds": 2,
                        "success_threshold": 1,
                        "failure_threshold": 4,
                    },
                    "readiness_probe": {"http_get": {"path": "/ready", "port": 8080, "scheme": "HTTPS"}},
                    "security_context": {
                        "capability": {"adds": ["NET_ADMIN", "NET_RAW"]},
                        "read_only_root_filesystem": True,
                        "run_as_user": 1001,
                    },
                    "lifecycle_post_start_handler_http_get_host": "10.0.0.1",
                    "lifecycle_post_start_handler_http_get_path": "/hook",
                    "lifecycle_post_start_handler_http_get_port": 8080,
                    "lifecycle_post_start_handler_http_get_scheme": "HTTP",
                    "lifecycle_post_start_handler_http_get_http_headers": [{"name": "X-A", "value": "1"}],
                    "lifecycle_pre_stop_handler_execs": ["/bin/sh", "-c", "sleep 5"],
                    "environment_var_hide": True,
                    "security_context_privileged": False,
                    "security_context_run_as_group": 3000,
                    "security_context_run_as_non_root": True,
                    "termination_message_path": "/dev/termination-log",
                    "termination_message_policy": "FallbackToLogsOnError",
                }
            ],
        }
    )
    ours = wire.to_create_params(spec, "cn-shanghai")
    theirs = sdk_params(request)
    assert ours == theirs
    assert len(ours) > 150


@settings(max_examples=150)
@given(specs(sdk_compatible=True))
def test_generated_specs_match_sdk(spec: ContainerGroupSpec) -> None:
    """Any valid spec, pushed through the SDK's own request model (``from_map`` keeps only the
    names the SDK knows, with its own types), flattens exactly as we flatten it."""
    tree = wire.to_api_tree(spec)
    tree["RegionId"] = "cn-hangzhou"
    request = eci.CreateContainerGroupRequest().from_map(_plain(tree))
    assert wire.to_create_params(spec, "cn-hangzhou") == sdk_params(request)


def _plain(node: typing.Any) -> typing.Any:
    from pydantic import SecretStr

    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, SecretStr):
        return node.get_secret_value()
    return node
