"""The real Pulumi engine: lifecycle, drift, validation, crash recovery and unreadable answers.

Each test has a stack of its own (one file backend for the session).  Most talk to an emulator
served over loopback HTTP; the lifecycle test uses the ``embedded:`` endpoint, as the ``local``
stack does, and reads the emulator's journal from the same SQLite file.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk_models
from alibabacloud_eci20180808.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config as SdkConfig
from real_engine import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    REGION,
    ROOT,
    Project,
    Workspace,
    kill_tree,
    loopback,
)

from eci_provider.emulator import Emulator, EmulatorConfig

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("engine-ws"))


def web(name: str = "web", image: str = "nginx:1.25", **extra: Any) -> dict[str, Any]:
    spec = {
        "name": name,
        "tags": {"app": name},
        "containers": [{"name": "web", "image": image, "ports": [{"port": 80}]}],
    }
    return {"name": name, "spec": {**spec, **extra}}


def live(emulator: Emulator) -> list[dict[str, Any]]:
    return [g for g in emulator.groups() if g["Status"] not in ("Succeeded", "Failed", "Expired")]


# -- lifecycle against the embedded endpoint ------------------------------------------------


def test_lifecycle_against_the_embedded_emulator(workspace: Workspace, tmp_path: Path) -> None:
    db = tmp_path / "eci.sqlite"
    project = Project(workspace, tmp_path / "project")
    stack = project.stack("embedded", f"embedded:{db}?transition_seconds=0.1", credentials=False)
    stack.declare([web("app-a"), web("app-b")])
    stack.up()
    ids = {name: out["id"] for name, out in stack.outputs().items()}
    stack.preview("--expect-no-changes")

    stack.declare([web("app-a", image="nginx:1.26"), web("app-b")])
    stack.up()
    stack.preview("--expect-no-changes")
    emulator = Emulator(EmulatorConfig(db_path=str(db)))  # the provider's database, read from here
    try:
        updates = [e for e in emulator.journal() if e["action"] == "UpdateContainerGroup"]
        assert [(e["group_id"], e["update_type"]) for e in updates] == [(ids["app-a"], "IncrementalUpdate")]

        # Destroy leaves the cloud empty; the same program then comes up again.
        stack.destroy()
        assert live(emulator) == []
        stack.up()
        again = {name: out["id"] for name, out in stack.outputs().items()}
        assert set(again) == {"app-a", "app-b"} and not set(again.values()) & set(ids.values())
        assert sorted(g["ContainerGroupId"] for g in live(emulator)) == sorted(again.values())
        stack.destroy()
        assert live(emulator) == []
    finally:
        emulator.close()


# -- how `pulumi preview --diff` renders a change ------------------------------------------


def test_preview_diff_shows_the_change_and_the_plan_but_no_bookkeeping_or_secret(
    workspace: Workspace, tmp_path: Path
) -> None:
    """The engine's own ``--diff`` rendering: the user's change and the planned decision are
    shown; the provider's bookkeeping input is one hidden line; a secret-marked value is masked
    on both sides.  (The engine masks the whole container that holds a marked leaf, image
    included: the planned decision and ``preview-comment`` are where such a change reads.)"""
    project = Project(workspace, tmp_path / "project")
    stack = project.stack("diff", f"embedded:{tmp_path / 'eci.sqlite'}?transition_seconds=0", credentials=False)
    marked = web("marked")
    marked["spec"]["containers"][0]["environment_vars"] = [{"key": "DB_PASS", "value": "old-db-pass-1"}]
    marked["secret_paths"] = [["containers", 0, "environment_vars", 0, "value"]]
    stack.declare([web("plain"), marked])
    stack.up()

    marked["spec"]["containers"][0]["environment_vars"][0]["value"] = "new-db-pass-2"
    stack.declare([web("plain", image="nginx:1.26"), marked])
    text = stack.preview("--diff").stdout
    assert '~ image: "nginx:1.25" => "nginx:1.26"' in text, text
    assert text.count('"update (IncrementalUpdate): restarts containers web"') == 2, text
    assert "old-db-pass-1" not in text and "new-db-pass-2" not in text, text
    assert "~ value: [secret] => [secret]" in text, text
    assert text.count("__check (hidden)") == 2 and "__plan" not in text and "__redacted" not in text, text

    # Unmarking: the value becomes plain.  Its old, secret side stays masked in the diff, the
    # provider's diagnostics, the event log and the plan kept in state.
    stack.up()
    marked["secret_paths"] = []
    marked["spec"]["containers"][0]["environment_vars"][0]["value"] = "now-plain-3"
    stack.declare([web("plain", image="nginx:1.26"), marked])
    events = tmp_path / "events.json"
    seen = stack.preview("--diff").stdout + stack.up("--event-log", str(events)).stdout + events.read_text()
    state = json.dumps(stack.export())
    assert "new-db-pass-2" not in seen and "new-db-pass-2" not in state
    assert "containers[web].environment_vars[DB_PASS].value" in seen, seen


# -- drift ----------------------------------------------------------------------------------


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


def test_drift_made_with_the_official_sdk_shows_after_refresh(workspace: Workspace, tmp_path: Path) -> None:
    with loopback(transition=0.1) as server:
        project = Project(workspace, tmp_path / "project")
        stack = project.stack("drift", server.url)
        stack.declare([web("web"), web("other")])
        stack.up()
        gid = stack.outputs()["web"]["id"]

        # Someone changes the image and adds a tag in the console (here: the official SDK).
        sdk = sdk_client(server.port)
        sdk.update_container_group(
            sdk_models.UpdateContainerGroupRequest(
                region_id=REGION,
                container_group_id=gid,
                update_type="IncrementalUpdate",
                tag=[sdk_models.UpdateContainerGroupRequestTag(key="hotfix", value="yes")],
                container=[
                    sdk_models.UpdateContainerGroupRequestContainer(
                        name="web",
                        image="nginx:1.25-hotfix",
                        port=[sdk_models.UpdateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                    )
                ],
            )
        )
        wait_until(lambda: _status(server.emulator, gid) == "Running")

        stack.preview("--expect-no-changes")  # without a refresh, Pulumi cannot know
        stack.refresh()
        preview_path = tmp_path / "preview.json"
        preview_path.write_text(stack.run("preview", "--json").stdout)
        preview = json.loads(preview_path.read_text())
        ops = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in preview["steps"]}
        assert ops["web"] == "update" and ops.get("other", "same") == "same", ops
        report = _report(preview_path)
        (group,) = report["groups"]
        drifted = {row["path"]: row for row in group["rows"] if row["drift"]}
        assert drifted["containers[web].image"]["old"] == "nginx:1.25-hotfix"
        assert drifted["containers[web].image"]["new"] == "nginx:1.25"
        assert "tags[hotfix]" in drifted
        markdown = _report(preview_path, "markdown")
        assert "↺ drift" in markdown and "reverts changes made outside Pulumi" in markdown

        # up reverts it, and the stack is quiet again.
        stack.up()
        stack.preview("--expect-no-changes")
        stack.refresh()
        stack.preview("--expect-no-changes")


def _status(emulator: Emulator, gid: str) -> str | None:
    return next((g["Status"] for g in emulator.groups() if g["ContainerGroupId"] == gid), None)


def _report(path: Path, fmt: str = "json") -> Any:
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "eci-provider"), "preview-comment", str(path), "--format", fmt],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout) if fmt == "json" else done.stdout


def wait_until(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


# -- validation at preview ----------------------------------------------------------------


def test_a_bad_spec_fails_the_preview_naming_the_field_and_calls_nothing(workspace: Workspace, tmp_path: Path) -> None:
    with loopback() as server:
        project = Project(workspace, tmp_path / "project")
        stack = project.stack("invalid", server.url)
        bad_port = web("web")
        bad_port["spec"]["containers"][0]["ports"] = [{"port": 70000}]
        stack.declare([bad_port])
        run = stack.preview(check=False)
        assert run.returncode != 0
        assert "ports[0].port" in run.text and "65535" in run.text, run.text
        assert "value {" not in run.text  # the field is named, not the whole containers value printed
        assert "Traceback" not in run.text

        unknown = web("web")
        unknown["spec"]["containers"][0]["imagee"] = "nginx"
        stack.declare([unknown])
        run = stack.preview(check=False)
        assert run.returncode != 0
        assert "containers[0].imagee" in run.text or "imagee" in run.text, run.text
        assert "Traceback" not in run.text

        typo = web("web")
        typo["spec"]["memroy"] = 2
        stack.declare([typo])
        run = stack.preview(check=False)
        assert run.returncode != 0 and "memroy" in run.text and "Traceback" not in run.text, run.text

        stack.run("up", "--yes", check=False)
        assert server.emulator.journal() == []
        assert server.emulator.stats()["requests"] == {}


# -- crash recovery -------------------------------------------------------------------------


def test_a_killed_up_is_recovered_without_duplicates_or_orphans(workspace: Workspace, tmp_path: Path) -> None:
    with loopback(transition=3.0) as server:
        project = Project(workspace, tmp_path / "project")
        stack = project.stack("crash", server.url)
        stack.declare([web("app-a"), web("app-b")])
        up = stack.start("up", "--yes", "--skip-preview")
        try:
            wait_until(lambda: len(server.emulator.journal()) == 2, timeout=120)  # both creates were accepted
        finally:
            kill_tree(up)
        assert len(live(server.emulator)) == 2  # the groups exist; Pulumi never heard of them

        # How a user recovers (README: "If pulumi up was interrupted").
        lock = stack.run("cancel", "--yes", check=False)  # the file backend may have left no lock
        assert lock.returncode == 0 or "lock" in lock.text.lower() or "not supported" in lock.text.lower(), lock.text
        refresh = stack.refresh("--clear-pending-creates")
        assert "pending" in refresh.text.lower() or refresh.returncode == 0
        stack.up()
        ids = {name: out["id"] for name, out in stack.outputs().items()}
        groups = live(server.emulator)
        assert sorted(g["ContainerGroupId"] for g in groups) == sorted(ids.values())  # 0 orphans
        assert server.emulator.stats()["groups_created"] == 2  # 0 duplicates: both were adopted
        stack.preview("--expect-no-changes")


# -- an unreadable answer is never "gone" ---------------------------------------------------


def test_refresh_on_unreadable_answers_fails_and_keeps_the_state(workspace: Workspace, tmp_path: Path) -> None:
    with loopback() as server:
        project = Project(workspace, tmp_path / "project")
        stack = project.stack("unreadable", server.url)
        stack.declare([web("web")])
        stack.up()
        server.emulator.set_faults(malformed_response_rate=1.0)
        run = stack.refresh(check=False)
        assert run.returncode != 0
        assert "MalformedResponse" in run.text and "DescribeContainerGroups" in run.text, run.text
        server.emulator.set_faults(malformed_response_rate=0.0)
        assert [r["urn"].rsplit("::", 1)[-1] for r in stack.resources()] == ["web"]  # still managed
        stack.refresh()
        stack.preview("--expect-no-changes")


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_no_python_package_makes_the_engine_want_a_plugin() -> None:
    """A ``pulumi-*`` package with a ``pulumi-plugin.json`` in the venv makes the engine look for
    (and, where it may, download) that provider plugin: the runs here must never reach out."""
    found = sorted(str(p.relative_to(ROOT)) for p in (ROOT / ".venv").rglob("pulumi-plugin.json"))
    assert found == []
