"""One stack of N container groups through the real Pulumi engine, bound by scaled API rate limits.

The run is what a user does to a large stack: ``pulumi up`` (N creates), a change to every group
(``pulumi up``: N in-place updates, the app image), ``pulumi refresh``, then ``pulumi destroy``.
The emulator enforces per-minute API rate limits per access key and action, answering
``Throttling`` beyond them; the same four commands then run on a trivial provider that only
sleeps each operation's transitions (create 2 T: Scheduling, then Pending; update T; delete T).

Scaling.  At ECI's documented limits (2,000 Describe calls a minute, 1,000 creates and deletes,
500 updates and restarts) and real transitions (``--real-transition``, tens of seconds), the
limits bind only stacks of tens of thousands of groups.  The model compresses time by
k = real transition / T and scales every limit by f (``--limit-scale``); it stays faithful to
the ratio that matters (calls the limits allow per transition, per group) for a real stack of
N * k / f groups, which the run prints.  f is chosen small enough that the limits, not the
transitions nor the engine's parallelism, set the pace: the run is limit-bound.  The provider
is told the same limits (``eci:rateLimits``), as it knows the documented ones in the cloud;
``--client-limits documented`` leaves it at the documented ones, to show throttling and the
coordinated backoff instead.

Printed: wall time per command and in total against the trivial provider, and against the
least time the enforced limits allow for the calls the command made; API calls per action
and the peak calls in any minute against each limit; Throttling answers from the emulator and
how many reached the user; the state file's size and the bytes written to the backend during
the run (every checkpoint the engine wrote, counted with inotify); the provider process's peak
RSS.

Fronts.  ``--front dynamic``: the Pulumi dynamic provider.  ``--front native``: the native
provider plugin (``pulumi-resource-eci``), from ``--plugin-dir`` (default: the virtualenv's
``bin``); :func:`native_front` is where it is installed and selected.  The trivial baseline is a
dynamic resource either way.

Run: ``ECI_PULUMI_BIN=... .venv/bin/python benchmarks/bench_scale.py [--groups 100|300|1000]
[--front dynamic|native [--plugin-dir DIR]] [--transition 0.5] [--limit-scale 0.1]``
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import itertools
import json
import os
import select
import shutil
import struct
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from bench_engine import SECRET_PATHS, spec
from real_engine import (
    ACCESS_KEY_ID,
    ACCESS_KEY_SECRET,
    PLUGIN_DIR,
    Project,
    Stack,
    Workspace,
    _descendants,
    pulumi_bin,
)

from eci_provider.cloud.ratelimit import DOCUMENTED_LIMITS, RateLimiter
from eci_provider.emulator import Credential, Emulator, EmulatorConfig, RunningServer, serve

PROGRAM = Path(__file__).resolve().parent / "scale_program.py"
COMMANDS = ("up", "change", "refresh", "destroy")


# -- fronts: how the engine reaches the provider ----------------------------------------------


@dataclass(frozen=True)
class Front:
    """The program the engine runs and what its environment needs to find the provider."""

    name: str  # the program's front door: "dynamic" or "native"
    program: Path
    #: The directory holding the native plugin's executable (the project's ``plugins.providers``).
    plugin_dir: Path | None = None
    #: How the provider process shows in ``/proc/PID/cmdline`` (for its RSS).
    provider_marker: str = "pulumi.dynamic"

    def project(self, workspace: Workspace, directory: Path, name: str) -> Project:
        """A project whose program declares its groups through this front."""
        project = Project(workspace, directory, name=name, program=self.program, front_door=self.name)
        if self.plugin_dir is not None and self.plugin_dir != PLUGIN_DIR:
            manifest = directory / "Pulumi.yaml"
            manifest.write_text(manifest.read_text().replace(f"path: {PLUGIN_DIR}", f"path: {self.plugin_dir}"))
        return project


def dynamic_front() -> Front:
    """The Pulumi dynamic provider: the program's ``ContainerGroup`` resources, served by the
    Python SDK's dynamic-provider host (at most 4 calls at once)."""
    return Front("dynamic", PROGRAM)


