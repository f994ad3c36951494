"""Drive the real Pulumi CLI, as a user would, against a local ECI emulator.

* :func:`pulumi_bin` builds or locates the CLI through ``scripts/install-pulumi.sh`` (the same
  script the README and the main job use) and fails with that script's own message when no CLI
  can be had: these tests never skip.
* :class:`Workspace` is one file backend and one ``PULUMI_HOME`` under a temporary directory,
  with every switch that keeps the engine off the network.
* :class:`Project` is a Pulumi project whose program declares the container groups listed in a
  JSON file (``tests/programs/groups``); :class:`Stack` runs ``pulumi`` commands on one stack.

The emulator runs in the test process, served over loopback HTTP (:func:`loopback`), so the
provider process the engine starts reaches it with real signatures and retries, and the test
reads the emulator's own journal of calls to check each decision.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eci_provider.emulator import Credential, Emulator, EmulatorConfig, Faults, RunningServer, serve

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "tests" / "programs" / "groups" / "__main__.py"
VENV = ROOT / ".venv"
TYPE = "pulumi-python:dynamic/eci:ContainerGroup"
#: The native plugin's resource type, and the directory holding its executable
#: (``pulumi-resource-eci``, the package's console script).
NATIVE_TYPE = "eci:index:ContainerGroup"
PLUGIN_DIR = VENV / "bin"
#: The front doors a program can declare its groups through.
FRONT_DOORS = ("dynamic", "native")
#: A key pair unique to this test session, so that a search for the secret cannot hit anything else.
ACCESS_KEY_ID = "e2e-key"
ACCESS_KEY_SECRET = "e2e-SECRET-" + secrets.token_hex(8)
REGION = "cn-hangzhou"


@functools.cache
def pulumi_bin() -> Path:
    """The directory holding ``pulumi`` and the Python language host (built or found once)."""
    given = os.environ.get("ECI_PULUMI_BIN")
    if given:
        return Path(given)
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-pulumi.sh")], capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"scripts/install-pulumi.sh could not provide a Pulumi CLI: {last}")
    return Path(lines[-1])


@dataclass
class Run:
    """A finished ``pulumi`` command."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def json(self) -> Any:
        return json.loads(self.stdout)


class CommandFailed(AssertionError):
    def __init__(self, run: Run) -> None:
        tail = "\n".join(run.text.strip().splitlines()[-40:])
        super().__init__(f"pulumi {' '.join(run.args)} exited {run.returncode}:\n{tail}")
        self.run = run


#: The provider reaches the emulator on 127.0.0.1; a proxy from the environment must not intercept it.
_PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy"}


@dataclass
class Workspace:
    """A file backend and a Pulumi home of their own, with the engine kept off the network."""

    root: Path

    def __post_init__(self) -> None:
        (self.root / "backend").mkdir(parents=True, exist_ok=True)
        (self.root / "home").mkdir(parents=True, exist_ok=True)

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PULUMI_", "ALIBABA_CLOUD_", "ECI_")) and k.lower() not in _PROXY_VARIABLES
        }
        env.update(
            PATH=f"{pulumi_bin()}{os.pathsep}{env.get('PATH', '')}",
            PULUMI_HOME=str(self.root / "home"),
            PULUMI_BACKEND_URL=f"file://{self.root / 'backend'}",
            PULUMI_CONFIG_PASSPHRASE="e2e-passphrase",
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PIP_DISABLE_PIP_VERSION_CHECK="1",
            PYTHONUNBUFFERED="1",
            # `--event-log` (the engine's own record of step order) is behind this switch.
            PULUMI_DEBUG_COMMANDS="true",
        )
        return env


@dataclass
class Project:
    """A Pulumi project in ``directory`` whose program is :data:`PROGRAM`.

    ``front_door``: ``"dynamic"`` declares the groups with the dynamic provider, ``"native"``
    with the native plugin, which the project finds through ``plugins.providers`` (or, with
    ``plugin_from_cache``, in the plugin cache: ``pulumi plugin install``).
    """

    workspace: Workspace
    directory: Path
    name: str = "eci-e2e"
    program: Path = PROGRAM
    front_door: str = "dynamic"
    plugin_from_cache: bool = False

    def __post_init__(self) -> None:
        assert self.front_door in FRONT_DOORS, self.front_door
        self.directory.mkdir(parents=True, exist_ok=True)
        text = f"name: {self.name}\nruntime:\n  name: python\n  options:\n    toolchain: pip\n    virtualenv: {VENV}\n"
        if self.front_door == "native" and not self.plugin_from_cache:
            text += f"plugins:\n  providers:\n    - name: eci\n      path: {PLUGIN_DIR}\n"
        (self.directory / "Pulumi.yaml").write_text(text)
        (self.directory / "__main__.py").write_text(self.program.read_text())

    @property
    def resource_type(self) -> str:
        return NATIVE_TYPE if self.front_door == "native" else TYPE

    def stack(self, name: str, endpoint: str, *, credentials: bool = True, **config: str) -> Stack:
        """A new stack; ``credentials=False`` leaves the key pair unset, as the ``local`` stack
        does (an ``embedded:`` endpoint then uses the emulator's own test key)."""
        stack = Stack(self, name)
        stack.run("stack", "init", name)
        plain = {
            "eci:region": REGION,
            "eci:endpoint": endpoint,
            "eci:retryMaxAttempts": "6",
            "eci:timeoutSeconds": "120",
        }
        if credentials:
            plain["eci:accessKeyId"] = ACCESS_KEY_ID
        stack.set_config({**plain, **config})
        if credentials:
            stack.run("config", "set", "--secret", "eci:accessKeySecret", ACCESS_KEY_SECRET)
        return stack


