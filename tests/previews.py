"""Build ``pulumi preview --json`` documents from the real provider, for the report's golden tests.

No Pulumi CLI can run here, so the digests are assembled the way the engine assembles them
(Pulumi's ``PreviewDigest``, ``PreviewStep``, ``ResourceV3``, secrets printed as
``"[secret]"``), from real data: each group is created by the provider process through
:class:`engine.Engine` against the emulator, changed programs go through the provider's Check
and Diff, and the step's ``op``, ``replaceReasons``, ``diffReasons`` and ``detailedDiff`` follow
from the Diff answer as the engine derives them.  Resources that are not ours are added by hand in
the same format.

Run ``.venv/bin/python tests/previews.py`` to regenerate ``tests/data/previews/*.json``; the
golden reports next to them are then rewritten by ``pytest tests/test_preview.py --regen-golden``,
and the README's example by ``.venv/bin/python tests/previews.py --readme``.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from engine import TYPE, UNKNOWN, Engine, State, is_secret, register, secret, strip_secrets
from pulumi.runtime.proto import provider_pb2

from eci_provider.emulator import EmulatorConfig, serve
from eci_provider.provider import ContainerGroup

DATA = Path(__file__).resolve().parent / "data" / "previews"
PROJECT, STACK = "eci-shop", "prod"
PROVIDER_URN = (
    f"urn:pulumi:{STACK}::{PROJECT}::pulumi:providers:pulumi-python::default::6f1c0b9e-0000-4000-8000-000000000001"
)
REGISTRY = "registry.example.com"
PASSWORD_OLD, PASSWORD_NEW = "Registry-Pass-2025", "Registry-Pass-2026"
DB_PASSWORD_OLD, DB_PASSWORD_NEW = "db-pass-old-1", "db-pass-new-2"
TAG_OLD, TAG_NEW = "tag-token-old-7", "tag-token-new-8"
#: A value that is secret in one version of a program and not in the other.
TOKEN = "api-token-3"
#: Every secret the documents are built with: none may appear in them or in a report.
SECRETS = (PASSWORD_OLD, PASSWORD_NEW, DB_PASSWORD_OLD, DB_PASSWORD_NEW, TAG_OLD, TAG_NEW, "testsecret")


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


def registered(name: str, args: Mapping[str, Any], secret: Sequence[Path_] = ()) -> dict[str, Any]:
    """What ``ContainerGroup(name, args)`` registers, with the values at ``secret`` paths given
    as ``pulumi.Output.secret`` (as a program does with ``config.require_secret``)."""

    def program() -> None:
        a: Any = copy.deepcopy(dict(args))
        for path in secret:
            node = a
            for seg in path[:-1]:
                node = node[seg]
            node[path[-1]] = pulumi.Output.secret(node[path[-1]])
        ContainerGroup(name, a)

    return register(program, project=PROJECT, stack=STACK)[name]


# --------------------------------------------------------------------------------------
# the digest, as pkg/backend/display/json.go writes it
# --------------------------------------------------------------------------------------


def massage(value: Any) -> Any:
    """``MassageSecrets(v, false)``: every secret value printed as ``"[secret]"``."""
    if is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: massage(v) for k, v in value.items()}
    if isinstance(value, list):
        return [massage(v) for v in value]
    return value


def urn(name: str, type_: str = TYPE) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"


def printed(doc: Any, show_secrets: bool = False) -> Any:
    """The digest as printed: secrets as ``"[secret]"``, or in plain text with ``--show-secrets``."""
    return strip_secrets(doc) if show_secrets else massage(doc)


def resource(name: str, id_: str, inputs: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    """A ``ResourceV3``, secrets still marked (see :func:`printed`)."""
    ins, outs = copy.deepcopy(dict(inputs)), copy.deepcopy(dict(outputs))
    for props in (ins, outs):
        if "__provider" in props:
            props["__provider"] = secret("gASV-pickled-provider")  # the provider is a secret input
    return {
        "urn": urn(name),
        "custom": True,
        "id": id_,
        "type": TYPE,
        "inputs": ins,
        "outputs": outs,
        "provider": PROVIDER_URN,
    }


def _input_diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k in dict.fromkeys([*old, *new]):
        a, b = strip_secrets(old.get(k)), strip_secrets(new.get(k))
        if a == b:
            continue
        out[k] = {"kind": "add" if a is None else "delete" if b is None else "update", "inputDiff": True}
    return out


def preview_step(name: str, state: State, checked: Mapping[str, Any], diff: Any) -> dict[str, Any] | None:
    """The step the engine shows for a Diff answer (None: "same", which is not shown)."""
    kind = provider_pb2.DiffResponse.DiffChanges.Name(diff.changes)
    input_diff = _input_diff(state.inputs, checked)
    if kind == "DIFF_NONE" or (kind == "DIFF_UNKNOWN" and not input_diff):
        return None
    op = "replace" if diff.replaces else "update"
    step: dict[str, Any] = {
        "op": op,
        "urn": urn(name),
        "provider": PROVIDER_URN,
        "oldState": resource(name, state.id, state.inputs, state.outputs),
        # In a preview, outputs of an update or replace are just the inputs (as Pulumi prints them).
        "newState": resource(name, state.id if op == "update" else "", checked, checked),
    }
    if kind == "DIFF_UNKNOWN":
        step["diffReasons"] = list(input_diff)
    if diff.replaces:
        step["replaceReasons"] = list(diff.replaces)
    step["detailedDiff"] = input_diff if kind == "DIFF_UNKNOWN" else None
    return step


def create_step(name: str, checked: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "op": "create",
        "urn": urn(name),
        "provider": PROVIDER_URN,
        "newState": resource(name, "", checked, checked),
        "detailedDiff": None,
    }


def delete_step(name: str, state: State) -> dict[str, Any]:
    return {
        "op": "delete",
        "urn": urn(name),
        "provider": PROVIDER_URN,
        "oldState": resource(name, state.id, state.inputs, state.outputs),
        "detailedDiff": None,
    }


def root_step() -> dict[str, Any]:
    stack_urn = f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
    state = {"urn": stack_urn, "custom": False, "type": "pulumi:pulumi:Stack", "inputs": {}, "outputs": {}}
    return {"op": "same", "urn": stack_urn, "oldState": state, "newState": state, "detailedDiff": None}


def foreign_steps() -> list[dict[str, Any]]:
    """Resources of other providers, in the same format: listed by the report, not analysed."""
    bucket = f"urn:pulumi:{STACK}::{PROJECT}::aws:s3/bucketV2:BucketV2::shop-assets"
    password = f"urn:pulumi:{STACK}::{PROJECT}::random:index/randomPassword:RandomPassword::db-password"
    other_dynamic = f"urn:pulumi:{STACK}::{PROJECT}::pulumi-python:dynamic:Resource::dns-record"
    return [
        {
            "op": "update",
            "urn": bucket,
            "oldState": {
                "urn": bucket,
                "custom": True,
                "id": "shop-assets-1a2b",
                "type": "aws:s3/bucketV2:BucketV2",
                "inputs": {"tags": {"env": "prod"}},
                "outputs": {"tags": {"env": "prod"}},
            },
            "newState": {
                "urn": bucket,
                "custom": True,
                "id": "shop-assets-1a2b",
                "type": "aws:s3/bucketV2:BucketV2",
                "inputs": {"tags": {"env": "prod", "team": "shop"}},
                "outputs": {},
            },
            "diffReasons": ["tags"],
            "detailedDiff": {"tags.team": {"kind": "add", "inputDiff": True}},
        },
        {
            "op": "create",
            "urn": password,
            "newState": {
                "urn": password,
                "custom": True,
                "type": "random:index/randomPassword:RandomPassword",
                "inputs": {"length": 24},
                "outputs": {"length": 24, "result": "[secret]"},
            },
            "detailedDiff": None,
        },
        {
            "op": "update",
            "urn": other_dynamic,
            "oldState": {
                "urn": other_dynamic,
                "custom": True,
                "id": "rec-1",
                "type": "pulumi-python:dynamic:Resource",
                "inputs": {"__provider": "[secret]", "ttl": 60},
                "outputs": {"ttl": 60},
            },
            "newState": {
                "urn": other_dynamic,
                "custom": True,
                "id": "rec-1",
                "type": "pulumi-python:dynamic:Resource",
                "inputs": {"__provider": "[secret]", "ttl": 300},
                "outputs": {"ttl": 300},
            },
            "detailedDiff": None,
        },
    ]


def digest(steps: list[dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, int] = {}
    for s in steps:
        summary[s["op"]] = summary.get(s["op"], 0) + 1
    summary["same"] = summary.get("same", 0) + 3  # groups and resources left alone (not shown)
    return {
        "config": {
            "eci:region": "cn-hangzhou",
            "eci:accessKeyId": "LTAI5tExampleKeyId",
            "eci:accessKeySecret": "[secret]",
            "eci-shop:imageTag": "1.5",
            "eci-shop:registryPassword": "[secret]",
        },
        "steps": steps,
        "diagnostics": [],
        "duration": 4_210_000_000,
        "changeSummary": summary,
    }


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


@contextmanager
def provider() -> Iterator[tuple[Engine, Any]]:
    with serve(EmulatorConfig(transition_seconds=0.0)) as server, Engine(project=PROJECT, stack=STACK) as e:
        e.configure(
            {
                "eci:region": "cn-hangzhou",
                "eci:endpoint": server.url,
                "eci:accessKeyId": "testid",
                "eci:accessKeySecret": secret("testsecret"),
                "eci:timeoutSeconds": "60",
            }
        )
        yield e, server


def _drift(server: Any, state: State) -> None:
    """Change the group outside Pulumi: someone bumps the log shipper by hand."""
    from eci_provider import apply
    from eci_provider.client import EciClient
    from eci_provider.credentials import Credentials
    from eci_provider.plan import applied_record, plan

    with EciClient("cn-hangzhou", endpoint=server.url, credentials=Credentials("testid", "testsecret")) as c:
        obs = c.observe(state.id)
        assert obs is not None
        cur = obs.spec
        bumped = {"image": "fluent-bit:3.1"}
        containers = [x.model_copy(update=bumped) if x.name == "logs" else x for x in cur.containers]
        want = cur.model_copy(update={"containers": containers})
        apply.update(c, state.id, plan(want, cur, obs.status), want, applied_record(want, "by-hand"))


def build_mixed(e: Engine, server: Any) -> dict[str, Any]:
    steps = [root_step()]
    deletes = []
    for sc in scenarios():
        state = None
        if sc.old is not None:
            state, _, _ = e.up(sc.name, registered(sc.name, sc.old, sc.old_secret), None)
        if sc.drift:
            assert state is not None
            _drift(server, state)
            refreshed = e.read(sc.name, state)
            assert refreshed is not None
            state = refreshed
        if sc.new is None:
            assert state is not None
            deletes.append(delete_step(sc.name, state))
            continue
        news = registered(sc.name, sc.new, sc.new_secret)
        if sc.unknown is not None:  # from another resource's output: unknown in a preview
            node = news
            for seg in sc.unknown[:-1]:
                node = node[seg]
            node[sc.unknown[-1]] = UNKNOWN
        checked, failures = e.check(sc.name, state.inputs if state else {}, news)
        assert not failures, failures
        if state is None:
            steps.append(create_step(sc.name, checked))
            continue
        step = preview_step(sc.name, state, checked, e.diff(sc.name, state, checked))
        if step is not None:
            steps.append(step)
    steps += foreign_steps() + deletes
    return digest(steps)


_DIFF_LOG = re.compile(rf"^eci-provider: {PROJECT}/{STACK}/(\S+) \((\S+)\): (.+)$")


def provider_decisions(stderr: Sequence[str]) -> dict[str, str]:
    """What the provider's own diff decided, per resource (it logs one line per diff)."""
    out = {}
    for line in stderr:
        m = _DIFF_LOG.match(line)
        if m:
            out[m.group(1)] = m.group(3)
    return out