def native_front(plugin_dir: Path) -> Front:
    """The native provider plugin whose executable, ``pulumi-resource-eci``, is in
    ``plugin_dir``: the project names that directory in ``plugins.providers``, so the engine
    starts that executable (no ``pulumi plugin install``), and the program declares the plugin's
    resource type with the same inputs."""
    binary = plugin_dir / "pulumi-resource-eci"
    if not plugin_dir.is_dir():
        raise SystemExit(f"--plugin-dir: {plugin_dir} is not a directory")
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        raise SystemExit(
            f"--plugin-dir: {plugin_dir} holds no executable pulumi-resource-eci (bash scripts/setup.sh installs it)"
        )
    return Front("native", PROGRAM, plugin_dir=plugin_dir.resolve(), provider_marker="pulumi-resource-eci")


# -- measuring ----------------------------------------------------------------------------------


class BackendWrites:
    """Bytes the engine writes to the stack's checkpoint directory, counted per write.

    The file backend rewrites the whole checkpoint after steps; the final file says nothing of
    how often.  Each save writes a temporary file and renames it over ``STACK.json.bak`` (the
    previous checkpoint), then the same for ``STACK.json``, and writes a small ``.attrs`` file
    beside each.  An inotify watch on the directory sees each rename and each file closed after
    writing, and adds that file's size, read at once (a later save may already have replaced it;
    one stack's sizes hardly change between saves).  A temporary file is counted by its rename.
    """

    _IN_CLOSE_WRITE, _IN_MOVED_TO = 0x00000008, 0x00000080

    def __init__(self, checkpoint: Path) -> None:
        self.directory, self.checkpoint = checkpoint.parent, checkpoint.name
        #: Bytes of every file written, and how many times the checkpoint itself was saved.
        self.bytes = 0
        self.writes = 0
        self._stop = threading.Event()
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if (
            self._fd < 0
            or libc.inotify_add_watch(self._fd, bytes(self.directory), self._IN_CLOSE_WRITE | self._IN_MOVED_TO) < 0
        ):
            raise OSError(ctypes.get_errno(), f"inotify on {self.directory}")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._fd], [], [], 0.1)
            if ready:
                self._read()
        self._read()

    def _read(self) -> None:
        try:
            data = os.read(self._fd, 1 << 16)
        except BlockingIOError:
            return
        offset = 0
        while offset < len(data):
            _wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16 : offset + 16 + length].rstrip(b"\0").decode()
            offset += 16 + length
            if name.endswith(".tmp") and not mask & self._IN_MOVED_TO:
                continue  # its rename counts it
            with contextlib.suppress(FileNotFoundError):
                self.bytes += (self.directory / name).stat().st_size
                if mask & self._IN_MOVED_TO and name == self.checkpoint:
                    self.writes += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        os.close(self._fd)


class PeakRss:
    """The highest resident size of the provider processes below a command (``VmHWM``)."""

    def __init__(self, root_pid: int, marker: str) -> None:
        self.root_pid, self.marker = root_pid, marker
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            for pid in _descendants(self.root_pid):
                with contextlib.suppress(OSError):
                    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                    if self.marker not in cmdline:
                        continue
                    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            self.peak_kib = max(self.peak_kib, int(line.split()[1]))

    def close(self) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Command:
    name: str
    seconds: float
    returncode: int
    output: str
    calls: Counter[str] = field(default_factory=Counter)
    #: Throttling answers the emulator gave during the command.
    throttled: int = 0
    rss_kib: int = 0


def run_command(stack: Stack, front: Front, name: str, args: Sequence[str], timeout: float) -> Command:
    """Run one ``pulumi`` command, watching its provider's RSS."""
    started = time.monotonic()
    process = stack.start(*args)
    rss = PeakRss(process.pid, front.provider_marker)
    try:
        output, _ = process.communicate(timeout=timeout)
    except BaseException:
        process.kill()
        process.communicate()
        raise
    finally:
        rss.close()
    return Command(name, time.monotonic() - started, process.returncode, output, rss_kib=rss.peak_kib)


# -- the run ---------------------------------------------------------------------------------------


