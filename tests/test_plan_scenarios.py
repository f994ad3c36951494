"""Table-driven planner scenarios: one row per rule of docs/update-rules.md.

Each row changes a realistic group and states the full decision: action, UpdateType, restart
scope, restarted containers, replacement fields, number of calls, and facts about the calls.
The current state is what DescribeContainerGroups would return plus the digests of what was
last applied, exactly as the provider plans.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from wire_calls import wire_calls

from eci_provider.cloud import wire
from eci_provider.planning.planner import Plan, applied_record, plan, region_move
from eci_provider.spec.model import ContainerGroupSpec

BASE: dict[str, Any] = {
    "name": "shop",
    "cpu": 2,
    "memory": 4,
    "v_switch_id": "vsw-1",
    "security_group_id": "sg-1",
    "zone_id": "cn-hangzhou-b",
    "tags": {"team": "shop", "env": "dev"},
    "dns_config": {"name_servers": ["10.0.0.2"], "searches": ["svc.local"]},
    "image_registry_credentials": [{"server": "registry.example.com", "user_name": "bot", "password": "pw-one"}],
    "volumes": [
        {
            "name": "cfg",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "aGVsbG8="}]},
        },
        {"name": "cache", "type": "EmptyDirVolume"},
    ],
    "init_containers": [{"name": "migrate", "image": "registry.example.com/migrate:1"}],
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.25",
            "cpu": 1,
            "memory": 2,
            "commands": ["nginx"],
            "args": ["-g", "daemon off;"],
            "environment_vars": [{"key": "MODE", "value": "prod"}, {"key": "LOG", "value": "info"}],
            "ports": [{"port": 80}],
            "volume_mounts": [{"name": "cfg", "mount_path": "/etc/app"}, {"name": "cache", "mount_path": "/cache"}],
        },
        {"name": "sidecar", "image": "fluent-bit:3", "cpu": 0.5, "memory": 1},
    ],
}
SALT = "test-salt"


def current_of(d: dict[str, Any]) -> tuple[ContainerGroupSpec, Any]:
    """What the provider plans against: the observed spec, and digests of what was applied."""
    spec = ContainerGroupSpec.model_validate(d)
    return wire.from_describe(wire.to_describe(spec)), applied_record(spec, SALT)


def web(d: dict[str, Any]) -> dict[str, Any]:
    return d["containers"][0]


@dataclass
class Row:
    name: str
    change: Callable[[dict[str, Any]], Any]
    action: str
    update_type: str | None = None
    restart: str = "none"
    restarted: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    calls: int = 0
    status: str = "Running"
    delete_first: bool = False
    sends: tuple[str, ...] = ()  # parameter prefixes some call must carry
    never_sends: tuple[str, ...] = ()  # parameter prefixes no call may carry
    reason: str = ""  # a fragment some reason must contain
    base: Callable[[dict[str, Any]], Any] = field(default=lambda d: None)


SAME_CONTAINERS = ("InitContainer.", "Tag.", "Volume.", "ImageRegistryCredential.")

ROWS = [
    Row("no change", lambda d: None, "noop"),
    Row(
        "image",
        lambda d: web(d).update(image="nginx:1.27"),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        sends=("Container.1.", "Container.2."),
        never_sends=SAME_CONTAINERS,
        reason="containers[web].image: nginx:1.25 → nginx:1.27",
    ),
    Row(
        "env value",
        lambda d: web(d)["environment_vars"][1].update(value="debug"),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        reason="containers[web].environment_vars[LOG].value: info → debug",
    ),
    Row(
        "env order",
        lambda d: web(d)["environment_vars"].reverse(),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        reason="order",
    ),
    Row(
        "args",
        lambda d: web(d).update(args=["-g", "daemon on;"]),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        reason="containers[web].args",
    ),
    Row(
        "commands",
        lambda d: web(d).update(commands=["/usr/sbin/nginx"]),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        reason="containers[web].commands",
    ),
    Row(
        "add a container",
        lambda d: d["containers"].append({"name": "worker", "image": "worker:1"}),
        "update",
        "IncrementalUpdate",
        "none",
        calls=1,
        sends=("Container.3.",),
        reason="containers[worker]: added",
    ),
    Row(
        "remove a container",
        lambda d: d["containers"].pop(),
        "update",
        "IncrementalUpdate",
        "none",
        calls=1,
        never_sends=("Container.2.",),
        reason="containers[sidecar]: removed",
    ),
    Row("reorder containers", lambda d: d["containers"].reverse(), "noop"),
    Row("reorder ports and mounts", lambda d: web(d)["volume_mounts"].reverse(), "noop"),
    Row(
        "tag value",
        lambda d: d["tags"].update(env="prod"),
        "update",
        "IncrementalUpdate",
        "none",
        calls=1,
        sends=("Tag.",),
        never_sends=("Container.", "InitContainer."),
        reason="tags[env]: dev → prod",
    ),
    Row(
        "remove one of two tags",
        lambda d: d["tags"].pop("env"),
        "update",
        "RenewUpdate",
        "none",
        calls=1,
        sends=("Tag.1.",),
        never_sends=("Tag.2.", "Container."),
        reason="RenewUpdate",
    ),
    Row("remove all tags", lambda d: d.pop("tags"), "replace", replace=("tags",), reason="cannot be sent"),
    Row(
        "restart policy",
        lambda d: d.update(restart_policy="OnFailure"),
        "update",
        "IncrementalUpdate",
        "none",
        calls=1,
        sends=("RestartPolicy",),
        reason="restart_policy: Always (default) → OnFailure",
    ),
    Row(
        "instance cpu/memory",
        lambda d: d.update(cpu=4, memory=8),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        sends=("Cpu", "Memory"),
        never_sends=("Container.",),
    ),
    Row(
        "add an init container",
        lambda d: d["init_containers"].append({"name": "seed", "image": "seed:1"}),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        sends=("InitContainer.2.",),
        never_sends=("Container.",),
    ),
    Row(
        "add the first init container",
        lambda d: d.update(init_containers=[{"name": "seed", "image": "s:1"}]),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        base=lambda d: d.pop("init_containers"),
    ),
    Row(
        "change an init container",
        lambda d: d["init_containers"][0].update(image="registry.example.com/migrate:2"),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        sends=("InitContainer.1.",),
    ),
    Row("remove the only init container", lambda d: d.pop("init_containers"), "replace", replace=("init_containers",)),
    Row(
        "remove one of two init containers",
        lambda d: d["init_containers"].pop(),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        base=lambda d: d["init_containers"].append({"name": "seed", "image": "seed:1"}),
    ),
    Row(
        "credential password, same count",
        lambda d: d["image_registry_credentials"][0].update(password="pw-two"),
        "update",
        "RenewUpdate",
        "none",
        calls=1,
        sends=("ImageRegistryCredential.1.Password",),
        never_sends=("Container.",),
    ),
    Row(
        "credential added",
        lambda d: d["image_registry_credentials"].append({"server": "ghcr.io", "user_name": "u", "password": "p"}),
        "update",
        "RenewUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        sends=("ImageRegistryCredential.2.",),
    ),
    Row(
        "credential and container",
        lambda d: (d["image_registry_credentials"][0].update(password="pw-two"), web(d).update(image="nginx:1.27")),
        "update",
        "RenewUpdate",
        "containers",
        ("web",),
        calls=2,
    ),
    Row(
        "config-file content",
        lambda d: d["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].update(content="aGVsbG8gYWdhaW4="),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        sends=("Volume.1.ConfigFileVolume.ConfigFileToPath.1.Content",),
        never_sends=("Container.",),
        reason="write-only",
    ),
    Row(
        "remove a volume",
        lambda d: (d["volumes"].pop(), web(d)["volume_mounts"].pop()),
        "update",
        "RenewUpdate",
        "containers",
        ("web",),
        calls=1,
        sends=("Volume.1.", "Container."),
        never_sends=("Volume.2.",),
    ),
    Row(
        "remove all volumes", lambda d: (d.pop("volumes"), web(d).pop("volume_mounts")), "replace", replace=("volumes",)
    ),
    Row(
        "dns name server",
        lambda d: d["dns_config"].update(name_servers=["10.0.0.3"]),
        "update",
        "IncrementalUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        sends=("DnsConfig.NameServer.1", "DnsConfig.Search.1"),
    ),
    Row(
        "dns member removed",
        lambda d: d["dns_config"].pop("searches"),
        "update",
        "RenewUpdate",
        "instance",
        ("web", "sidecar"),
        calls=1,
        never_sends=("DnsConfig.Search",),
    ),
    Row("vswitch", lambda d: d.update(v_switch_id="vsw-2"), "replace", replace=("v_switch_id",)),
    Row("vswitch list containing the current one", lambda d: d.update(v_switch_id="vsw-2,vsw-1"), "noop"),
    Row("security group", lambda d: d.update(security_group_id="sg-2"), "replace", replace=("security_group_id",)),
    Row("zone", lambda d: d.update(zone_id="cn-hangzhou-k"), "replace", replace=("zone_id",)),
    Row("name", lambda d: d.update(name="shop-two"), "replace", replace=("name",)),
    Row(
        "env hide",
        lambda d: web(d).update(environment_var_hide=True),
        "replace",
        replace=("containers[web].environment_var_hide",),
    ),
    Row(
        "privileged",
        lambda d: web(d).update(security_context_privileged=True),
        "replace",
        replace=("containers[web].security_context_privileged",),
    ),
    Row(
        "added container needing a create-only field",
        lambda d: d["containers"].append({"name": "root", "image": "x", "security_context_privileged": True}),
        "replace",
        replace=("containers[root].security_context_privileged",),
    ),
    Row(
        "pinned address",
        lambda d: d.update(name="shop-two", private_ip_address="172.16.0.9"),
        "replace",
        replace=("name", "private_ip_address"),
        delete_first=True,
    ),
    Row(
        "terminal and changed",
        lambda d: web(d).update(image="nginx:1.27"),
        "replace",
        status="Succeeded",
        replace=("status", "containers[web].image"),
    ),
    Row("terminal and unchanged", lambda d: None, "noop", status="Failed"),
    Row(
        "updating and changed",
        lambda d: web(d).update(image="nginx:1.27"),
        "update",
        "IncrementalUpdate",
        "containers",
        ("web",),
        calls=1,
        status="Updating",
        reason="containers[web].image",
    ),
    Row("schedule failed", lambda d: None, "replace", status="ScheduleFailed", replace=("status",)),
    Row("1 versus 1.0", lambda d: (d.update(cpu=2.0, memory=4.0), web(d).update(cpu=1.0, memory=2.0)), "noop"),
    Row(
        "rounded pair matches what the service provisions",
        lambda d: d.update(cpu=1.5, memory=3.5),
        "noop",
        base=lambda d: d.update(cpu=2, memory=4),
    ),
]


def run(row: Row) -> Plan:
    base = copy.deepcopy(BASE)
    row.base(base)
    current, applied = current_of(base)
    desired = copy.deepcopy(base)
    row.change(desired)
    return plan(ContainerGroupSpec.model_validate(desired), current, row.status, applied=applied)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_scenario(row: Row) -> None:
    p = run(row)
    assert p.action == row.action, p.reasons
    assert p.update_type == row.update_type
    assert p.restart == row.restart
    if row.restarted:
        assert set(p.restarted_containers) == set(row.restarted)
    assert len(p.calls) == row.calls
    for prefix in row.replace:
        assert prefix in p.replace_fields, p.replace_fields
    assert p.delete_before_replace == row.delete_first
    keys = [k for call in wire_calls(p) for k in call]
    for prefix in row.sends:
        assert any(k.startswith(prefix) for k in keys), (prefix, keys)
    for prefix in row.never_sends:
        assert not any(k.startswith(prefix) for k in keys), (prefix, keys)
    if row.reason:
        assert any(row.reason in r for r in p.reasons), p.reasons
    for call in wire_calls(p):
        assert call["UpdateType"] in ("IncrementalUpdate", "RenewUpdate") and len(call) > 1
    assert "pw-one" not in repr(p.reasons) and "pw-two" not in repr(p.reasons)


def test_credential_and_container_split_into_two_calls() -> None:
    p = run(next(r for r in ROWS if r.name == "credential and container"))
    first, second = wire_calls(p)
    assert first["UpdateType"] == "RenewUpdate" and set(first) == {
        "UpdateType",
        "ImageRegistryCredential.1.Server",
        "ImageRegistryCredential.1.UserName",
        "ImageRegistryCredential.1.Password",
    }
    assert second["UpdateType"] == "IncrementalUpdate" and "Container.1.Image" in second
    assert not any(k.startswith("ImageRegistryCredential") for k in second)


def test_peer_mistake_unchanged_init_containers_are_never_sent() -> None:
    """The peer resends InitContainer on every update, restarting the instance for a tag edit."""
    for row in ROWS:
        if row.action == "update" and not row.name.startswith(
            ("add an init", "add the first", "change an init", "remove one of two init")
        ):
            keys = [k for call in wire_calls(run(row)) for k in call]
            assert not any(k.startswith("InitContainer.") for k in keys), row.name


def test_added_container_and_removed_volume_restart_precisely() -> None:
    p = run(next(r for r in ROWS if r.name == "add a container"))
    assert p.started_containers == ("worker",) and p.restarted_containers == ()
    p = run(next(r for r in ROWS if r.name == "remove a container"))
    assert p.stopped_containers == ("sidecar",)


def test_reasons_cite_sources() -> None:
    p = run(next(r for r in ROWS if r.name == "instance cpu/memory"))
    assert all("(" in r for r in p.reasons)
    assert any("inferred" in n for n in p.notes)
    p = run(next(r for r in ROWS if r.name == "vswitch"))
    assert p.reasons == (
        "v_switch_id: vsw-1 → vsw-2 — create-only: UpdateContainerGroup cannot change it, "
        "so the group is replaced (Alibaba Cloud API metadata)",
    )


def test_restart_policy_never_warns_on_container_changes() -> None:
    base = copy.deepcopy(BASE) | {"restart_policy": "Never"}
    current, applied = current_of(base)
    desired = copy.deepcopy(base)
    web(desired)["image"] = "nginx:1.27"
    p = plan(ContainerGroupSpec.model_validate(desired), current, "Running", applied=applied)
    assert any("RestartPolicy is Never" in w for w in p.warnings)


def test_secret_paths_are_masked() -> None:
    current, applied = current_of(BASE)
    desired = copy.deepcopy(BASE)
    web(desired)["environment_vars"][0]["value"] = "s3cret-token"
    p = plan(
        ContainerGroupSpec.model_validate(desired),
        current,
        "Running",
        applied=applied,
        secret_paths={"containers[web].environment_vars[MODE].value"},
    )
    assert "s3cret-token" not in " ".join(p.reasons) and "[secret]" in " ".join(p.reasons)


def test_write_only_without_a_record_is_unknown_not_a_diff() -> None:
    desired = ContainerGroupSpec.model_validate(BASE | {"termination_grace_period_seconds": 30})
    observed = wire.from_describe(wire.to_describe(desired))
    p = plan(desired, observed, "Running")
    assert p.action == "noop"
    assert any("termination_grace_period_seconds" in n for n in p.notes)
    # With a record of what was applied, adding the field is a real (create-only) change.
    before = ContainerGroupSpec.model_validate(BASE)
    p = plan(desired, observed, "Running", applied=applied_record(before, SALT))
    assert p.action == "replace" and p.replace_fields == ("termination_grace_period_seconds",)


def test_create_plan() -> None:
    p = plan(ContainerGroupSpec.model_validate(BASE), None)
    assert p.action == "create" and p.calls == ()


def test_downtime_is_a_warning_and_names_what_is_pinned() -> None:
    p = run(next(r for r in ROWS if r.delete_first))
    assert p.delete_before_replace
    assert [w for w in p.warnings if w.startswith("downtime")] == [
        "downtime: the old instance is deleted before the new one is created, because private_ip_address "
        "cannot be held by two instances at once (docs/update-rules.md (interpretation))"
    ]


def test_each_change_has_its_rule_and_a_json_form_without_secrets() -> None:
    base = copy.deepcopy(BASE) | {
        "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": "pw-one"}]
    }
    current, applied = current_of(base)
    desired = copy.deepcopy(base)
    desired["image_registry_credentials"][0]["password"] = "pw-two"
    web(desired)["image"] = "nginx:1.27"
    p = plan(ContainerGroupSpec.model_validate(desired), current, "Running", applied=applied)
    d = p.to_dict()
    assert "pw-one" not in json.dumps(d) and "pw-two" not in json.dumps(d)
    by_path = {c["path"]: c for c in d["changes"]}
    image = by_path["containers[web].image"]
    assert (image["old"], image["new"], image["kind"], image["item"]) == ("nginx:1.25", "nginx:1.27", "changed", "web")
    assert image["rule"] == p.why("containers[web].image") and "container web is re-created" in image["rule"]
    cred = by_path["image_registry_credentials[r.example.com]"]
    assert cred["write_only"] and "call of its own" in cred["rule"]
    assert cred["new"] == "{user_name=u, password=[secret]}", cred["new"]
    assert [e["path"] for e in d["explained"]] == [c.path for c in p.changes]
    assert p.reasons == tuple(f"{e['what']} — {e['why']}" for e in d["explained"])


def test_region_move_is_a_replacement() -> None:
    assert region_move("cn-hangzhou", "cn-hangzhou") is None and region_move(None, "cn-beijing") is None
    p = region_move("cn-hangzhou", "cn-beijing")
    assert p is not None and p.action == "replace" and p.replace_top_fields == ("region_id",)
    assert p.reasons == (
        "region_id: cn-hangzhou → cn-beijing — a group lives in one region, so it is recreated in the new one",
    )


@pytest.mark.parametrize("which", ["desired", "current", "desired, nothing observed"])
def test_plain_dicts_are_refused_with_how_to_validate(which: str) -> None:
    data = {"name": "web", "containers": [{"name": "web", "image": "nginx"}]}
    spec = ContainerGroupSpec.model_validate(data)
    args = {"desired": (data, spec), "current": (spec, data), "desired, nothing observed": (data, None)}[which]
    name = which.split(",")[0]
    with pytest.raises(TypeError, match=rf"{name} must be a ContainerGroupSpec, not dict.*model_validate"):
        plan(*args, "Running")  # type: ignore[arg-type]
