"""The native plugin (``pulumi-resource-eci``) with the real engine: what the dynamic provider
cannot do.

* ``pulumi import`` takes over a group made outside Pulumi, and the next preview is empty;
* operations run as many at once as ``--parallel`` allows (50 groups);
* the first Ctrl-C stops the waits at once, naming the groups still converging, and the next
  ``up`` continues them instead of creating new ones;
* ``customTimeouts`` bound the wait, and the error's first line says what to do;
* ``ignoreChanges`` keeps drift in that field;
* a user's mistakes come back as per-field check failures, with no traceback;
* secrets are marked in the package schema, and the engine keeps them encrypted.

The same decisions as the dynamic provider are checked by ``test_engine_decisions.py``, which
runs through both front doors.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk_models
from alibabacloud_eci20180808.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config as SdkConfig
from real_engine import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    NATIVE_TYPE,
    PLUGIN_DIR,
    REGION,
    Project,
    Stack,
    Workspace,
    kill_tree,
    loopback,
)

from eci_provider.native.schema import package_schema
from eci_provider.provider.settings import Settings, connect
from eci_provider.spec.model import ContainerGroupSpec

pytestmark = pytest.mark.timeout(900)

REGISTRY_PASSWORD = "Native-Registry-PW-5e1d"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("native-ws"))


def native_stack(workspace: Workspace, directory: Path, endpoint: str) -> Stack:
    """A stack of its own (one backend serves the module): named after the test's directory."""
    return Project(workspace, directory, front_door="native").stack(directory.parent.name, endpoint)


def web(name: str, **extra: Any) -> dict[str, Any]:
    spec = {"name": name, "tags": {"app": name}, "containers": [{"name": "web", "image": "nginx:1.25"}]}
    options = extra.pop("options", None)
    entry: dict[str, Any] = {"name": name, "spec": {**spec, **extra}}
    if options:
        entry["options"] = options
    return entry


def creates(server: Any) -> list[dict[str, Any]]:
    return [e for e in server.emulator.journal() if e["action"] == "CreateContainerGroup"]


def status_of(server: Any, group_id: str) -> str | None:
    return next((g["Status"] for g in server.emulator.groups() if g["ContainerGroupId"] == group_id), None)