def entries(
    n: int, *, version: int, kind: str = "group", sleeps: dict[str, float] | None = None
) -> list[dict[str, Any]]:
    """N groups; ``version`` 2 changes every group's app image (an in-place update)."""
    out = []
    for i in range(n):
        s = spec(i)
        s["containers"][1]["image"] = f"registry.example.com/shop/app:1.{3 + version}"
        entry: dict[str, Any] = {"name": f"shop-{i}", "spec": s, "secret_paths": SECRET_PATHS, "kind": kind}
        if sleeps is not None:
            entry["sleeps"] = sleeps
        out.append(entry)
    return out


@dataclass
class Lifecycle:
    commands: list[Command]
    state_bytes: int
    backend_bytes: int
    checkpoint_writes: int

    @property
    def seconds(self) -> float:
        return sum(c.seconds for c in self.commands)

    @property
    def failed(self) -> Command | None:
        return next((c for c in self.commands if c.returncode != 0), None)


def lifecycle(
    workspace: Workspace,
    directory: Path,
    front: Front,
    server: RunningServer,
    n: int,
    *,
    kind: str,
    sleeps: dict[str, float] | None,
    config: dict[str, str],
    timeout: float,
    env: dict[str, str] | None = None,
) -> Lifecycle:
    """up, a change to every group, refresh, destroy; stops at the first failed command."""
    project = front.project(workspace, directory, f"scale-{kind}")
    stack = project.stack(kind, server.url, **config)
    stack.extra_env.update(env or {})
    stack_files = list((workspace.root / "backend").rglob(f"{kind}.json"))
    if len(stack_files) != 1:
        raise RuntimeError(f"expected one checkpoint file for stack {kind}, found {stack_files}")
    checkpoint = stack_files[0]
    backend = workspace.root / "backend"
    others_before = _tree_bytes(backend) - checkpoint.stat().st_size
    writes = BackendWrites(checkpoint)
    commands: list[Command] = []
    state_bytes = 0
    try:
        steps: list[tuple[str, int, tuple[str, ...]]] = [
            ("up", 1, ("up", "--yes", "--skip-preview")),
            ("change", 2, ("up", "--yes", "--skip-preview")),
            ("refresh", 2, ("refresh", "--yes", "--skip-preview")),
            ("destroy", 2, ("destroy", "--yes", "--skip-preview")),
        ]
        for name, version, args in steps:
            stack.declare(entries(n, version=version, kind=kind, sleeps=sleeps))
            before = server.emulator.stats()
            command = run_command(stack, front, name, args, timeout)
            after = server.emulator.stats()
            command.calls = Counter(after["requests"]) - Counter(before["requests"])
            command.throttled = _throttled(after) - _throttled(before)
            commands.append(command)
            if name == "refresh":
                state_bytes = checkpoint.stat().st_size  # every group in it, refreshed
            if command.returncode != 0:
                break
    finally:
        writes.close()
    others = _tree_bytes(backend) - checkpoint.stat().st_size - others_before
    return Lifecycle(commands, state_bytes, writes.bytes + max(0, others), writes.writes)