@dataclass
class Stack:
    project: Project
    name: str
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def groups_file(self) -> Path:
        return self.project.directory / f"groups.{self.name}.json"

    def env(self) -> dict[str, str]:
        door = {"ECI_TEST_FRONT_DOOR": self.project.front_door}
        return {**self.project.workspace.env(), "ECI_TEST_GROUPS": str(self.groups_file), **door, **self.extra_env}

    def set_config(self, values: Mapping[str, str]) -> None:
        """Write plain config in one call (``pulumi config set-all``)."""
        pairs = [x for k, v in values.items() for x in ("--plaintext", f"{k}={v}")]
        self.run("config", "set-all", *pairs)

    def declare(self, groups: Sequence[Mapping[str, Any]]) -> None:
        self.groups_file.write_text(json.dumps(list(groups), indent=1))

    def run(self, *args: str, check: bool = True, timeout: float = 600.0) -> Run:
        started = time.monotonic()
        done = subprocess.run(
            ["pulumi", *args, "--stack", self.name, "--non-interactive"]
            if args[0] not in ("stack",)
            else ["pulumi", *args, "--non-interactive"],
            cwd=self.project.directory,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        run = Run(tuple(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)
        if check and run.returncode != 0:
            raise CommandFailed(run)
        return run

    def start(self, *args: str) -> subprocess.Popen[str]:
        """Start a command in its own process group (so that a test can kill the whole tree)."""
        return subprocess.Popen(
            ["pulumi", *args, "--stack", self.name, "--non-interactive"],
            cwd=self.project.directory,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    # -- the commands a user runs --------------------------------------------------------
    def up(self, *extra: str, check: bool = True) -> Run:
        return self.run("up", "--yes", "--skip-preview", *extra, check=check)

    def preview(self, *extra: str, check: bool = True) -> Run:
        return self.run("preview", *extra, check=check)

    def preview_json(self, *extra: str) -> dict[str, Any]:
        run = self.run("preview", "--json", *extra)
        return json.loads(run.stdout)

    def refresh(self, *extra: str, check: bool = True) -> Run:
        return self.run("refresh", "--yes", "--skip-preview", *extra, check=check)

    def destroy(self, *extra: str, check: bool = True) -> Run:
        return self.run("destroy", "--yes", "--skip-preview", *extra, check=check)

    def export(self) -> dict[str, Any]:
        return self.run("stack", "export", "--stack", self.name).json()

    def outputs(self) -> dict[str, Any]:
        return self.run("stack", "output", "--json", "--stack", self.name).json()

    def resources(self) -> list[dict[str, Any]]:
        """The container groups in the stack's state (``pulumi stack export``)."""
        deployment = self.export()["deployment"]
        return [r for r in deployment.get("resources", []) if r["type"] == self.project.resource_type]


def kill_tree(process: subprocess.Popen[str]) -> None:
    """SIGKILL a :meth:`Stack.start` command and every process below it: the CLI, the language
    host and the provider all die at once, as in a crash of the machine running them.  (The
    engine starts its plugins in process groups of their own, so killing the CLI's group alone
    would leave them running.)"""
    doomed = [process.pid, *_descendants(process.pid)]
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def read_events(path: Path) -> list[dict[str, Any]]:
    """The engine's event log (``--event-log``): one JSON object per line."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def step_ops(
    events: Sequence[Mapping[str, Any]], kind: str = "resOutputsEvent", resource_type: str = TYPE
) -> list[tuple[str, str]]:
    """``(op, resource name)`` of each step, in the order the engine finished (or started) them."""
    out = []
    for e in events:
        meta = (e.get(kind) or {}).get("metadata")
        if meta and meta.get("type") == resource_type:
            out.append((meta["op"], meta["urn"].rsplit("::", 1)[-1]))
    return out


@contextlib.contextmanager
def loopback(
    db_path: str = ":memory:",
    *,
    transition: float = 0.0,
    faults: Faults | None = None,
    credentials: tuple[Credential, ...] | None = None,
) -> Iterator[RunningServer]:
    """An emulator in this process, served on 127.0.0.1 with the session's key pair."""
    config = EmulatorConfig(
        db_path=db_path,
        credentials=credentials or (Credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET),),
        transition_seconds=transition,
        faults=faults or Faults(),
    )
    server = serve(Emulator(config))
    try:
        yield server
    finally:
        server.shutdown()
        server.emulator.close()