def wait_until(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def fast(workspace: Workspace) -> Iterator[Any]:
    with loopback(transition=0.1) as server:
        yield server


# -- import -----------------------------------------------------------------------------------


def test_import_takes_over_an_existing_group_and_the_next_preview_is_empty(
    workspace: Workspace, tmp_path: Path, fast: Any
) -> None:
    settings = Settings.from_config(
        {
            "eci:region": REGION,
            "eci:endpoint": fast.url,
            "eci:accessKeyId": ACCESS_KEY_ID,
            "eci:accessKeySecret": ACCESS_KEY_SECRET,
        }.get
    )
    client = connect(settings).client
    declared = web("web")
    group_id = client.create_container_group(
        ContainerGroupSpec.model_validate(declared["spec"]), client_token="import-test-1"
    )
    wait_until(lambda: status_of(fast, group_id) == "Running")

    stack = native_stack(workspace, tmp_path / "project", fast.url)
    stack.declare([])
    imported = stack.run("import", NATIVE_TYPE, "web", group_id, "--yes", "--protect=false")
    assert "Traceback" not in imported.text
    assert "eci.ContainerGroup(" in imported.text or "ContainerGroup" in imported.text, imported.text
    [resource] = stack.resources()
    assert resource["id"] == group_id
    assert resource["inputs"]["name"] == "web"
    assert resource["inputs"]["containers"][0]["image"] == "nginx:1.25"

    # The program now declares the group it took over: nothing to do, and nothing was created.
    stack.declare([declared])
    stack.preview("--expect-no-changes")
    stack.up()
    assert [e["group_id"] for e in creates(fast)] == [group_id]
    assert stack.outputs()["web"]["id"] == group_id


def test_import_of_a_group_that_does_not_exist_fails_and_records_nothing(
    workspace: Workspace, tmp_path: Path, fast: Any
) -> None:
    stack = native_stack(workspace, tmp_path / "project", fast.url)
    stack.declare([])
    run = stack.run("import", NATIVE_TYPE, "ghost", "eci-doesnotexist0000", "--yes", check=False)
    assert run.returncode != 0
    assert "does not exist" in run.text, run.text
    assert "Traceback" not in run.text
    assert stack.resources() == []


# -- parallel ---------------------------------------------------------------------------------


def test_fifty_groups_are_created_at_once_up_to_parallel(workspace: Workspace, tmp_path: Path) -> None:
    """Every create is sent before the first group can have converged: nothing waits in line
    (the dynamic provider would send them four at a time, each four waiting for Running)."""
    transition = 3.0
    with loopback(transition=transition) as server:
        stack = native_stack(workspace, tmp_path / "project", server.url)
        stack.declare([web(f"g{i:02d}") for i in range(50)])
        run = stack.up("--parallel", "50")
        sent = sorted(e["at"] for e in creates(server))
        assert len(sent) == 50
        # A group needs at least two transitions (Scheduling, Pending) before it runs.
        assert sent[-1] - sent[0] < 2 * transition, sent
        statuses = {out["status"] for out in stack.outputs().values()}
        assert statuses == {"Running"}
        print(f"native: 50 groups, {transition}s transitions, up in {run.seconds:.1f}s")


# -- cancel -----------------------------------------------------------------------------------


def test_the_first_ctrl_c_stops_the_waits_and_the_next_up_continues_them(workspace: Workspace, tmp_path: Path) -> None:
    transition = 15.0  # a group takes at least 30 s to run
    with loopback(transition=transition) as server:
        stack = native_stack(workspace, tmp_path / "project", server.url)
        names = ["cancel-a", "cancel-b", "cancel-c"]
        stack.declare([web(n) for n in names])
        process = stack.start("up", "--yes", "--skip-preview")
        try:
            wait_until(lambda: len(creates(server)) == 3, timeout=120)
            interrupted = time.monotonic()
            os.kill(process.pid, signal.SIGINT)  # the CLI only, as a terminal's first Ctrl-C
            output, _ = process.communicate(timeout=2 * transition)
            stopped = time.monotonic() - interrupted
        finally:
            if process.poll() is None:
                kill_tree(process)
        assert process.returncode != 0
        # Far less than the 30 s the groups still need: the waits stopped, they did not run out.
        assert stopped < transition, (stopped, output)
        assert "Traceback" not in output
        for name in names:
            assert f"{name}: " in output and "still be converging" in output, output
        ids = {r["urn"].rsplit("::", 1)[-1]: r["id"] for r in stack.resources()}
        assert sorted(ids) == names  # recorded as partial failures, not forgotten
        assert all(status_of(server, gid) != "Running" for gid in ids.values())

        stack.up()
        assert len(creates(server)) == 3  # continued, not created again
        outputs = stack.outputs()
        assert {n: outputs[n]["id"] for n in names} == ids
        assert {outputs[n]["status"] for n in names} == {"Running"}
        stack.preview("--expect-no-changes")


# -- customTimeouts, runtime errors -----------------------------------------------------------


def test_custom_timeouts_bound_the_wait_and_the_error_says_what_to_do(workspace: Workspace, tmp_path: Path) -> None:
    transition = 20.0
    with loopback(transition=transition) as server:
        stack = native_stack(workspace, tmp_path / "project", server.url)  # eci:timeoutSeconds is 120
        stack.declare([web("slow", options={"custom_timeouts": {"create": "2s"}})])
        run = stack.up(check=False)
        assert run.returncode != 0
        assert run.seconds < 2 * transition, run.seconds  # not the 40 s to Running, nor 120 s
        assert "Traceback" not in run.text
        error = next(line for line in run.text.splitlines() if "slow:" in line and "after" in line)
        assert "customTimeouts" in error and "pulumi up" in error, error
        [resource] = stack.resources()
        assert resource["id"].startswith("eci-")  # the group is recorded, so the next up waits for it
        assert resource["customTimeouts"]["create"] == 2.0


def test_a_runtime_error_says_what_happened_and_what_to_do_first(workspace: Workspace, tmp_path: Path) -> None:
    with loopback(transition=0.1) as server:
        stack = native_stack(workspace, tmp_path / "project", server.url)
        stack.run("config", "set", "--secret", "eci:accessKeySecret", "not-the-secret")
        stack.declare([web("denied")])
        run = stack.up(check=False)
        assert run.returncode != 0
        assert "Traceback" not in run.text and "Unexpected <class" not in run.text
        line = next(line for line in run.text.splitlines() if "denied:" in line)
        assert "rejected the credentials" in line and "eci:accessKeySecret" in line, line
        assert "not-the-secret" not in run.text
        assert creates(server) == []


# -- ignoreChanges ----------------------------------------------------------------------------


def sdk_client(port: int) -> SdkClient:
    return SdkClient(
        SdkConfig(
            access_key_id=ACCESS_KEY_ID,
            access_key_secret=ACCESS_KEY_SECRET,
            region_id=REGION,
            endpoint=f"127.0.0.1:{port}",
            protocol="http",
        )
    )


def test_ignore_changes_keeps_drift_in_that_field(workspace: Workspace, tmp_path: Path, fast: Any) -> None:
    stack = native_stack(workspace, tmp_path / "project", fast.url)
    stack.declare([web("kept", options={"ignore_changes": ["tags"]}), web("reverted")])
    stack.up()
    ids = {name: out["id"] for name, out in stack.outputs().items()}
    sdk = sdk_client(fast.port)
    for gid in ids.values():  # someone adds a tag in the console
        sdk.update_container_group(
            sdk_models.UpdateContainerGroupRequest(
                region_id=REGION,
                container_group_id=gid,
                update_type="IncrementalUpdate",
                tag=[sdk_models.UpdateContainerGroupRequestTag(key="hotfix", value="yes")],
            )
        )
    wait_until(lambda: all(status_of(fast, gid) == "Running" for gid in ids.values()))
    stack.refresh()
    before = len(fast.emulator.journal())
    stack.up()
    updated = [e["group_id"] for e in fast.emulator.journal(before) if e["action"] == "UpdateContainerGroup"]
    assert updated == [ids["reverted"]]  # the control: without ignoreChanges the drift is reverted
    tags = {g["ContainerGroupId"]: g["Spec"].get("tags", {}) for g in fast.emulator.groups()}
    assert tags[ids["kept"]].get("hotfix") == "yes"
    assert "hotfix" not in tags[ids["reverted"]]
    stack.preview("--expect-no-changes")


# -- mistakes, secrets ------------------------------------------------------------------------


def test_mistakes_are_per_field_check_failures_without_a_traceback(
    workspace: Workspace, tmp_path: Path, fast: Any
) -> None:
    stack = native_stack(workspace, tmp_path / "project", fast.url)
    bad = web("bad", cpu="lots", restart_policy="Sometimes")
    bad["spec"]["contaners"] = []
    stack.declare([bad])
    run = stack.preview(check=False)
    assert run.returncode != 0
    assert "Traceback" not in run.text and "Unexpected <class" not in run.text
    problems = [line for line in run.text.splitlines() if "has a problem" in line]
    assert any("cpu" in line for line in problems), run.text
    assert any("restart_policy" in line for line in problems), run.text
    assert any("contaners" in line and "did you mean containers" in line for line in problems), run.text
    assert fast.emulator.journal() == []


def test_secrets_are_marked_in_the_schema_and_kept_encrypted(workspace: Workspace, tmp_path: Path, fast: Any) -> None:
    schema = package_schema("0.1.0")
    assert schema["types"]["eci:index:ImageRegistryCredential"]["properties"]["password"]["secret"] is True
    assert schema["types"]["eci:index:ConfigFileToPath"]["properties"]["content"]["secret"] is True
    assert schema["config"]["variables"]["accessKeySecret"]["secret"] is True

    stack = native_stack(workspace, tmp_path / "project", fast.url)
    creds = [{"server": "registry.example.com", "user_name": "ci", "password": REGISTRY_PASSWORD}]
    stack.declare([web("private", image_registry_credentials=creds)])
    run = stack.up()
    assert REGISTRY_PASSWORD not in run.text
    exported = stack.run("stack", "export", "--stack", stack.name).stdout
    assert REGISTRY_PASSWORD not in exported and ACCESS_KEY_SECRET not in exported
    revealed = stack.run("stack", "export", "--show-secrets", "--stack", stack.name).stdout
    assert REGISTRY_PASSWORD in revealed  # kept, encrypted: not dropped
    [resource] = [r for r in json.loads(exported)["deployment"]["resources"] if r["type"] == NATIVE_TYPE]
    secret = "1b47061264138c4ac30d75fd1eb44270"  # the engine's mark of an encrypted value
    assert resource["inputs"]["image_registry_credentials"]["4dabf18193072939515e22adb298388d"] == secret


# -- installation -----------------------------------------------------------------------------


def test_the_plugin_installs_from_the_repository_with_pulumi_plugin_install(tmp_path: Path, fast: Any) -> None:
    """No download: ``pulumi plugin install --file`` copies the console script into the plugin
    cache, and a project without ``plugins.providers`` finds it there."""
    workspace = Workspace(tmp_path / "ws")
    project = Project(workspace, tmp_path / "project", front_door="native", plugin_from_cache=True)
    assert "plugins" not in (project.directory / "Pulumi.yaml").read_text()
    stack = project.stack("installed", fast.url)
    version = metadata.version("eci-provider")
    subprocess.run(
        ["pulumi", "plugin", "install", "resource", "eci", version, "--file", str(PLUGIN_DIR / "pulumi-resource-eci")],
        env=workspace.env(),
        check=True,
        capture_output=True,
    )
    installed = workspace.root / "home" / "plugins" / f"resource-eci-v{version}" / "pulumi-resource-eci"
    assert installed.is_file()
    stack.declare([web("cached")])
    stack.up()
    assert stack.outputs()["cached"]["status"] == "Running"
