"""The provider through the engine's protocol: the real ``python -m pulumi.dynamic`` server,
driven over gRPC the way the Pulumi engine drives it, against the emulator over loopback HTTP.

The lifecycle, the decisions, secrets in state and validation at preview are tested with the
real engine (tests/test_engine_*.py).  What stays here is what the real engine cannot set up
cheaply or deterministically: many check failures at once, a create under injected faults, a
group forced into a finished state, the exact Check/Diff answers for a value just unmarked, and
the size and contents of the pickled provider.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from engine import Engine, State, plain_text, register, secret, strip_secrets

from eci_provider.emulator import EmulatorConfig, serve
from eci_provider.provider import ContainerGroup, provider_size
from eci_provider.provider.state import read_check

PASSWORD = "registry-PASSWORD-1"
DB_PASS = "db-SECRET-value"

BASE: dict[str, Any] = {
    "name": "shop-web",
    "tags": {"team": "shop"},
    "image_registry_credentials": [{"server": "registry.example.com", "user_name": "bot", "password": PASSWORD}],
    "volumes": [
        {
            "name": "conf",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "a2V5PXZhbHVl"}]},
        }
    ],
    "init_containers": [{"name": "migrate", "image": "registry.example.com/migrate:1"}],
    "containers": [
        {
            "name": "web",
            "image": "registry.example.com/web:1",
            "ports": [{"port": 80}],
            "volume_mounts": [{"name": "conf", "mount_path": "/etc/app"}],
            "readiness_probe": {"http_get": {"path": "/ready", "port": 80}},
        },
        {"name": "sidecar", "image": "fluent-bit:3"},
    ],
}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with serve(EmulatorConfig(transition_seconds=0.0)) as s:
        yield s


@pytest.fixture(scope="module")
def engine(server: Any) -> Iterator[Engine]:
    with Engine() as e:
        e.configure(
            {
                "eci:region": "cn-hangzhou",
                "eci:endpoint": server.url,
                "eci:accessKeyId": "testid",
                "eci:accessKeySecret": secret("testsecret"),
                "eci:retryMaxAttempts": "3",
                "eci:timeoutSeconds": "60",
            }
        )
        yield e
    # Whatever happened, no secret may have reached the wire or the logs in plain text.
    wire = json.dumps([plain_text(entry) for entry in e.wire_log])
    for value in (PASSWORD, "testsecret", DB_PASS, "new-registry-PASSWORD"):
        assert value not in wire, f"{value} leaked on the wire"
        assert value not in "\n".join(e.stderr), f"{value} leaked to stderr"


def program_inputs(name: str, args: dict[str, Any], secret_env: bool = False) -> dict[str, Any]:
    import pulumi

    def program() -> None:
        a = copy.deepcopy(args)
        if secret_env:
            a["containers"][1].setdefault("environment_vars", []).append(
                {"key": "DB_PASS", "value": pulumi.Output.secret(DB_PASS)}
            )
        ContainerGroup(name, a)

    return register(program)[name]


def group(server: Any, gid: str) -> dict[str, Any]:
    return next(g for g in server.emulator.groups() if g["ContainerGroupId"] == gid)


def with_name(name: str, **changes: Any) -> dict[str, Any]:
    args = copy.deepcopy(BASE)
    args["name"] = name
    args.update(changes)
    return args


def test_check_reports_every_bad_field_without_calling_the_api(engine: Engine, server: Any) -> None:
    before = server.emulator.stats()["requests"]
    bad = with_name("Bad_Name")
    bad["containers"][0]["ports"] = [{"port": 0}]
    bad["tags"] = {f"k{i}": "v" for i in range(20)}  # 20 + the ownership tag = 21
    _, failures = engine.check("bad", {}, program_inputs("bad", bad))
    # The reason names the field by its full path; no property is given, because the engine
    # would print that property's whole value in front of the reason.
    assert all(not f.get("property") for f in failures)
    reasons = " ".join(f["reason"] for f in failures)
    assert "containers[0].ports[0].port" in reasons
    bad["containers"][0]["ports"] = [{"port": 80}]
    _, failures = engine.check("bad", {}, program_inputs("bad", bad))
    reasons = " ".join(f["reason"] for f in failures)
    assert "name:" in reasons and "at most 20" in reasons and "ownership tag" in reasons
    assert server.emulator.stats()["requests"] == before


def test_create_under_faults_makes_exactly_one_group(engine: Engine, server: Any) -> None:
    created_before = server.emulator.stats()["groups_created"]
    server.emulator.set_faults(throttle_rate=0.3, error_5xx_rate=0.1, drop_create_response_rate=1.0, seed=3)
    inputs = program_inputs("faulty", with_name("faulty"))
    checked, _ = engine.check("faulty", {}, inputs)
    with pytest.raises(Exception, match=r"ReadError|TransportError|RemoteProtocolError"):
        engine.create("faulty", checked)  # every answer to the create is lost: the RPC fails ...
    assert server.emulator.stats()["groups_created"] == created_before + 1  # ... after the group was made
    server.emulator.set_faults(drop_create_response_rate=0.2, seed=4)
    state = engine.create("faulty", checked)  # the re-run adopts it instead of making a second one
    server.emulator.set_faults(throttle_rate=0.0, error_5xx_rate=0.0, drop_create_response_rate=0.0)
    assert server.emulator.stats()["groups_created"] == created_before + 1
    owned = [g for g in server.emulator.groups() if g["Spec"]["name"] == "faulty"]
    assert [g["ContainerGroupId"] for g in owned] == [state.id]
    engine.delete("faulty", state)


def test_serialized_provider_is_small_and_holds_no_secret() -> None:
    size, leaked = provider_size()
    assert size < 1024 and not leaked


def test_the_provider_is_pickled_under_the_path_old_states_hold() -> None:
    """States written by 0.1.0 pickle ``eci_provider.provider.ContainerGroupProvider``; new ones
    must too, or the SDK configures two providers in one process (it caches by the pickle)."""
    import base64

    from pulumi.dynamic.dynamic import serialize_provider

    from eci_provider.provider import ContainerGroupProvider

    raw = base64.b64decode(serialize_provider(ContainerGroupProvider()))
    assert b"eci_provider.provider" in raw and b"ContainerGroupProvider" in raw and b"dynamic" not in raw


def test_configuring_again_never_closes_a_client_in_use() -> None:
    from eci_provider.provider.operations import Runtime

    runtime = Runtime()
    config = {"eci:region": "cn-hangzhou", "eci:endpoint": "embedded::memory:"}
    runtime.configure(config)
    client = runtime.client
    runtime.configure(dict(config))  # the same config, from a second pickled provider
    assert runtime.client is client
    runtime.configure({**config, "eci:retryMaxAttempts": "3"})
    assert runtime.client is not client
    client.describe_container_groups([])  # the first one still works for whoever holds it


def engine_stderr(engine: Engine) -> list[str]:
    """Lines the provider wrote so far (the engine shows them as diagnostics)."""
    import os
    import select

    lines = []
    stream = engine.proc.stderr
    assert stream is not None
    os.set_blocking(stream.fileno(), False)
    while select.select([stream], [], [], 0.2)[0]:
        chunk = stream.read()
        if not chunk:
            break
        lines.extend(chunk.splitlines())
    engine.stderr.extend(lines)
    return engine.stderr


def _unused(state: State) -> None:  # keep the import used for type checkers
    del state


def test_finished_jobs_and_the_preview_fields(engine: Engine, server: Any) -> None:
    args = with_name("job", restart_policy="Never")
    inputs = program_inputs("job", args)
    checked, _ = engine.check("job", {}, inputs)
    assert (
        strip_secrets(checked)["planned_change"] == "create"
        and read_check(strip_secrets(checked)).plan["action"] == "create"
    )
    state = engine.create("job", checked)
    server.emulator.force_status(state.id, "Succeeded")
    state = engine.read("job", state)
    assert state is not None and strip_secrets(state.outputs)["status"] == "Succeeded"

    # Unchanged: a finished job stays finished.
    _, step, d = engine.up("job", inputs, state)
    assert step == "same" and d.changes == 1  # DIFF_NONE

    # Changed: only a new instance can run it. The plan reaches the wire in Check (for the
    # preview) and the replacement in Diff.
    args["containers"][0]["image"] = "registry.example.com/web:9"
    changed = program_inputs("job", args)
    checked, _ = engine.check("job", state.inputs, changed)
    plan_on_wire = read_check(strip_secrets(checked)).plan
    assert plan_on_wire["action"] == "update"  # Check compares inputs; the status is Diff's business
    new_state, step, d = engine.up("job", changed, state)
    assert step == "replace" and "status" in list(d.replaces) and d.changes == 0  # DIFF_UNKNOWN: inputs changed
    assert new_state.id != state.id
    assert any("the instance is Succeeded" in line for line in engine_stderr(engine))
    engine.delete("job", new_state)


def test_unmarking_a_secret_does_not_reveal_its_old_value(engine: Engine) -> None:
    """check's plan masks what was secret before as well as what is secret now."""
    olds, _ = engine.check("unmark", {}, program_inputs("unmark", with_name("unmark"), secret_env=True))
    args = with_name("unmark")
    args["containers"][1]["environment_vars"] = [{"key": "DB_PASS", "value": "now-plain-value"}]
    checked, failures = engine.check("unmark", olds, program_inputs("unmark", args))
    assert not failures
    plan_text = strip_secrets(checked)["__check"]
    assert "containers[sidecar].environment_vars[DB_PASS].value" in plan_text
    assert DB_PASS not in plan_text and "[secret]" in plan_text


