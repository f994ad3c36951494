"""A stack written by an earlier version keeps working: refresh, update and destroy.

Every resource's state holds a pickled provider (``eci_provider.provider.ContainerGroupProvider``,
by reference) and outputs in the shape that version wrote.  The engine unpickles the provider of
the *old* state for Read, Diff and Delete, so both the import path and the reading of that shape
must survive any refactoring.  tests/data/state-v1 was exported through the real engine; see its
README.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from real_engine import Project, Stack, Workspace, loopback

from eci_provider.emulator import Credential

pytestmark = pytest.mark.timeout(600)
FIXTURE = Path(__file__).resolve().parent / "data" / "state-v1"
KEY = Credential("legacy-key", "legacy-key-secret-1")


def _restore_groups(db: Path) -> list[str]:
    rows = json.loads((FIXTURE / "emulator-groups.json").read_text())
    with sqlite3.connect(db) as con:
        for row in rows:
            names = ", ".join(row)
            con.execute(f"INSERT INTO groups ({names}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    return [row["id"] for row in rows]


def _old_endpoint() -> str:
    line = next(x for x in (FIXTURE / "Pulumi.legacy.yaml").read_text().splitlines() if "eci:endpoint" in x)
    return line.split(":", 1)[1].strip().split(" ", 1)[-1]


def test_a_state_written_by_version_0_1_0_refreshes_updates_and_destroys(tmp_path: Path) -> None:
    db = tmp_path / "eci.sqlite"
    with loopback(str(db), transition=0.1, credentials=(KEY,)) as server:
        ids = _restore_groups(db)
        project = Project(Workspace(tmp_path / "ws"), tmp_path / "project", name="eci-legacy")
        shutil.copy(FIXTURE / "Pulumi.legacy.yaml", project.directory / "Pulumi.legacy.yaml")
        stack = Stack(project, "legacy")
        stack.run("stack", "init", "legacy")
        # The emulator listens on a new port.  The engine configures a refresh's provider from the
        # provider's inputs in the state, not from the stack config, so both are pointed at it.
        exported = (FIXTURE / "stack-export.json").read_text().replace(_old_endpoint(), server.url)
        (tmp_path / "export.json").write_text(exported)
        stack.run("stack", "import", "--file", str(tmp_path / "export.json"), "--stack", "legacy")
        stack.set_config({"eci:endpoint": server.url})
        program = json.loads((FIXTURE / "program.json").read_text())
        stack.declare(program)

        stack.refresh()
        assert sorted(r["id"] for r in stack.resources()) == sorted(ids)
        stack.preview("--expect-no-changes")

        program[0]["spec"]["containers"][0]["image"] = "nginx:1.26"
        stack.declare(program)
        stack.up()
        (update,) = [e for e in server.emulator.journal() if e["action"] == "UpdateContainerGroup"]
        assert update["update_type"] == "IncrementalUpdate" and update["restart_containers"] == ["web"]
        stack.preview("--expect-no-changes")

        stack.destroy()
        assert [g for g in server.emulator.groups() if g["Status"] == "Running"] == []