def no_change(mixed: Mapping[str, Any]) -> dict[str, Any]:
    doc = digest([root_step()])
    doc["changeSummary"] = {"same": 17}
    return doc


def replacement_steps(mixed: Mapping[str, Any]) -> dict[str, Any]:
    """The ``db`` replacement as ``pulumi preview --json --show-replacement-steps`` shows it:
    delete-replaced, replace, create-replacement (delete before replace)."""
    db = next(s for s in mixed["steps"] if s["urn"].endswith("::db"))
    steps = [root_step()]
    steps.append({**db, "op": "delete-replaced", "newState": None})
    steps.append(db)
    steps.append({**db, "op": "create-replacement", "oldState": None})
    doc = digest(steps)
    for s in doc["steps"]:
        for k in [k for k, v in s.items() if v is None and k != "detailedDiff"]:
            del s[k]
    return doc


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


def stable(doc: dict[str, Any]) -> dict[str, Any]:
    """Fixed ids and timestamps, so that a regenerated document differs only where it must."""
    text = json.dumps(doc)
    ids: dict[str, str] = {}
    for found in _ID.findall(text):
        ids.setdefault(found, f"eci-bp1{len(ids):02d}{'x' * 15}")
    for old, new in ids.items():
        text = text.replace(old, new)
    text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "2026-11-20T09:00:00Z", text)
    return json.loads(text)


@dataclass(frozen=True)
class Built:
    docs: dict[str, dict[str, Any]]
    #: The mixed document as ``--show-secrets`` prints it (never written: it holds the secrets).
    shown: dict[str, Any]
    #: The provider's own diff decision per resource, from its diagnostics.
    decisions: dict[str, str]


def build_all() -> Built:
    """The documents as ``pulumi preview --json`` prints them, and what the provider decided."""
    with provider() as (e, server):
        raw = build_mixed(e, server)
    mixed = stable(printed(raw))
    docs = {"mixed": mixed, "no-change": no_change(mixed), "replacement-steps": replacement_steps(mixed)}
    return Built(docs, stable(printed(raw, show_secrets=True)), provider_decisions(e.stderr))


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
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if sys.argv[1:] == ["--readme"]:  # after the golden reports were rewritten (pytest --regen-golden)
        write_readme(DATA.parent.parent.parent / "README.md", (DATA / "mixed.md").read_text())
    else:
        write(build_all().docs)
