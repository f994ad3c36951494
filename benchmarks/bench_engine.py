"""The provider under the real Pulumi engine, against the same engine with a trivial provider.

Each figure is measured side by side in one run, on the same machine, with the same CLI:

1. ``pulumi preview`` of an up-to-date stack of N groups (default 200): our provider against
   the same program where every resource is a trivial dynamic provider with the same inputs
   (its check is the SDK default, its diff a dict comparison).  Both programs mark the config
   file's content secret, as a user's program does (ours would mark it by type anyway).  Goal:
   at most 1.2×.  (The engine serialises the whole snapshot after every step whose resource
   state changed, also in a preview that persists nothing: a check that returns other inputs
   than those stored makes a preview quadratic in the stack's size.)
2. ``pulumi up`` creating M groups (default 50) with emulator transitions of T seconds (default
   1 s; a create takes 2 T: Scheduling, then Pending), against the same program whose provider
   sleeps those 2 T in each create.  Same engine, same ``--parallel``: the Python SDK's
   dynamic-provider server runs at most 4 calls at once, so both are bound by that.  Goal: at
   most 1.3×.
3. The state file size per group against the size of its inputs.
4. The two front doors side by side: the dynamic provider and the native plugin
   (``pulumi-resource-eci``), the same groups, the same emulator.

   a. ``pulumi up`` creating K groups (default 100) with transitions of D seconds (default 5),
      with ``--parallel K``, each against the inherent time: one create's 2 D, since nothing
      forces the creates to wait for each other.  The dynamic provider's server runs 4 calls at
      once (about K/4 times the inherent time); goal for the native plugin: at most 1.3x.
   b. ``pulumi preview`` of an up-to-date stack of N groups (``--preview-groups``): native
      against dynamic.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--preview-groups 200] [--up-groups 50]
[--door-groups 100] [--door-transition 5]``; ``--doors-only`` runs 4 alone, ``--native-only``
only its native side (it builds or locates the CLI with scripts/install-pulumi.sh first).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from real_engine import Project, Stack, Workspace, loopback, pulumi_bin

NGINX_CONF = base64.b64encode(b"server { listen 80; location / { proxy_pass http://127.0.0.1:8080; } }").decode()


def spec(i: int) -> dict[str, Any]:
    """A realistic group: the web shop of stacks/ (init container, config file, probes, sidecar)."""
    return {
        "name": f"shop-{i}",
        "cpu": 1,
        "memory": 2,
        "restart_policy": "Always",
        "tags": {"app": "shop", "env": "bench", "replica": str(i)},
        "volumes": [
            {
                "name": "nginx-conf",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "default.conf", "content": NGINX_CONF}]},
            },
            {"name": "logs", "type": "EmptyDirVolume"},
        ],
        "init_containers": [{"name": "migrate", "image": "registry.example.com/shop/migrate:1.4", "commands": ["/m"]}],
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.27",
                "cpu": 0.25,
                "memory": 0.5,
                "ports": [{"port": 80}],
                "volume_mounts": [{"name": "nginx-conf", "mount_path": "/etc/nginx/conf.d", "read_only": True}],
                "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}, "period_seconds": 5},
                "liveness_probe": {"tcp_socket": {"port": 80}, "initial_delay_seconds": 5},
            },
            {
                "name": "app",
                "image": "registry.example.com/shop/app:1.4",
                "cpu": 0.5,
                "memory": 1,
                "ports": [{"port": 8080}],
                "environment_vars": [{"key": "SHOP_ENV", "value": "bench"}, {"key": "LOG_DIR", "value": "/var/log"}],
                "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop"}],
            },
            {
                "name": "logs",
                "image": "fluent/fluent-bit:3.1",
                "cpu": 0.25,
                "memory": 0.5,
                "volume_mounts": [{"name": "logs", "mount_path": "/var/log/shop", "read_only": True}],
            },
        ],
    }


#: The config file's content, marked secret by the program (``pulumi.Output.secret``).
SECRET_PATHS = [["volumes", 0, "config_file_volume", "config_file_to_paths", 0, "content"]]


def groups(n: int, kind: str = "group", sleep: float = 0.0) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        entry: dict[str, Any] = {"name": f"shop-{i}", "spec": spec(i), "secret_paths": SECRET_PATHS}
        if kind != "group":
            entry.update(kind=kind, sleep=sleep)
        out.append(entry)
    return out


def timed_previews(stack: Stack, repeat: int) -> float:
    return statistics.median(stack.preview("--expect-no-changes").seconds for _ in range(repeat))


def size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")))


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preview-groups", type=int, default=200)
    parser.add_argument("--up-groups", type=int, default=50)
    parser.add_argument("--transition", type=float, default=1.0, help="emulator transition seconds (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="previews timed per side (median)")
    parser.add_argument("--door-groups", type=int, default=100, help="groups created in 4a (default 100)")
    parser.add_argument("--door-transition", type=float, default=5.0, help="transition seconds in 4a (default 5)")
    parser.add_argument("--doors-only", action="store_true", help="only 4: dynamic and native side by side")
    parser.add_argument("--native-only", action="store_true", help="only the native plugin's side of 4")
    args = parser.parse_args(argv)
    print(f"Pulumi CLI: {pulumi_bin()}")
    if args.doors_only or args.native_only:
        doors = ("native",) if args.native_only else ("dynamic", "native")
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
            front_doors(Path(tmp), args, doors)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        root = Path(tmp)
        workspace = Workspace(root / "ws")

        # 1. preview of an up-to-date stack
        with loopback() as server:
            ours = Project(workspace, root / "preview-ours").stack("ours", server.url)
            ours.declare(groups(args.preview_groups))
            setup = ours.up()
            base = Project(workspace, root / "preview-trivial").stack("trivial", server.url)
            base.declare(groups(args.preview_groups, "trivial"))
            base.up()
            t_ours = timed_previews(ours, args.repeat)
            t_base = timed_previews(base, args.repeat)
            state = ours.export()
            base_state = base.export()
            inputs = [json.dumps(e["spec"], separators=(",", ":")) for e in groups(args.preview_groups)]
        print(f"\n1. pulumi preview, {args.preview_groups} up-to-date groups (median of {args.repeat})")
        print(f"   ours    {t_ours:7.2f} s   (setup: up in {setup.seconds:.1f} s)")
        print(f"   trivial {t_base:7.2f} s")
        print(f"   ratio   {ratio(t_ours, t_base)}   (goal <= 1.2x)")

        # 3. state size (from the stack of 1.)
        resources = [r for r in state["deployment"]["resources"] if r["type"].endswith("eci:ContainerGroup")]
        trivial = [r for r in base_state["deployment"]["resources"] if r["type"].endswith("bench:Trivial")]
        per_group = statistics.mean(size(r) for r in resources)
        per_trivial = statistics.mean(size(r) for r in trivial)
        per_input = statistics.mean(len(text) for text in inputs)
        stored_in = statistics.mean(size(r["inputs"]) for r in resources)
        stored_out = statistics.mean(size(r.get("outputs", {})) for r in resources)
        print("\n3. state per group")
        print(f"   spec    {per_input:9.0f} bytes (the inputs as JSON)")
        print(f"   ours    {per_group:9.0f} bytes (`pulumi stack export`), {ratio(per_group, per_input)}")
        print(f"           {stored_in:9.0f} inputs (the spec, secrets as ciphertext, plus what check adds)")
        print(f"           {stored_out:9.0f} outputs (status, the state contract), {ratio(stored_out, per_input)}")
        print(f"           {per_group - stored_in - stored_out:9.0f} the engine's own record (URN, stack trace, ...)")
        print(f"   trivial {per_trivial:9.0f} bytes (inputs echoed as outputs), {ratio(per_trivial, per_input)}")

        # 2. up with real transitions
        create_seconds = 2 * args.transition
        with loopback(transition=args.transition) as server:
            ours = Project(workspace, root / "up-ours").stack("up-ours", server.url)
            ours.declare(groups(args.up_groups))
            up_ours = ours.up()
            base = Project(workspace, root / "up-trivial").stack("up-trivial", server.url)
            base.declare(groups(args.up_groups, "trivial", create_seconds))
            up_base = base.up()
            calls = server.emulator.stats()["requests"]
        inherent = args.up_groups * create_seconds / 4
        each = f"{args.transition:g} s transitions ({create_seconds:g} s per create)"
        print(f"\n2. pulumi up, {args.up_groups} creates, {each}")
        print(f"   ours    {up_ours.seconds:7.2f} s   API calls: {json.dumps(dict(sorted(calls.items())))}")
        print(f"   trivial {up_base.seconds:7.2f} s   (sleeps {create_seconds:g} s per create)")
        print(f"   ratio   {ratio(up_ours.seconds, up_base.seconds)}   (goal <= 1.3x)")
        print(f"   inherent at 4 at a time: {inherent:.1f} s; ours {ratio(up_ours.seconds, inherent)} of it")

        front_doors(root, args, ("dynamic", "native"))
    return 0


def front_doors(root: Path, args: argparse.Namespace, doors: tuple[str, ...]) -> None:
    """4: the same up and preview through each front door in ``doors``."""
    workspace = Workspace(root / "ws-doors")
    n, t = args.door_groups, args.door_transition
    inherent = 2 * t  # every create at once: one create's Scheduling and Pending
    ups: dict[str, float] = {}
    with loopback(transition=t) as server:
        for door in doors:
            stack = Project(workspace, root / f"up-{door}", front_door=door).stack(f"up-{door}", server.url)
            stack.declare(groups(n))
            ups[door] = stack.up("--parallel", str(n)).seconds
            stack.destroy("--parallel", str(n))
    print(f"\n4a. pulumi up --parallel {n}, {n} creates, {t:g} s transitions (inherent: {inherent:g} s, all at once)")
    for door, seconds in ups.items():
        goal = "   (goal <= 1.3x)" if door == "native" else ""
        print(f"   {door:8}{seconds:7.2f} s   {ratio(seconds, inherent)} the inherent time{goal}")
    if len(ups) == 2:
        print(f"   dynamic / native: {ratio(ups['dynamic'], ups['native'])}")

    previews: dict[str, float] = {}
    with loopback() as server:
        for door in doors:
            stack = Project(workspace, root / f"preview-{door}", front_door=door).stack(f"preview-{door}", server.url)
            stack.declare(groups(args.preview_groups))
            stack.up("--parallel", "64")
            previews[door] = timed_previews(stack, args.repeat)
    print(f"\n4b. pulumi preview, {args.preview_groups} up-to-date groups (median of {args.repeat})")
    for door, seconds in previews.items():
        print(f"   {door:8}{seconds:7.2f} s")
    if len(previews) == 2:
        print(f"   native / dynamic: {ratio(previews['native'], previews['dynamic'])}")


if __name__ == "__main__":
    sys.exit(main())
