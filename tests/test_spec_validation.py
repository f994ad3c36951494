"""Every documented constraint, one row each: the error must name the field path and the rule."""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Callable
from typing import Any, get_args

import pytest
from pydantic import ValidationError

from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.problems import PATTERNS, flatten_errors, format_errors


def base() -> dict[str, Any]:
    return {
        "name": "web-app",
        "cpu": 2,
        "memory": 4,
        "tags": {"team": "core"},
        "volumes": [
            {
                "name": "cfg",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "a.conf", "content": "aGk="}]},
            }
        ],
        "containers": [
            {
                "name": "web",
                "image": "nginx",
                "cpu": 1,
                "memory": 2,
                "commands": ["nginx"],
                "args": ["-g", "daemon off;"],
                "environment_vars": [{"key": "A", "value": "1"}],
                "ports": [{"port": 80}],
                "volume_mounts": [{"name": "cfg", "mount_path": "/etc/app"}],
                "liveness_probe": {"http_get": {"port": 80}},
            }
        ],
        "image_registry_credentials": [{"server": "registry.example.com", "user_name": "u", "password": "hunter2-PW"}],
    }


def c0(d: dict[str, Any]) -> dict[str, Any]:
    return d["containers"][0]


def setter(fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def apply(d: dict[str, Any]) -> dict[str, Any]:
        fn(d)
        return d

    return apply


CASES: list[tuple[str, Callable[[dict[str, Any]], Any], str, str]] = [
    ("name starts with hyphen", setter(lambda d: d.update(name="-web")), "name", "not starting or ending with '-'"),
    ("name ends with hyphen", setter(lambda d: d.update(name="web-")), "name", "2-128 characters"),
    ("name too short", setter(lambda d: d.update(name="w")), "name", "2-128 characters"),
    ("name too long", setter(lambda d: d.update(name="w" * 129)), "name", "2-128 characters"),
    ("name uppercase", setter(lambda d: d.update(name="Web")), "name", "lowercase"),
    (
        "21 containers",
        setter(lambda d: d.update(containers=[{"name": f"c{i}", "image": "x"} for i in range(21)])),
        "containers",
        "at most 20",
    ),
    ("no containers", setter(lambda d: d.update(containers=[])), "containers", "at least 1"),
    (
        "21 volumes",
        setter(lambda d: d.update(volumes=[{"name": f"v{i}", "type": "EmptyDirVolume"} for i in range(21)])),
        "volumes",
        "at most 20",
    ),
    (
        "duplicate container",
        setter(lambda d: d["containers"].append({"name": "web", "image": "y"})),
        "containers[1].name",
        "InvalidParameter.DuplicatedName",
    ),
    (
        "init container reuses a name",
        setter(lambda d: d.update(init_containers=[{"name": "web", "image": "y"}])),
        "init_containers[0].name",
        "duplicate container name",
    ),
    (
        "the duplicate names the first",
        setter(lambda d: d.update(init_containers=[{"name": "web", "image": "y"}])),
        "init_containers[0].name",
        "(also containers[0])",
    ),
    (
        "duplicate config file path",
        setter(
            lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"].append(
                {"path": "a.conf", "content": "aGk="}
            )
        ),
        "volumes[0].config_file_volume.config_file_to_paths[1].path",
        "duplicate path 'a.conf'",
    ),
    (
        "duplicate registry server",
        setter(
            lambda d: d["image_registry_credentials"].append(
                {"server": "registry.example.com", "user_name": "v", "password": "other-PW-1"}
            )
        ),
        "image_registry_credentials[1].server",
        "duplicate server 'registry.example.com'",
    ),
    (
        "duplicate volume",
        setter(lambda d: d["volumes"].append({"name": "cfg", "type": "EmptyDirVolume"})),
        "volumes[1].name",
        "DuplicatedVolumeName",
    ),
    (
        "mount of undeclared volume",
        setter(lambda d: c0(d)["volume_mounts"].append({"name": "nope", "mount_path": "/x"})),
        "containers[0].volume_mounts[1].name",
        "not declared in volumes",
    ),
    ("21 tags", setter(lambda d: d.update(tags={f"k{i}": "v" for i in range(21)})), "tags", "at most 20"),
    ("tag key aliyun", setter(lambda d: d.update(tags={"aliyun-x": "v"})), "tags['aliyun-x']", "aliyun or acs:"),
    ("tag key acs:", setter(lambda d: d.update(tags={"acs:x": "v"})), "tags['acs:x']", "aliyun or acs:"),
    ("tag key with http://", setter(lambda d: d.update(tags={"a http://x": "v"})), "tags['a http://x']", "http://"),
    ("tag key too long", setter(lambda d: d.update(tags={"k" * 65: "v"})), f"tags[{'k' * 65!r}]", "longer than 64"),
    ("tag value too long", setter(lambda d: d.update(tags={"k": "v" * 129})), "tags['k']", "longer than 128"),
    ("tag value with https://", setter(lambda d: d.update(tags={"k": "https://x"})), "tags['k']", "https://"),
    (
        "tag key reserved for the provider",
        setter(lambda d: d.update(tags={"eci-provider/owner": "x"})),
        "tags['eci-provider/owner']",
        "reserved",
    ),
    (
        "env key starts with digit",
        setter(lambda d: c0(d)["environment_vars"].append({"key": "1X", "value": ""})),
        "containers[0].environment_vars[1].key",
        "must start with a letter or _ and contain only letters, digits and _",
    ),
    (
        "env key too long",
        setter(lambda d: c0(d)["environment_vars"].append({"key": "K" * 129})),
        "containers[0].environment_vars[1].key",
        "at most 128",
    ),
    (
        "env value too long",
        setter(lambda d: c0(d)["environment_vars"].append({"key": "B", "value": "v" * 257})),
        "containers[0].environment_vars[1].value",
        "at most 256",
    ),
    (
        "env key duplicated",
        setter(lambda d: c0(d)["environment_vars"].append({"key": "A", "value": "2"})),
        "containers[0].environment_vars[1]",
        "duplicate key",
    ),
    (
        "env value and field_ref",
        setter(
            lambda d: c0(d)["environment_vars"].append(
                {"key": "B", "value": "x", "field_ref": {"field_path": "status.podIP"}}
            )
        ),
        "containers[0].environment_vars[1].field_ref",
        "not both",
    ),
    (
        "field ref path",
        setter(lambda d: c0(d)["environment_vars"].append({"key": "B", "field_ref": {"field_path": "metadata.name"}})),
        "containers[0].environment_vars[1].field_ref.field_path",
        "status.podIP",
    ),
    ("21 commands", setter(lambda d: c0(d).update(commands=["x"] * 21)), "containers[0].commands", "at most 20"),
    (
        "command too long",
        setter(lambda d: c0(d).update(commands=["x" * 257])),
        "containers[0].commands[0]",
        "at most 256",
    ),
    ("11 args", setter(lambda d: c0(d).update(args=["x"] * 11)), "containers[0].args", "at most 10"),
    (
        "port 0",
        setter(lambda d: c0(d)["ports"].append({"port": 0})),
        "containers[0].ports[1].port",
        "must be at least 1",
    ),
    ("port 65536", setter(lambda d: c0(d)["ports"].append({"port": 65536})), "containers[0].ports[1].port", "65535"),
    (
        "protocol SCTP",
        setter(lambda d: c0(d)["ports"].append({"port": 81, "protocol": "SCTP"})),
        "containers[0].ports[1].protocol",
        "'TCP' or 'UDP'",
    ),
    (
        "duplicate port",
        setter(lambda d: c0(d)["ports"].append({"port": 80, "protocol": "TCP"})),
        "containers[0].ports[1]",
        "duplicate",
    ),
    (
        "probe with two handlers",
        setter(lambda d: c0(d)["liveness_probe"].update(tcp_socket={"port": 80})),
        "containers[0].liveness_probe",
        "exactly one of exec, http_get, tcp_socket",
    ),
    (
        "probe with no handler",
        setter(lambda d: c0(d).update(readiness_probe={"period_seconds": 5})),
        "containers[0].readiness_probe",
        "exactly one",
    ),
    (
        "probe success threshold",
        setter(lambda d: c0(d)["liveness_probe"].update(success_threshold=2)),
        "containers[0].liveness_probe.success_threshold",
        "must be 1",
    ),
    (
        "probe period 0",
        setter(lambda d: c0(d)["liveness_probe"].update(period_seconds=0)),
        "containers[0].liveness_probe.period_seconds",
        "must be at least 1",
    ),
    (
        "config content not base64",
        setter(
            lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].update(content="not base64!")
        ),
        "volumes[0].config_file_volume.config_file_to_paths[0].content",
        "Base64",
    ),
    (
        "config file over 32 KB",
        setter(
            lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].update(
                content=base64.b64encode(b"x" * (32 * 1024 + 1)).decode()
            )
        ),
        "volumes[0].config_file_volume.config_file_to_paths[0].content",
        "32 KB",
    ),
    (
        "config files over 60 KB",
        setter(
            lambda d: d["volumes"][0]["config_file_volume"].update(
                config_file_to_paths=[
                    {"path": f"f{i}", "content": base64.b64encode(b"x" * 20000).decode()} for i in range(3)
                ]
            )
        ),
        "volumes[0].config_file_volume.config_file_to_paths",
        "60 KB",
    ),
    (
        "restart policy enum",
        setter(lambda d: d.update(restart_policy="Sometimes")),
        "restart_policy",
        "'Always', 'Never' or 'OnFailure'",
    ),
    (
        "image pull policy enum",
        setter(lambda d: c0(d).update(image_pull_policy="Maybe")),
        "containers[0].image_pull_policy",
        "'IfNotPresent'",
    ),
    ("spot strategy enum", setter(lambda d: d.update(spot_strategy="Cheap")), "spot_strategy", "'SpotAsPriceGo'"),
    (
        "spot price missing",
        setter(lambda d: d.update(spot_strategy="SpotWithPriceLimit")),
        "spot_price_limit",
        "required when spot_strategy is SpotWithPriceLimit",
    ),
    (
        "spot price decimals",
        setter(lambda d: d.update(spot_strategy="SpotWithPriceLimit", spot_price_limit=0.0251)),
        "spot_price_limit",
        "three decimal",
    ),
    ("more than 64 vCPU", setter(lambda d: d.update(cpu=65, memory=128)), "cpu", "64 vCPU"),
    (
        "memory above the size's range",
        setter(lambda d: d.update(cpu=1, memory=16)),
        "cpu",
        "above the 8 GiB maximum for 1 vCPU",
    ),
    ("containers exceed the instance", setter(lambda d: c0(d).update(cpu=4)), "cpu", "more than the instance's 2"),
    (
        "volume type mismatch",
        setter(
            lambda d: d["volumes"].append({"name": "n", "type": "NFSVolume", "empty_dir_volume": {"medium": "Memory"}})
        ),
        "volumes[1].empty_dir_volume",
        "not allowed on a volume of type NFSVolume",
    ),
    (
        "nfs without server",
        setter(lambda d: d["volumes"].append({"name": "n", "type": "NFSVolume", "nfs_volume": {"path": "/"}})),
        "volumes[1].nfs_volume.server",
        "required",
    ),
    (
        "registry with scheme",
        setter(lambda d: d["image_registry_credentials"][0].update(server="https://r.example")),
        "image_registry_credentials[0].server",
        "without http://",
    ),
    ("unknown field", setter(lambda d: c0(d).update(imagee="x")), "containers[0].imagee", "unknown field"),
    (
        "unsafe sysctl at pod level",
        setter(lambda d: d.update(security_context={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]})),
        "security_context.sysctls",
        "not a safe sysctl",
    ),
    (
        "forbidden host sysctl",
        setter(
            lambda d: d.update(host_security_context={"sysctls": [{"name": "net.ipv4.tcp_syncookies", "value": "1"}]})
        ),
        "host_security_context.sysctls",
        "not allowed",
    ),
    ("eip bandwidth without auto eip", setter(lambda d: d.update(eip_bandwidth=5)), "eip_bandwidth", "auto_create_eip"),
    ("private ip not ipv4", setter(lambda d: d.update(private_ip_address="::1")), "private_ip_address", "IPv4"),
    ("dns policy None without dns config", setter(lambda d: d.update(dns_policy="None")), "dns_config", "required"),
    (
        "read-only root false",
        setter(lambda d: c0(d).update(security_context={"read_only_root_filesystem": False})),
        "containers[0].security_context.read_only_root_filesystem",
        "only true",
    ),
    (
        "two hook kinds",
        setter(
            lambda d: c0(d).update(
                lifecycle_pre_stop_handler_execs=["x"], lifecycle_pre_stop_handler_tcp_socket_port=80
            )
        ),
        "containers[0].lifecycle_pre_stop_handler_*",
        "one handler kind",
    ),
    ("core pattern pipe", setter(lambda d: d.update(core_pattern="|/bin/x")), "core_pattern", "must not start with |"),
    (
        "11 vswitches",
        setter(lambda d: d.update(v_switch_id=",".join(f"vsw-{i}" for i in range(11)))),
        "v_switch_id",
        "at most 10",
    ),
]


