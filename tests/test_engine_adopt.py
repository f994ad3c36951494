"""Adoption by ID (``adopt_id``) through the real Pulumi engine.

Groups are made outside Pulumi with the official Alibaba SDK (a real client, not ours) against
an emulator served over loopback; a program then adopts them.  The emulator's journal says what
was written, and to which group.  The provider's decisions case by case are in
tests/test_adoption.py; these tests check what the engine makes of them: the preview, the
report, the up, the failures, and a rename.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk_models
from alibabacloud_eci20180808.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config as SdkConfig
from import_program import run_import
from pydantic import SecretStr
from real_engine import ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION, ROOT, Project, Stack, Workspace, loopback

from eci_provider.cloud.wire import to_api_tree
from eci_provider.emulator import RunningServer
from eci_provider.provider.ownership import OWNER_TAG, owner_value
from eci_provider.spec.model import ContainerGroupSpec

pytestmark = pytest.mark.timeout(900)

PROJECT = "eci-e2e"


@dataclass
class World:
    workspace: Workspace
    server: RunningServer
    root: Path

    @property
    def sdk(self) -> SdkClient:
        return SdkClient(
            SdkConfig(
                access_key_id=ACCESS_KEY_ID,
                access_key_secret=ACCESS_KEY_SECRET,
                region_id=REGION,
                endpoint=f"127.0.0.1:{self.server.port}",
                protocol="http",
            )
        )

    def made_outside(self, spec: dict[str, Any]) -> str:
        """A running group created with the official SDK, as someone did before this stack."""
        tree = _plain(to_api_tree(ContainerGroupSpec.model_validate(spec, context={"allow_owner_tag": True})))
        tree["RegionId"] = REGION
        request = sdk_models.CreateContainerGroupRequest().from_map(tree)
        gid = str(self.sdk.create_container_group(request).body.container_group_id)
        self.wait_for(gid, "Running")
        return gid

    def group(self, gid: str) -> dict[str, Any] | None:
        return next((g for g in self.server.emulator.groups() if g["ContainerGroupId"] == gid), None)

    def status(self, gid: str) -> str | None:
        group = self.group(gid)
        return group["Status"] if group else None

    def tags(self, gid: str) -> dict[str, str]:
        group = self.group(gid)
        assert group is not None
        return {t["Key"]: t["Value"] for t in group["Describe"].get("Tags") or ()}

    def wait_for(self, gid: str, status: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.status(gid) != status:
            assert time.monotonic() < deadline, f"{gid} is {self.status(gid)}, not {status}"
            time.sleep(0.05)

    def mark(self) -> int:
        return len(self.server.emulator.journal())

    def writes_since(self, mark: int) -> list[dict[str, Any]]:
        return self.server.emulator.journal()[mark:]

    def stack(self, name: str, program: Path | None = None) -> Stack:
        directory = self.root / name
        project = Project(self.workspace, directory, program=program) if program else Project(self.workspace, directory)
        return project.stack(name, self.server.url)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, SecretStr):
        return node.get_secret_value()
    return node


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("adopt-engine")
    with loopback(transition=0.1) as server:
        yield World(Workspace(root / "ws"), server, root)


def web(name: str, image: str = "nginx:1.25", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "tags": {"app": name},
        "containers": [{"name": "web", "image": image, "ports": [{"port": 80}]}],
        **extra,
    }


def adopting(resource: str, spec: dict[str, Any], gid: str, **more: Any) -> dict[str, Any]:
    return {"name": resource, "spec": spec, "adopt": {"adopt_id": gid}, **more}


def ids_in_state(stack: Stack) -> dict[str, str]:
    return {r["urn"].rsplit("::", 1)[-1]: r["id"] for r in stack.resources()}


def report_of(stack: Stack, path: Path) -> dict[str, Any]:
    path.write_text(stack.run("preview", "--json").stdout)
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "eci-provider"), "preview-comment", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return dict(json.loads(done.stdout))


# -- adopt with no change: the program eci-provider import wrote ---------------------------


def test_the_imported_program_adopts_with_only_the_owner_tag_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    gid = world.made_outside(web("shop"))
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
    status, source, err = run_import("--id", gid, "--endpoint", world.server.url, "--region", REGION)
    assert (status, err) == (0, ""), err
    assert f'adopt_id="{gid}"' in source or f"adopt_id='{gid}'" in source, source
    program = world.root / "imported.py"
    program.write_text(source)
    stack = world.stack("imported", program)

    # The preview shows a create that adopts, and the report an adoption step; nothing is written.
    mark = world.mark()
    report = report_of(stack, world.root / "imported-preview.json")
    preview = json.loads((world.root / "imported-preview.json").read_text())
    (step,) = [s for s in preview["steps"] if s["urn"].endswith("ContainerGroup::shop")]
    assert step["op"] == "create"
    assert step["newState"]["inputs"]["planned_change"] == f"adopt {gid}: no change (only its owner tag is set)"
    (group,) = report["groups"]
    assert group["impact"] == "adopt" and group["adopt"]["id"] == gid and group["adopt"]["action"] == "noop"
    assert report["counts"]["adopt"] == 1 and report["counts"]["create"] == 0
    assert world.writes_since(mark) == []

    stack.up()
    (write,) = world.writes_since(mark)
    assert (write["action"], write["group_id"], write["sent"]) == ("UpdateContainerGroup", gid, ["Tag"])
    assert write["restart_containers"] == [] and not write["restart_instance"]
    assert ids_in_state(stack) == {"shop": gid}
    assert world.tags(gid) == {"app": "shop", OWNER_TAG: owner_value(f"{PROJECT}/imported/shop")}

    # Adopted: the program still names adopt_id, which is now inert (and the preview says so).
    quiet = stack.preview("--expect-no-changes")
    assert "can be removed" in quiet.text
    assert world.writes_since(mark) == [write]

    # pulumi stack rename changes the identity, not the owner value the state keeps: no re-tag.
    stack.run("stack", "rename", "imported-renamed", "--stack", "imported")
    renamed = Stack(stack.project, "imported-renamed")
    renamed.up()
    assert world.writes_since(mark) == [write]
    assert world.tags(gid)[OWNER_TAG] == owner_value(f"{PROJECT}/imported/shop")
    renamed.preview("--expect-no-changes")


# -- adopt and update in place; a rename keeps the owner; gone after destroy -----------------


def test_adopt_then_update_in_place_rename_and_destroy(world: World) -> None:
    gid = world.made_outside(web("api"))
    stack = world.stack("update")
    stack.declare([adopting("api", web("api", image="nginx:1.26"), gid)])
    mark = world.mark()
    planned = stack.preview().text
    assert f"adopt {gid}, then update (IncrementalUpdate)" in planned

    stack.up()
    (write,) = world.writes_since(mark)
    assert (write["action"], write["group_id"], write["update_type"]) == (
        "UpdateContainerGroup",
        gid,
        "IncrementalUpdate",
    )
    assert ids_in_state(stack) == {"api": gid}
    owner = owner_value(f"{PROJECT}/update/api")
    assert world.tags(gid)[OWNER_TAG] == owner
    stack.preview("--expect-no-changes")

    # Renamed, with an alias: the same group, the same owner tag, nothing written.
    mark = world.mark()
    stack.declare([adopting("api-v2", web("api", image="nginx:1.26"), gid, options={"aliases": [{"name": "api"}]})])
    stack.up()
    assert ids_in_state(stack) == {"api-v2": gid}
    assert world.writes_since(mark) == []
    assert world.tags(gid)[OWNER_TAG] == owner
    stack.preview("--expect-no-changes")

    # A replacement of the adopted group is an ordinary one (adopt_id, still in the program, is
    # inert): the new group is created with the owner value the state keeps, the old one deleted.
    mark = world.mark()
    renamed = {"aliases": [{"name": "api"}]}
    stack.declare([adopting("api-v2", web("api", image="nginx:1.26", v_switch_id="vsw-b"), gid, options=renamed)])
    stack.up()
    new = ids_in_state(stack)["api-v2"]
    assert new != gid
    writes = [(w["action"], w["group_id"]) for w in world.writes_since(mark)]
    assert writes == [("CreateContainerGroup", new), ("DeleteContainerGroup", gid)]
    assert world.tags(new)[OWNER_TAG] == owner
    stack.preview("--expect-no-changes")

    # Destroyed: the group is gone, and the program that still names it says what to do.
    stack.destroy()
    assert world.status(gid) != "Running"
    mark = world.mark()
    failed = stack.up(check=False)
    assert failed.returncode != 0
    assert f"no container group {gid}" in failed.text and "Remove adopt_id to create a new group" in failed.text
    assert world.writes_since(mark) == []


# -- refusals -----------------------------------------------------------------------------


def test_adopting_that_would_replace_fails_and_leaves_the_group_alone(world: World) -> None:
    gid = world.made_outside(web("pay", v_switch_id="vsw-a"))
    stack = world.stack("replace")
    stack.declare([adopting("pay", web("pay", v_switch_id="vsw-b"), gid)])
    mark = world.mark()
    failed = stack.up(check=False)
    assert failed.returncode != 0
    assert "v_switch_id" in failed.text and f"adopting {gid} would replace it" in failed.text
    assert "adopt_replace=True" in failed.text
    assert world.writes_since(mark) == []
    assert world.status(gid) == "Running" and OWNER_TAG not in world.tags(gid)
    assert ids_in_state(stack) == {}


def test_a_group_owned_by_another_stack_is_refused(world: World) -> None:
    theirs = owner_value(f"{PROJECT}/elsewhere/db")
    gid = world.made_outside(web("db", tags={"app": "db", OWNER_TAG: theirs}))
    stack = world.stack("owned")
    stack.declare([adopting("db", web("db"), gid)])
    mark = world.mark()
    failed = stack.preview(check=False)
    assert failed.returncode != 0
    assert f"{gid} already belongs to another stack or resource" in failed.text and theirs in failed.text
    failed = stack.up(check=False)
    assert failed.returncode != 0 and "already belongs to another stack" in failed.text
    assert world.writes_since(mark) == []
    assert world.tags(gid)[OWNER_TAG] == theirs and ids_in_state(stack) == {}