def test_digests_of_marked_secrets_are_secret_outputs() -> None:
    """A salted digest of a short secret, next to its salt, could be guessed: hidden too."""
    from eci_provider.planning.planner import Applied
    from eci_provider.provider.state import _split_digests

    applied = Applied("salt", {"host_name": "sha256:aa", "termination_grace_period_seconds": "sha256:bb"})
    plain, hidden = _split_digests(applied, ["host_name"])
    assert plain == {"termination_grace_period_seconds": "sha256:bb"} and hidden == {"host_name": "sha256:aa"}


def test_unchanged_inputs_check_to_exactly_what_is_stored(engine: Engine) -> None:
    """The engine elides the state write of an unchanged resource only when check returns the
    inputs it stored; anything else costs a whole-snapshot serialisation per resource."""
    stored, _ = engine.check("same", {}, program_inputs("same", with_name("same"), secret_env=True))
    again, failures = engine.check("same", strip_secrets(stored), program_inputs("same", with_name("same"), True))
    assert not failures and again == stored
    assert strip_secrets(again)["planned_change"] == "create"  # the change planned when they last changed
    # Unmarking a secret is a change of the inputs: published afresh, without the old views.
    unmarked, _ = engine.check("same", strip_secrets(stored), program_inputs("same", with_name("same")))
    assert unmarked["__check"] != stored["__check"]
    assert strip_secrets(unmarked)["planned_change"] != "create"