def test_base_is_valid() -> None:
    ContainerGroupSpec.model_validate(base())


@pytest.mark.parametrize(("label", "mutate", "path", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_invalid(label: str, mutate: Callable[[dict[str, Any]], Any], path: str, fragment: str) -> None:
    data = mutate(copy.deepcopy(base()))
    with pytest.raises(ValidationError) as info:
        ContainerGroupSpec.model_validate(data)
    problems = flatten_errors(info.value)
    assert any(p == path and fragment in m for p, m in problems), problems
    # Nothing the user typed is echoed back, in particular not the registry password.
    assert "hunter2-PW" not in format_errors(info.value)
    assert "hunter2-PW" not in str(info.value)


def test_rounded_pair_is_accepted_and_visible() -> None:
    spec = ContainerGroupSpec.model_validate(base() | {"cpu": 7, "memory": 13})
    r = spec.cpu_memory_rounding()
    assert r is not None and (r.cpu, r.memory, r.exact) == (8.0, 16.0, False)
    exact = ContainerGroupSpec.model_validate(base()).cpu_memory_rounding()
    assert exact is not None and exact.exact


def test_api_names_are_aliases() -> None:
    spec = ContainerGroupSpec.model_validate(
        {
            "ContainerGroupName": "web-app",
            "Container": [
                {
                    "Name": "web",
                    "Image": "nginx",
                    "LivenessProbe": {"HttpGet": {"Port": 80}},
                    "EnvironmentVar": [{"Key": "A", "Value": "1"}],
                    "Port": [{"Port": 80, "Protocol": "TCP"}],
                }
            ],
            "Tag": [{"Key": "team", "Value": "core"}],
            "DnsConfig": {"NameServer": ["8.8.8.8"]},
        }
    )
    assert spec.containers[0].liveness_probe.http_get.port == 80  # type: ignore[union-attr]
    assert spec.tags == {"team": "core"}
    assert spec.dns_config.name_servers == ["8.8.8.8"]  # type: ignore[union-attr]


def test_secrets_never_in_repr_or_dump() -> None:
    spec = ContainerGroupSpec.model_validate(base())
    for text in (repr(spec), str(spec), spec.model_dump_json()):
        assert "hunter2-PW" not in text
        assert "aGk=" not in text  # config file content is secret too


def test_observed_mode_accepts_what_the_service_reports() -> None:
    """Decoding the service's answer must not fail on rules that only bind what we send."""
    data = base() | {"name": "Init-Like-Name", "tags": {"acs:svc": "1", "eci-provider/owner": "x"}}
    c0(data)["liveness_probe"] = {"http_get": {"port": 80}, "tcp_socket": {"port": 80}}
    ContainerGroupSpec.model_validate(data, context={"observed": True})


# -- messages are written for people ----------------------------------------------------------------

#: One input per kind of failure the spec can report: pydantic's own checks (types, ranges,
#: lengths, enums, patterns, missing and unknown fields) and every custom rule.
KINDS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    *((label, mutate) for label, mutate, _, _ in CASES),
    ("missing image", setter(lambda d: c0(d).pop("image"))),
    ("not an object", lambda d: ["a", "list"]),
    ("containers not a list", setter(lambda d: d.update(containers="web"))),
    ("probe not an object", setter(lambda d: c0(d).update(liveness_probe="yes"))),
    ("tags not a mapping", setter(lambda d: d.update(tags="team=core"))),
    ("tag value not a string", setter(lambda d: d.update(tags={"team": 7}))),
    ("tags list without a key", setter(lambda d: d.update(tags=[{"Value": "x"}]))),
    ("tags list with a duplicate", setter(lambda d: d.update(tags=[{"Key": "a"}, {"Key": "a"}]))),
    ("tags list item not an object", setter(lambda d: d.update(tags=["a"]))),
    ("port not a number", setter(lambda d: c0(d)["ports"].append({"port": "eighty"}))),
    ("port a fraction", setter(lambda d: c0(d)["ports"].append({"port": 80.5}))),
    ("boolean not a boolean", setter(lambda d: c0(d).update(tty="maybe"))),
    ("string not a string", setter(lambda d: c0(d).update(image=["nginx"]))),
    ("number not a number", setter(lambda d: d.update(cpu="two"))),
    ("cpu zero", setter(lambda d: d.update(cpu=0))),
    ("cpu not finite", setter(lambda d: d.update(cpu=float("nan")))),
    ("ipv6 count two", setter(lambda d: d.update(ipv6_address_count=2))),
    ("empty image", setter(lambda d: c0(d).update(image=""))),
    ("name too long for a container", setter(lambda d: c0(d).update(name="c" * 129))),
    ("probe exec without command", setter(lambda d: c0(d).update(liveness_probe={"exec": {"commands": []}}))),
    ("field ref literal", setter(lambda d: c0(d)["environment_vars"].append({"key": "I", "field_ref": {}}))),
    ("host alias ip", setter(lambda d: d.update(host_aliases=[{"ip": "not-an-ip", "hostnames": ["a"]}]))),
    (
        "empty dir medium",
        setter(
            lambda d: d["volumes"].append(
                {"name": "t", "type": "EmptyDirVolume", "empty_dir_volume": {"medium": "disk"}}
            )
        ),
    ),
    (
        "flex options not JSON",
        setter(
            lambda d: d["volumes"].append(
                {"name": "f", "type": "FlexVolume", "flex_volume": {"driver": "alicloud/nas", "options": "{x"}}
            )
        ),
    ),
    (
        "config mode not octal",
        setter(lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].update(mode=988)),
    ),
    ("config volume without files", setter(lambda d: d["volumes"].append({"name": "c", "type": "ConfigFileVolume"}))),
    ("disk volume without disk", setter(lambda d: d["volumes"].append({"name": "d", "type": "DiskVolume"}))),
    ("volume type unknown", setter(lambda d: d["volumes"].append({"name": "x", "type": "Magic"}))),
    ("hook without port", setter(lambda d: c0(d).update(lifecycle_post_start_handler_http_get_path="/"))),
    ("eip twice", setter(lambda d: d.update(auto_create_eip=True, eip_instance_id="eip-1"))),
    ("ipv6 bandwidth alone", setter(lambda d: d.update(ipv6_gateway_bandwidth="10"))),
    ("duplicate ntp servers", setter(lambda d: d.update(ntp_servers=["a", "a"]))),
    (
        "init container above the instance",
        setter(lambda d: d.update(init_containers=[{"name": "i", "image": "x", "cpu": 3}])),
    ),
    ("empty tag key", setter(lambda d: d.update(tags={"": "v"}))),
    ("password not a string", setter(lambda d: d["image_registry_credentials"][0].update(password=12345678))),
]