def limit_floor(calls: Counter[str], limits: dict[str, int]) -> float:
    """The shortest time the limits allow for a command's calls, starting from a fresh minute:
    per action, the calls past the burst at the steady rate, and no more than the limit in any
    60 seconds (the longest of the actions).  A command that starts while the one before it
    still fills the minute needs more."""
    burst_fraction = RateLimiter(limits).burst_fraction
    floor = 0.0
    for action, count in calls.items():
        limit = limits.get(action)
        if limit is None or count == 0:
            continue
        burst = max(1, int(limit * burst_fraction))
        floor = max(floor, max(0, count - burst) * 60.0 / limit, (count - 1) // limit * 60.0)
    return floor


def _throttled(stats: dict[str, Any]) -> int:
    return sum(stats["rate_limits"]["throttled"].values())


def _tree_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def scaled_limits(scale: float) -> dict[str, int]:
    return {action: max(1, round(limit * scale)) for action, limit in DOCUMENTED_LIMITS.items()}


@contextlib.contextmanager
def emulator(transition: float, limits: dict[str, int] | None) -> Iterator[RunningServer]:
    config = EmulatorConfig(
        credentials=(Credential(ACCESS_KEY_ID, ACCESS_KEY_SECRET),),
        transition_seconds=transition,
        rate_limits=limits,
    )
    server = serve(Emulator(config))
    try:
        yield server
    finally:
        server.shutdown()
        server.emulator.close()


def _kib(n: float) -> str:
    return f"{n / 1024:,.0f} KiB"


def _seconds(command: Command | None) -> str:
    return f"{command.seconds:.1f}s" if command is not None else "failed"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=100, help="groups in the stack (issue: 100, 300, 1000)")
    parser.add_argument("--front", choices=("dynamic", "native"), default="dynamic")
    parser.add_argument(
        "--plugin-dir",
        type=Path,
        help=f"with --front native: the directory of pulumi-resource-eci (default: {PLUGIN_DIR})",
    )
    parser.add_argument("--transition", type=float, default=0.5, help="emulator seconds per status transition")
    parser.add_argument(
        "--real-transition", type=float, default=30.0, help="the seconds one transition stands for (the time scale)"
    )
    parser.add_argument("--limit-scale", type=float, default=0.1, help="enforced limits = documented x this")
    parser.add_argument(
        "--client-limits",
        choices=("same", "documented"),
        default="same",
        help="the provider's eci:rateLimits: the enforced ones (default), or the documented ones",
    )
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per pulumi command")
    parser.add_argument(
        "--skip-checkpoints",
        action="store_true",
        help="both sides run with PULUMI_SKIP_CHECKPOINTS=true: the engine saves the state once, at the end",
    )
    args = parser.parse_args(argv)
    if args.groups < 1:
        parser.error("--groups: must be at least 1")
    if args.transition <= 0 or args.real_transition <= 0:
        parser.error("--transition and --real-transition: must be above 0 seconds")
    if not 0 < args.limit_scale <= 1:
        parser.error("--limit-scale: must be above 0 and at most 1")
    if args.front == "native":
        front = native_front(args.plugin_dir or PLUGIN_DIR)
    else:
        if args.plugin_dir is not None:
            parser.error("--plugin-dir: only with --front native")
        front = dynamic_front()

    n, t = args.groups, args.transition
    limits = scaled_limits(args.limit_scale)
    time_scale, f = args.real_transition / t, args.limit_scale
    sleeps = {"create": 2 * t, "update": t, "delete": t}
    client_limits = limits if args.client_limits == "same" else dict(DOCUMENTED_LIMITS)
    config = {
        "eci:rateLimits": ",".join(f"{a}={v}" for a, v in client_limits.items()),
        "eci:timeoutSeconds": "1200",
        "eci:retryMaxAttempts": "10",
    }
    engine_env = {"PULUMI_SKIP_CHECKPOINTS": "true"} if args.skip_checkpoints else {}
    print(
        f"Pulumi CLI: {pulumi_bin()}; front: {front.name}"
        + ("; PULUMI_SKIP_CHECKPOINTS=true" if args.skip_checkpoints else "")
    )
    print(
        f"{n} groups; transitions {t:g} s standing for {args.real_transition:g} s (time scale k = {time_scale:g}); "
        f"limits = documented x {args.limit_scale:g} (f), enforced per minute: "
        + ", ".join(f"{a} {v}" for a, v in limits.items())
    )
    print(
        f"  calls allowed per transition per group as in a real stack of N*k/f = {n * time_scale / f:,.0f}"
        f" groups at the documented limits; provider eci:rateLimits: {args.client_limits}"
    )

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        root = Path(tmp)
        workspace = Workspace(root / "ws")
        with emulator(t, limits) as server:
            ours = lifecycle(
                workspace,
                root / "ours",
                front,
                server,
                n,
                kind="group",
                sleeps=None,
                config=config,
                timeout=args.timeout,
                env=engine_env,
            )
            emulated = server.emulator.stats()
        with emulator(t, None) as server:
            base = lifecycle(
                workspace,
                root / "trivial",
                dynamic_front(),
                server,
                n,
                kind="trivial",
                sleeps=sleeps,
                config=config,
                timeout=args.timeout,
                env=engine_env,
            )
        shutil.rmtree(root, ignore_errors=True)

    print(f"\nwall time (the trivial provider sleeps create {2 * t:g} s, update {t:g} s, delete {t:g} s)")
    print(
        f"  {'command':9s} {'ours':>9s} {'trivial':>9s} {'ratio':>7s} {'limit floor':>11s} {'ratio':>7s}"
        f" {'throttled':>9s}   API calls (ours)"
    )
    for mine, theirs in itertools.zip_longest(ours.commands, base.commands[: len(ours.commands)]):
        calls = json.dumps(dict(sorted(mine.calls.items())))
        ratio = _ratio(mine.seconds, theirs.seconds) if theirs is not None else "n/a"
        floor = limit_floor(mine.calls, limits)
        print(
            f"  {mine.name:9s} {mine.seconds:8.1f}s {_seconds(theirs):>9s} {ratio:>7s} {floor:10.1f}s"
            f" {_ratio(mine.seconds, floor):>7s} {mine.throttled:9d}   {calls}"
        )
    floors = sum(limit_floor(c.calls, limits) for c in ours.commands)
    trivial = f"{base.seconds:8.1f}s {_ratio(ours.seconds, base.seconds):>7s}"
    if base.failed:
        trivial = f"{'failed':>9s} {'n/a':>7s}"
    print(f"  {'total':9s} {ours.seconds:8.1f}s {trivial} {floors:10.1f}s {_ratio(ours.seconds, floors):>7s}")
    print("  (limit floor: the least time the enforced limits allow for the command's calls from a fresh minute)")

    rate = emulated["rate_limits"]
    requests = emulated["requests"]
    print("\nAPI calls per action over the run, peak calls in any 60 s against the enforced limit")
    print(f"  {'action':26s} {'calls':>6s} {'peak/min':>9s} {'limit':>6s} {'throttled':>10s}")
    for action in sorted(set(requests) | set(limits)):
        limit = limits.get(action)
        print(
            f"  {action:26s} {requests.get(action, 0):6d} {rate['peak_per_minute'].get(action, 0):9d}"
            f" {limit if limit is not None else '-':>6} {rate['throttled'].get(action, 0):10d}"
        )
    throttled = sum(rate["throttled"].values())
    reached = sum(c.output.count("Throttling") for c in ours.commands)
    print(f"  Throttling answers from the emulator: {throttled}; mentions of Throttling in pulumi's output: {reached}")
    for side, run in (("ours", ours), ("trivial", base)):
        failed = run.failed
        if failed is not None:
            tail = "\n    ".join(failed.output.strip().splitlines()[-15:])
            print(f"  {side}: pulumi {failed.name} FAILED (exit {failed.returncode}):\n    {tail}")

    print("\nstate and backend")
    print(f"  state file after refresh: ours {_kib(ours.state_bytes)}, trivial {_kib(base.state_bytes)}")
    inputs = sum(len(json.dumps(e["spec"], separators=(",", ":"))) for e in entries(args.groups, version=2))
    print(
        f"  per group: the program's inputs {inputs / args.groups:,.0f} B (compact JSON); state ours "
        f"{ours.state_bytes / args.groups:,.0f} B ({_ratio(ours.state_bytes, inputs)} the inputs), trivial "
        f"{base.state_bytes / args.groups:,.0f} B ({_ratio(base.state_bytes, inputs)})"
    )
    print(
        f"  bytes written to the backend during the run: ours {_kib(ours.backend_bytes)} in {ours.checkpoint_writes} "
        f"checkpoint saves, trivial {_kib(base.backend_bytes)} in {base.checkpoint_writes} (a save writes the "
        f"previous checkpoint as .bak, then the new one)"
    )
    ours_rss = max(c.rss_kib for c in ours.commands)
    base_rss = max(c.rss_kib for c in base.commands)
    print(f"  provider peak RSS: ours {ours_rss / 1024:.0f} MiB, trivial {base_rss / 1024:.0f} MiB")
    return 0 if ours.failed is None and base.failed is None else 1


if __name__ == "__main__":
    sys.exit(main())
