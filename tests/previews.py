"""Build ``pulumi preview --json`` documents with the real Pulumi engine, for the report's tests.

A stack of the web-shop kind (project ``eci-shop``, stack ``prod``) is brought up against a
loopback emulator with one program, some groups are changed outside Pulumi and refreshed, and
the changed program is previewed: the documents are what ``pulumi preview --json`` prints, with
ids, timestamps, source positions and the endpoint's port made stable.  Values unknown during the
preview come from another resource of the program (a small dynamic ``Release``), as they would in
a real stack; that resource is also the "other resource" the report lists without analysing.

Run ``.venv/bin/python tests/previews.py`` to regenerate ``tests/data/previews/*.json`` (about a
minute); the golden reports next to them are then rewritten by ``pytest tests/test_preview.py
--regen-golden``, and the README's example by ``.venv/bin/python tests/previews.py --readme``.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from real_engine import ACCESS_KEY_ID, ACCESS_KEY_SECRET, TYPE, Project, Stack, Workspace, loopback

DATA = Path(__file__).resolve().parent / "data" / "previews"
PROJECT, STACK = "eci-shop", "prod"
REGISTRY = "registry.example.com"
PASSWORD_OLD, PASSWORD_NEW = "Registry-Pass-2025", "Registry-Pass-2026"
DB_PASSWORD_OLD, DB_PASSWORD_NEW = "db-pass-old-1", "db-pass-new-2"
TAG_OLD, TAG_NEW = "tag-token-old-7", "tag-token-new-8"
#: A value that is secret in one version of a program and not in the other.
TOKEN = "api-token-3"
#: Every secret the documents are built with: none may appear in them or in a report.
SECRETS = (PASSWORD_OLD, PASSWORD_NEW, DB_PASSWORD_OLD, DB_PASSWORD_NEW, TAG_OLD, TAG_NEW, ACCESS_KEY_SECRET)


def base(name: str, **changes: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "name": name,
        "cpu": 1.0,
        "memory": 2.0,
        "restart_policy": "Always",
        "tags": {"app": "shop", "env": STACK},
        "containers": [
            {
                "name": "web",
                "image": f"{REGISTRY}/shop/web:1.4",
                "cpu": 0.5,
                "memory": 1.0,
                "ports": [{"port": 80}],
                "readiness_probe": {"http_get": {"path": "/healthz", "port": 80}},
            },
            {"name": "logs", "image": "fluent-bit:3.0", "cpu": 0.5, "memory": 1.0},
        ],
    }
    spec.update(copy.deepcopy(changes))
    return spec


def creds(*passwords: str) -> list[dict[str, Any]]:
    servers = [REGISTRY, "mirror.example.com"]
    return [{"server": servers[i], "user_name": "shop-ci", "password": pw} for i, pw in enumerate(passwords)]


Path_ = tuple[str | int, ...]


# --------------------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------------------


Args = dict[str, Any]
ENV = ("containers", 0, "environment_vars", 0, "value")


@dataclass(frozen=True)
class Scenario:
    name: str
    old: Args | None  # None: a create
    new: Args | None  # None: a delete
    old_secret: tuple[Path_, ...] = ()
    new_secret: tuple[Path_, ...] = ()
    drift: bool = False  # the logs image is changed outside Pulumi, then refreshed
    unknown: Path_ | None = None  # this input is unknown in the preview


def with_env(spec: Args, key: str, value: str) -> Args:
    spec = copy.deepcopy(spec)
    spec["containers"][0]["environment_vars"] = [{"key": key, "value": value}]
    return spec


def logs(spec: Args, image: str) -> Args:
    spec = copy.deepcopy(spec)
    spec["containers"][1]["image"] = image
    return spec


def image(spec: Args, value: str) -> Args:
    spec = copy.deepcopy(spec)
    spec["containers"][0]["image"] = value
    return spec


def scenarios() -> list[Scenario]:
    """The mixed preview: every kind of update, replacements, a create, a delete, secrets
    (typed, marked, newly marked, unmarked, in a dotted tag key), drift, unknown values."""
    init = base("shop-init", init_containers=[{"name": "migrate", "image": f"{REGISTRY}/shop/migrate:1.4"}])
    init_new = copy.deepcopy(init)
    init_new["init_containers"][0]["image"] = f"{REGISTRY}/shop/migrate:1.5"
    conf = {
        "name": "conf",
        "type": "ConfigFileVolume",
        "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "a2V5PXZhbHVl"}]},
    }
    conf_mode = copy.deepcopy(conf)
    conf_mode["config_file_volume"]["config_file_to_paths"][0]["mode"] = "0644"
    long_image = "registry-vpc.cn-hangzhou.aliyuncs.com/acme-production/payments-service-api"
    token = ("tags", "team.example.com/token")
    return [
        Scenario(
            "shop-tags", base("shop-tags"), base("shop-tags", tags={"app": "shop", "env": STACK, "cost": "retail"})
        ),
        Scenario("shop-web", base("shop-web"), image(base("shop-web"), f"{REGISTRY}/shop/web:1.5")),
        Scenario("shop-init", init, init_new),
        Scenario(
            "shop-creds",
            base("shop-creds", image_registry_credentials=creds(PASSWORD_OLD)),
            base("shop-creds", image_registry_credentials=creds(PASSWORD_NEW)),
        ),
        Scenario(
            "shop-mirror",
            base("shop-mirror", image_registry_credentials=creds(PASSWORD_OLD)),
            base("shop-mirror", image_registry_credentials=creds(PASSWORD_OLD, PASSWORD_OLD)),
        ),
        Scenario(
            "api",
            with_env(base("api"), "DB_PASSWORD", DB_PASSWORD_OLD),
            with_env(base("api"), "DB_PASSWORD", DB_PASSWORD_NEW),
            (ENV,),
            (ENV,),
        ),
        Scenario(
            "batch",
            base("batch", restart_policy="Never"),
            image(base("batch", restart_policy="Never"), f"{REGISTRY}/shop/web:1.5"),
        ),
        Scenario("cache", base("cache", host_name="cache-a"), base("cache", host_name="cache-b")),
        Scenario(
            "db",
            base("db", private_ip_address="192.168.10.20", ephemeral_storage=20),
            base("db", private_ip_address="192.168.10.20", ephemeral_storage=30),
        ),
        Scenario("conf", base("conf", volumes=[conf]), base("conf", volumes=[conf_mode])),
        Scenario(
            "payments",
            image(base("payments"), f"{long_image}:v2.14.3"),
            image(base("payments"), f"{long_image}:v2.15.0"),
        ),
        Scenario("drifted", base("drifted"), base("drifted"), drift=True),
        Scenario(
            "drifted-secret",
            with_env(base("drifted-secret"), "DB_PASSWORD", DB_PASSWORD_OLD),
            with_env(base("drifted-secret"), "DB_PASSWORD", DB_PASSWORD_OLD),
            (ENV,),
            (ENV,),
            drift=True,
        ),
        Scenario(
            "newly-secret",
            with_env(base("newly-secret"), "TOKEN", TOKEN),
            logs(with_env(base("newly-secret"), "TOKEN", TOKEN), "fluent-bit:3.1"),
            (),
            (ENV,),
        ),
        Scenario(
            "unmarked",
            with_env(base("unmarked"), "TOKEN", TOKEN),
            logs(with_env(base("unmarked"), "TOKEN", TOKEN), "fluent-bit:3.1"),
            (ENV,),
            (),
        ),
        Scenario(
            "tagged",
            base("tagged", tags={"app": "shop", "team.example.com/token": TAG_OLD}),
            base("tagged", tags={"app": "shop", "team.example.com/token": TAG_NEW}),
            (token,),
            (token,),
        ),
        Scenario("shop-unchanged", base("shop-unchanged"), base("shop-unchanged")),
        Scenario("rollout", base("rollout"), base("rollout"), unknown=("containers", 0, "image")),
        Scenario(
            "renamed-host",
            base("renamed-host", host_name="a"),
            base("renamed-host", host_name="a"),
            unknown=("host_name",),
        ),
        Scenario("new-worker", None, base("new-worker")),
        Scenario("legacy", base("legacy"), None),
    ]


# --------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------


def _release(sc: Scenario, version: str) -> str:
    """A release per program version: the new one is created by the preview's run, so its
    outputs, and the values computed from them, are unknown until ``pulumi up`` (an updated
    dynamic resource would not do: the SDK previews its update by echoing the inputs)."""
    return f"{sc.name}-release-{version}"


def _at(spec: Args, path: Path_) -> Any:
    node: Any = spec
    for seg in path:
        node = node[seg]
    return node


def _entries(version: str) -> list[dict[str, Any]]:
    """The program: one entry per group, and a ``Release`` wherever a value is to be unknown.

    ``version`` is ``"old"`` or ``"new"``.  A value that is unknown in the new program's preview
    is, in both programs, a release's output holding the text the scenario gives.
    """
    out: list[dict[str, Any]] = []
    for sc in scenarios():
        spec = sc.old if version == "old" else sc.new
        if spec is None:
            continue
        spec = copy.deepcopy(spec)
        if sc.unknown is not None:
            old_value = _at(sc.old or spec, sc.unknown)
            release = _release(sc, version)
            out.append({"name": release, "kind": "release", "version": old_value})
            parent = _at(spec, sc.unknown[:-1])
            parent[sc.unknown[-1]] = {"$release": release, "format": "{}"}
        marks = sc.old_secret if version == "old" else sc.new_secret
        out.append({"name": sc.name, "spec": spec, "secret_paths": [list(p) for p in marks]})
    return out


def _drift(server: Any, stack: Stack, name: str) -> None:
    """Change the group outside Pulumi: someone bumps the log shipper by hand."""
    from eci_provider.cloud import wire
    from eci_provider.cloud.client import EciClient
    from eci_provider.cloud.credentials import Credentials
    from eci_provider.cloud.waiters import Waiter
    from eci_provider.planning.planner import applied_record, plan
    from eci_provider.provider import apply

    gid = stack.outputs()[name]["id"]
    with EciClient("cn-hangzhou", endpoint=server.url, credentials=Credentials(ACCESS_KEY_ID, ACCESS_KEY_SECRET)) as c:
        obs = wire.observe(c.describe_container_groups([gid])[0])
        cur = obs.spec
        bumped = {"image": "fluent-bit:3.1"}
        containers = [x.model_copy(update=bumped) if x.name == "logs" else x for x in cur.containers]
        want = cur.model_copy(update={"containers": containers})
        apply.update(Waiter(c), gid, plan(want, cur, obs.status), want, applied_record(want, "by-hand"))


_LOGGED = re.compile(rf"^eci-provider: {PROJECT}/{STACK}/(\S+) \((\S+)\): (.+)$")


def provider_decisions(doc: Mapping[str, Any]) -> dict[str, str]:
    """What the provider's own diff decided, per resource, from the preview's diagnostics."""
    out = {}
    for diag in doc.get("diagnostics", []):
        for line in str(diag.get("message", "")).splitlines():
            m = _LOGGED.match(line.strip())
            if m:
                out[m.group(1)] = m.group(3)
    return out


def many_groups(doc: Mapping[str, Any], copies: int | Mapping[str, int]) -> dict[str, Any]:
    """``doc`` with its container-group steps copied under new names (``<resource>-<n>``), as the
    preview of a big stack holds them.  ``copies`` is a total (the groups taken in turn, every
    kind of change alike) or a number of copies per resource name (a chosen mix).  The other
    steps are kept once."""
    ours = [s for s in doc["steps"] if f"::{TYPE}::" in s["urn"]]
    others = [s for s in doc["steps"] if f"::{TYPE}::" not in s["urn"]]
    if isinstance(copies, int):
        picked = [ours[i % len(ours)] for i in range(copies)]
    else:
        by_name = {s["urn"].rsplit("::", 1)[1]: s for s in ours}
        picked = [by_name[name] for name, n in copies.items() for _ in range(n)]
    seen: dict[str, int] = {}
    steps = []
    for step in picked:
        n = seen[step["urn"]] = seen.get(step["urn"], -1) + 1
        steps.append(json.loads(json.dumps(step).replace(step["urn"], f"{step['urn']}-{n}")))
    return {**copy.deepcopy(dict(doc)), "steps": copy.deepcopy(others) + steps}


_ID = re.compile(r"eci-[0-9a-z]{20}")
#: How ``pulumi preview --json`` prints a value that is unknown until ``pulumi up``.
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def stable(doc: dict[str, Any]) -> dict[str, Any]:
    """Fixed ids, timestamps, source positions and port, so that a regenerated document differs
    only where it must (salts and the salted digests of write-only values still change)."""
    doc = copy.deepcopy(doc)
    doc["duration"] = 4_210_000_000
    if "eci:endpoint" in doc.get("config", {}):
        doc["config"]["eci:endpoint"] = "http://127.0.0.1:8080"
    for step in doc.get("steps", []):
        for key in ("oldState", "newState"):
            state = step.get(key)
            if isinstance(state, dict):
                state.pop("stackTrace", None)
                if "sourcePosition" in state:
                    state["sourcePosition"] = "project:///__main__.py"
    text = json.dumps(doc)
    ids: dict[str, str] = {}
    # Numbered by the scenario a group belongs to, not by where its id first appears: the engine
    # runs steps in parallel, so their order changes from run to run (and between documents).
    names = [sc.name for sc in scenarios()]
    for step in doc.get("steps", []):
        name = str(step.get("urn", "")).rsplit("::", 1)[-1]
        old_id = (step.get("oldState") or {}).get("id")
        if name in names and isinstance(old_id, str) and _ID.fullmatch(old_id):
            ids.setdefault(old_id, f"eci-bp1{names.index(name):02d}{'x' * 15}")
    for found in _ID.findall(text):
        ids.setdefault(found, f"eci-bp1{len(names) + len(ids):02d}{'x' * 15}")
    for old, new in ids.items():
        text = text.replace(old, new)
    uuids: dict[str, str] = {}
    for found in _UUID.findall(text):
        if found != UNKNOWN:  # the engine's "unknown" sentinel is part of the document's meaning
            uuids.setdefault(found, f"00000000-0000-4000-8000-{len(uuids):012d}")
    for old, new in uuids.items():
        text = text.replace(old, new)
    text = _TIME.sub("2026-11-20T09:00:00Z", text)
    return json.loads(text)


@dataclass(frozen=True)
class Built:
    docs: dict[str, dict[str, Any]]
    #: The mixed document as ``--show-secrets`` prints it (never written: it holds the secrets).
    shown: dict[str, Any]
    #: The provider's own diff decision per resource, from its diagnostics.
    decisions: dict[str, str]


def build_all() -> Built:
    """Run the scenarios through the real engine; the documents ``pulumi preview --json`` prints.

    * ``mixed``: the changed program previewed after drift was refreshed;
    * ``replacement-steps``: the same with ``--show-replacement-steps``;
    * ``refresh``: the same with ``--refresh`` (refresh steps before the others);
    * ``no-change``: a preview after ``pulumi up`` applied the changed program.
    """
    with tempfile.TemporaryDirectory(prefix="eci-previews-") as tmp, loopback() as server:
        root = Path(tmp)
        project = Project(Workspace(root / "ws"), root / "project", name=PROJECT)
        stack = project.stack(STACK, server.url)
        stack.declare(_entries("old"))
        stack.up()
        for sc in scenarios():
            if sc.drift:
                _drift(server, stack, sc.name)
        stack.refresh()
        stack.declare(_entries("new"))
        raw = {
            "mixed": stack.preview_json(),
            "replacement-steps": stack.preview_json("--show-replacement-steps"),
            "refresh": stack.preview_json("--refresh"),
        }
        shown = stack.preview_json("--show-secrets")
        stack.up()
        raw["no-change"] = stack.preview_json()
    docs = {name: stable(doc) for name, doc in raw.items()}
    return Built(docs, stable(shown), provider_decisions(raw["mixed"]))


def write(docs: Mapping[str, Mapping[str, Any]], out: Path = DATA, log: Callable[[str], None] = print) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, doc in docs.items():
        text = json.dumps(doc, indent=2, sort_keys=False) + "\n"
        leaked = [s for s in SECRETS if s in text]
        if leaked:
            raise AssertionError(f"{name}: secrets in the document: {leaked}")
        (out / f"{name}.json").write_text(text)
        log(f"wrote {out / name}.json")


#: The README shows the head of ``mixed.md`` and the sections of these groups, in this order.
README_GROUPS = ("shop-init", "shop-creds", "drifted-secret", "db")
README_BEGIN = "<!-- begin preview example (a test checks it against tests/data/previews/mixed.md) -->"
README_END = "<!-- end preview example -->"


def readme_excerpt(report: str) -> str:
    """The README's example, cut from a rendered report: everything before the first group's
    section (title, counts, warnings), then the sections of :data:`README_GROUPS`."""
    head, *sections = re.split(r"\n(?=### )", report.rstrip("\n"))
    titles = [re.match(r"### \S+ `([^`]+)`", section) for section in sections]
    by_group = {title.group(1): section for title, section in zip(titles, sections, strict=True) if title}
    return "\n".join([head, *(by_group[g] for g in README_GROUPS)]).rstrip("\n") + "\n"


def write_readme(readme: Path, report: str) -> None:
    """Replace the README's example with :func:`readme_excerpt` of ``report`` (the golden mixed.md)."""
    text = readme.read_text()
    before, rest = text.split(README_BEGIN + "\n", 1)
    _, after = rest.split(README_END, 1)
    readme.write_text(before + README_BEGIN + "\n" + readme_excerpt(report) + README_END + after)


if __name__ == "__main__":
    if sys.argv[1:] == ["--readme"]:  # after the golden reports were rewritten (pytest --regen-golden)
        write_readme(DATA.parent.parent.parent / "README.md", (DATA / "mixed.md").read_text())
    else:
        write(build_all().docs)