#: What pydantic writes for Python programmers, and regular expressions: none may reach a person.
_NOT_FOR_PEOPLE = re.compile(
    r"Value error|Assertion failed|after validation|pattern|pydantic|Input should|String should|function-"
    r"|\[type=|[\^$\\]|\[[A-Za-z0-9]-[A-Za-z0-9]"
)


def _problems_of(mutate: Callable[[dict[str, Any]], Any]) -> tuple[Any, ValidationError]:
    data = mutate(copy.deepcopy(base()))
    with pytest.raises(ValidationError) as info:
        ContainerGroupSpec.model_validate(data)
    return data, info.value


@pytest.mark.parametrize(("label", "mutate"), KINDS, ids=[k[0] for k in KINDS])
def test_messages_are_written_for_people(label: str, mutate: Callable[[dict[str, Any]], Any]) -> None:
    data, error = _problems_of(mutate)
    for problems in (flatten_errors(error), flatten_errors(error, data)):
        assert problems
        for path, message in problems:
            assert message and not _NOT_FOR_PEOPLE.search(message), (path, message)
            assert "hunter2-PW" not in message and "12345678" not in message


def test_a_bad_key_names_the_container_the_value_and_the_rule() -> None:
    data, error = _problems_of(setter(lambda d: c0(d).update(environment_vars=[{"key": "MY-VAR", "value": "x"}])))
    assert (
        "containers[web].environment_vars[0].key: 'MY-VAR' must start with a letter or _ and contain only "
        "letters, digits and _"
    ) in format_errors(error, data)


