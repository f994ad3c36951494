"""The real Pulumi engine: every kind of decision, checked where it lands.

One stack of three groups is taken through a sequence of changes, each applied with ``pulumi up``
after a ``pulumi preview --json``.  For each change the test checks

* the emulator's own journal: which UpdateType was sent and what restarted (or which groups were
  created and deleted, and in what order);
* the engine's event log (``--event-log``): the order of replacement steps;
* ``eci-provider preview-comment`` on the real preview document: the same decision, for every
  group, as the one the provider logged in the preview's diagnostics.

The emulator is served over loopback HTTP with V3 signatures, so the client, its signing and its
retries are the real ones.  Every step runs through both front doors, the dynamic provider and
the native plugin (``eci:index:ContainerGroup``): the same decisions, the same report.  The
steps share one stack per front door and run in file order; each test names the state it
expects, so a failure points at the step that broke.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from real_engine import (
    ACCESS_KEY_SECRET,
    FRONT_DOORS,
    ROOT,
    Project,
    Run,
    Stack,
    Workspace,
    loopback,
    read_events,
    step_ops,
)

from eci_provider.emulator import RunningServer

pytestmark = pytest.mark.timeout(900)

REGISTRY_PASSWORD = "Registry-PW-8c1f2e"
NEW_REGISTRY_PASSWORD = "Registry-PW-a93d07"
PROGRAM_SECRET = "program-secret-6b7e11"
CONFIG_TEXT = "listen 8080;\n# e2e-config-file-body-4417\n"


def rich_group() -> dict[str, Any]:
    """Everything that can go wrong at once: an init container, a registry credential from a
    secret, a config-file volume, probes, and an environment variable the program marks secret."""
    return {
        "name": "rich",
        "spec": {
            "name": "rich",
            "cpu": 1,
            "memory": 2,
            "restart_policy": "Always",
            "tags": {"app": "shop", "team": "web"},
            "image_registry_credentials": [
                {"server": "registry.example.com", "user_name": "ci", "password": REGISTRY_PASSWORD}
            ],
            "volumes": [
                {
                    "name": "conf",
                    "type": "ConfigFileVolume",
                    "config_file_volume": {
                        "config_file_to_paths": [
                            {"path": "app.conf", "content": base64.b64encode(CONFIG_TEXT.encode()).decode()}
                        ]
                    },
                }
            ],
            "init_containers": [
                {"name": "migrate", "image": "registry.example.com/shop/migrate:1.0", "commands": ["/migrate"]}
            ],
            "containers": [
                {
                    "name": "web",
                    "image": "nginx:1.25",
                    "cpu": 0.5,
                    "memory": 1,
                    "ports": [{"port": 80}],
                    "volume_mounts": [{"name": "conf", "mount_path": "/etc/app"}],
                    "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}, "period_seconds": 5},
                    "liveness_probe": {"tcp_socket": {"port": 80}, "initial_delay_seconds": 5},
                },
                {
                    "name": "app",
                    "image": "registry.example.com/shop/app:1.0",
                    "cpu": 0.5,
                    "memory": 1,
                    "environment_vars": [{"key": "API_TOKEN", "value": PROGRAM_SECRET}],
                },
            ],
        },
        "secret_paths": [
            ["image_registry_credentials", 0, "password"],
            ["containers", 1, "environment_vars", 0, "value"],
        ],
    }


def plain_group() -> dict[str, Any]:
    return {
        "name": "plain",
        "spec": {
            "name": "plain",
            "v_switch_id": "vsw-a",
            "containers": [{"name": "main", "image": "busybox:1.36", "commands": ["sleep", "3600"]}],
        },
    }


def pinned_group() -> dict[str, Any]:
    return {
        "name": "pinned",
        "spec": {
            "name": "pinned",
            "private_ip_address": "172.16.9.10",
            "ephemeral_storage": 20,
            "containers": [{"name": "cache", "image": "redis:7.2"}],
        },
    }


@dataclass
class Change:
    """One applied change: what the preview said, what up did, what the cloud recorded."""

    preview: dict[str, Any]
    report: dict[str, Any]
    up: Run
    events: list[dict[str, Any]]
    journal: list[dict[str, Any]]

    def calls(self, action: str) -> list[dict[str, Any]]:
        return [e for e in self.journal if e["action"] == action]

    def group(self, resource: str) -> dict[str, Any]:
        return next(g for g in self.report["groups"] if g["resource"] == resource)


@dataclass
class World:
    stack: Stack
    server: RunningServer
    logs: Path
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)

    def declare(self) -> None:
        self.stack.declare(list(self.groups.values()))

    def ids(self) -> dict[str, str]:
        return {name: out["id"] for name, out in self.stack.outputs().items()}

    def apply(self, label: str) -> Change:
        """preview --json → preview-comment → up, each decision cross-checked."""
        self.declare()
        preview = self.stack.preview_json()
        (self.logs / f"{label}.preview.json").write_text(json.dumps(preview, indent=1))
        report = render_report(self.logs / f"{label}.preview.json")
        assert_report_matches_the_provider(preview, report)
        since = max((e["seq"] for e in self.server.emulator.journal()), default=0)
        log = self.logs / f"{label}.events.jsonl"
        up = self.stack.up("--event-log", str(log))
        (self.logs / f"{label}.up.txt").write_text(up.text)
        change = Change(preview, report, up, read_events(log), self.server.emulator.journal(since))
        self.changes.append(change)
        return change


def render_report(preview_path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "eci-provider"), "preview-comment", str(preview_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


_LOGGED = re.compile(r"^eci-provider: (?P<identity>\S+) \((?P<id>[^)]+)\): (?P<summary>.+)$")


def provider_decisions(preview: dict[str, Any]) -> dict[str, str]:
    """What the provider's ``diff`` logged for each group (resource name → plan summary)."""
    out = {}
    for diag in preview.get("diagnostics", []):
        for line in diag["message"].splitlines():
            m = _LOGGED.match(line.strip())
            if m:
                out[m["identity"].rsplit("/", 1)[-1]] = m["summary"]
    return out