def test_values_are_shown_only_with_the_input_and_never_for_secrets() -> None:
    data, error = _problems_of(setter(lambda d: c0(d)["ports"].append({"port": 0, "protocol": "SCTP"})))
    assert ("containers[web].ports[1].port", "0 must be at least 1") in flatten_errors(error, data)
    assert ("containers[web].ports[1].protocol", "'SCTP' must be 'TCP' or 'UDP'") in flatten_errors(error, data)
    assert ("containers[0].ports[1].port", "must be at least 1") in flatten_errors(error)  # the emulator's form
    secret = "NOT-BASE64-SECRET!"
    data, error = _problems_of(
        setter(lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].update(content=secret))
    )
    ((path, message),) = flatten_errors(error, data)
    assert path.endswith(".content") and message.startswith("must be Base64-encoded") and secret not in message


def test_an_item_whose_key_repeats_keeps_its_index() -> None:
    data, error = _problems_of(setter(lambda d: d["containers"].append({"name": "web", "image": "y"})))
    assert [p for p, _ in flatten_errors(error, data)] == ["containers[1].name"]


def test_every_pattern_of_the_spec_is_described_in_words() -> None:
    patterns = set()
    for info in rules.walk(ContainerGroupSpec):
        field = info.model.model_fields[info.name]
        for meta in [*field.metadata, *(m for a in get_args(field.annotation) for m in getattr(a, "__metadata__", ()))]:
            if getattr(meta, "pattern", None):
                patterns.add(meta.pattern)
    assert patterns and patterns <= set(PATTERNS)