def assert_report_matches_the_provider(preview: dict[str, Any], report: dict[str, Any]) -> None:
    logged = provider_decisions(preview)
    analysed = {g["resource"]: g for g in report["groups"]}
    for resource, summary in logged.items():
        if summary == "no change":  # the report lists only groups that change
            assert resource not in analysed or analysed[resource]["impact"] == "noop", resource
            continue
        assert resource in analysed, f"{resource}: the provider decided '{summary}', the report lists nothing"
        assert analysed[resource]["plan_summary"] == summary, resource


@pytest.fixture(scope="module", params=FRONT_DOORS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp(f"decisions-{request.param}")
    logs = root / "logs"
    logs.mkdir()
    with loopback(transition=0.2) as server:
        project = Project(Workspace(root / "ws"), root / "project", front_door=request.param)
        stack = project.stack("decisions", server.url)
        w = World(stack, server, logs)
        w.groups = {"rich": rich_group(), "plain": plain_group(), "pinned": pinned_group()}
        yield w


# -- no perpetual diff ---------------------------------------------------------------------


def test_up_creates_three_groups_and_a_second_preview_plans_nothing(world: World) -> None:
    first = world.apply("create")
    assert sorted(e["name"] for e in first.calls("CreateContainerGroup")) == ["pinned", "plain", "rich"]
    assert {g["resource"]: g["op"] for g in first.report["groups"]} == {
        "rich": "create",
        "plain": "create",
        "pinned": "create",
    }
    statuses = {name: out["status"] for name, out in world.stack.outputs().items()}
    assert statuses == {"rich": "Running", "plain": "Running", "pinned": "Running"}
    world.stack.preview("--expect-no-changes")


def test_refresh_then_preview_still_plans_nothing(world: World) -> None:
    world.stack.refresh()
    world.stack.preview("--expect-no-changes")
    # The refresh preview shows the same: reading the groups back changes nothing.
    world.stack.preview("--expect-no-changes", "--refresh")


# -- updates -------------------------------------------------------------------------------


def test_an_image_change_is_one_incremental_update_restarting_that_container(world: World) -> None:
    world.groups["rich"]["spec"]["containers"][0]["image"] = "nginx:1.26"
    change = world.apply("image")
    (update,) = change.calls("UpdateContainerGroup")
    assert update["update_type"] == "IncrementalUpdate"
    assert update["restart_containers"] == ["web"] and not update["restart_instance"]
    assert change.group("rich")["plan_summary"] == "update (IncrementalUpdate): restarts containers web"
    world.stack.preview("--expect-no-changes")


def test_a_password_change_is_a_renew_update_that_restarts_nothing(world: World) -> None:
    world.groups["rich"]["spec"]["image_registry_credentials"][0]["password"] = NEW_REGISTRY_PASSWORD
    change = world.apply("password")
    (update,) = change.calls("UpdateContainerGroup")
    assert update["update_type"] == "RenewUpdate" and update["sent"] == ["ImageRegistryCredential"]
    assert update["restart_containers"] == [] and not update["restart_instance"]
    assert change.group("rich")["restart"] == "none"
    world.stack.preview("--expect-no-changes")


def test_an_init_container_change_restarts_the_instance(world: World) -> None:
    world.groups["rich"]["spec"]["init_containers"][0]["image"] = "registry.example.com/shop/migrate:1.1"
    change = world.apply("init")
    (update,) = change.calls("UpdateContainerGroup")
    assert update["restart_instance"] and update["changed"] == ["InitContainer"]
    assert change.group("rich")["restart"] == "instance"
    world.stack.preview("--expect-no-changes")


def test_a_tag_removal_is_a_renew_update(world: World) -> None:
    del world.groups["rich"]["spec"]["tags"]["team"]
    change = world.apply("tag-removal")
    (update,) = change.calls("UpdateContainerGroup")
    assert update["update_type"] == "RenewUpdate" and update["changed"] == ["Tag"]
    assert not update["restart_instance"] and update["restart_containers"] == []
    world.stack.preview("--expect-no-changes")


# -- replacements --------------------------------------------------------------------------


def test_a_vswitch_change_replaces_creating_before_deleting(world: World) -> None:
    old_id = world.ids()["plain"]
    world.groups["plain"]["spec"]["v_switch_id"] = "vsw-b"
    change = world.apply("vswitch")
    assert [e["action"] for e in change.journal] == ["CreateContainerGroup", "DeleteContainerGroup"]
    assert change.journal[1]["group_id"] == old_id
    ops = [
        op for op, name in step_ops(change.events, resource_type=world.stack.project.resource_type) if name == "plain"
    ]
    assert ops.index("create-replacement") < ops.index("delete-replaced"), ops
    assert change.group("plain")["op"] == "replace" and not change.group("plain")["delete_before_replace"]
    assert world.ids()["plain"] != old_id
    world.stack.preview("--expect-no-changes")


def test_a_replacement_of_the_pinned_ip_group_deletes_first(world: World) -> None:
    old_id = world.ids()["pinned"]
    world.groups["pinned"]["spec"]["ephemeral_storage"] = 30
    change = world.apply("pinned")
    assert [e["action"] for e in change.journal] == ["DeleteContainerGroup", "CreateContainerGroup"]
    assert change.journal[0]["group_id"] == old_id
    ops = [
        op for op, name in step_ops(change.events, resource_type=world.stack.project.resource_type) if name == "pinned"
    ]
    assert ops.index("delete-replaced") < ops.index("create-replacement"), ops
    group = change.group("pinned")
    assert group["op"] == "replace" and group["delete_before_replace"]
    assert world.stack.outputs()["pinned"]["ip"] == "172.16.9.10"
    world.stack.preview("--expect-no-changes")


# -- secrets -------------------------------------------------------------------------------


def test_no_secret_in_the_state_the_event_logs_or_the_output(world: World) -> None:
    assert len(world.changes) >= 7, "runs after every change step"
    exported = world.stack.run("stack", "export", "--stack", world.stack.name).stdout
    texts = {"pulumi stack export": exported}
    for path in sorted(world.logs.iterdir()):
        texts[path.name] = path.read_text()
    config_b64 = base64.b64encode(CONFIG_TEXT.encode()).decode()
    values = {
        "registry password": REGISTRY_PASSWORD,
        "new registry password": NEW_REGISTRY_PASSWORD,
        "config file content": "e2e-config-file-body-4417",
        "config file content (base64)": config_b64,
        "access key secret": ACCESS_KEY_SECRET,
        "program-marked secret": PROGRAM_SECRET,
    }
    leaks = [f"{what} in {where}" for where, text in texts.items() for what, v in values.items() if v in text]
    assert not leaks, leaks
    # The state still works with them: the registry password is stored encrypted, not dropped.
    rich = next(r for r in world.stack.resources() if r["urn"].endswith("::rich"))
    credentials = rich["inputs"]["image_registry_credentials"]
    assert isinstance(credentials, dict) and credentials.get("4dabf18193072939515e22adb298388d") == (
        "1b47061264138c4ac30d75fd1eb44270"
    )


def test_the_stack_keeps_working_after_every_change(world: World) -> None:
    snapshot = copy.deepcopy(world.groups)
    world.stack.declare(list(snapshot.values()))
    world.stack.preview("--expect-no-changes")
