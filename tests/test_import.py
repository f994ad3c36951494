"""``eci-provider import``: what it writes for groups read from the emulator, and its errors.

The emulator runs in this process (``--endpoint embedded:PATH``, the form the provider settings
accept), so no test here opens a socket except the one that needs an answer no emulator gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from emulator_helpers import web_spec
from hypothesis import given, settings
from hypothesis import strategies as st
from import_program import check_declares, header_placeholders, program_groups, run_import

from eci_provider.cloud.client import EciClient, RetryPolicy
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.wire import observe
from eci_provider.emulator import embedded_transport
from eci_provider.emulator.embedded import clear_embedded_cache
from eci_provider.importer import MARKER, ImportedGroup, Placeholder
from eci_provider.importer.document import render_json, render_yaml
from eci_provider.importer.python import render_python
from eci_provider.provider import apply
from eci_provider.spec.model import ContainerGroupSpec, revealed

REGION = "cn-hangzhou"
SECRET_ENV = "pw-hunter2-pw"


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ECI_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALIBABA_CLOUD_REGION_ID", REGION)
    clear_embedded_cache()
    yield
    clear_embedded_cache()


@pytest.fixture
def endpoint(tmp_path: Path) -> str:
    return f"embedded:{tmp_path / 'eci.sqlite'}?transition_seconds=0"


def client(endpoint: str) -> EciClient:
    return EciClient(
        REGION,
        endpoint="http://eci.embedded.invalid",
        credentials=Credentials("testid", "testsecret"),
        transport=embedded_transport(endpoint.removeprefix("embedded:")),
    )


def create(endpoint: str, spec: ContainerGroupSpec | dict[str, Any]) -> str:
    model = spec if isinstance(spec, ContainerGroupSpec) else ContainerGroupSpec.model_validate(spec)
    with client(endpoint) as c:
        return c.create_container_group(model, client_token=f"t-{id(model)}-{model.name}")


def observed(endpoint: str, gid: str) -> Any:
    with client(endpoint) as c:
        (group,) = c.describe_container_groups([gid])
    return observe(group)


def rich_spec() -> dict[str, Any]:
    """Something of every kind the importer decides about."""
    spec = web_spec(
        name="shop-web",
        restart_policy="Never",
        spot_strategy="NoSpot",
        zone_id="cn-hangzhou-k",
        security_group_id="sg-shop",
        image_registry_credentials=[{"server": "registry.example.com", "user_name": "ci", "password": "pw-REG-pw"}],
    )
    spec["volumes"].append({"name": "host", "type": "HostPathVolume", "host_path_volume": {"path": "/var/log"}})
    web = spec["containers"][0]
    web["image"] = "registry.example.com/shop/web:1.4"
    web["ports"] = [{"port": 80, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]
    web["environment_vars"] = [
        {"key": "DB_PASSWORD", "value": SECRET_ENV},
        {"key": "GREETING", "value": 'say "hi"\n\\ ünïcode'},
        {"key": "POD_IP", "field_ref": {"field_path": "status.podIP"}},
    ]
    web["liveness_probe"] = {"http_get": {"path": "/", "port": 80, "scheme": "HTTP"}, "period_seconds": 10}
    web["lifecycle_pre_stop_handler_execs"] = ["sleep", "5"]
    return spec


#: The group behind the README's example (section "Take over an existing group").
README_GROUP: dict[str, Any] = {
    "name": "shop-web",
    "zone_id": "cn-hangzhou-k",
    "v_switch_id": "vsw-bp1shop",
    "security_group_id": "sg-bp1shop",
    "resource_group_id": "rg-acfmshop",
    "tags": {"app": "shop"},
    "volumes": [
        {
            "name": "conf",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "nginx.conf", "content": "c2VydmVyIHt9"}]},
        }
    ],
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "cpu": 1.0,
            "memory": 2.0,
            "ports": [{"port": 80, "protocol": "TCP"}],
            "volume_mounts": [{"name": "conf", "mount_path": "/etc/nginx/conf.d"}],
        }
    ],
}


def import_all_formats(endpoint: str, *argv: str) -> tuple[str, dict[str, Any], str]:
    outputs = {}
    for fmt in ("python", "json", "yaml"):
        status, out, err = run_import(*argv, "--endpoint", endpoint, "--format", fmt)
        assert (status, err) == (0, ""), err
        outputs[fmt] = out
    doc = json.loads(outputs["json"])
    assert yaml.safe_load(outputs["yaml"]) == doc
    return outputs["python"], doc, outputs["yaml"]


# --------------------------------------------------------------------------------------
# what it writes
# --------------------------------------------------------------------------------------


def test_one_group_in_every_format(endpoint: str) -> None:
    original = rich_spec()
    gid = create(endpoint, original)
    source, doc, yaml_text = import_all_formats(endpoint, "--id", gid)

    (program,) = program_groups(source)
    (group,) = doc["groups"]
    check_declares(group, program, observed(endpoint, gid), original)
    assert "from eci_provider.provider import ContainerGroup" in source  # the README's import path
    assert program.resource_name == "shop-web" and program.variable == "shop_web"

    spec = group["spec"]
    # Kept: what pins the group (zone, vSwitch, security group), and values set on purpose.
    assert spec["zone_id"] == "cn-hangzhou-k" and spec["security_group_id"] == "sg-shop"
    assert spec["v_switch_id"].startswith("vsw-") and spec["restart_policy"] == "Never"
    # Left out: documented defaults, and the size the service derived from the containers.
    assert "spot_strategy" not in spec and "cpu" not in spec and "memory" not in spec
    web = spec["containers"][0]
    assert web["ports"] == [{"port": 80}, {"port": 53, "protocol": "UDP"}]
    assert web["liveness_probe"] == {"http_get": {"path": "/", "port": 80}}
    # Write-only values never appear; the ones the spec needs are placeholders.
    assert "lifecycle_pre_stop_handler_execs" not in web and "image_registry_credentials" not in spec
    by_path = {p["path"]: p for p in group["placeholders"]}
    assert set(by_path) == {
        "volumes[cfg].config_file_volume.config_file_to_paths[app.conf].content",
        "volumes[host].host_path_volume.path",
        "containers[web].environment_vars[DB_PASSWORD].value",
    }
    content = by_path["volumes[cfg].config_file_volume.config_file_to_paths[app.conf].content"]
    assert (content["secret"], content["reason"]) == (True, "write-only")
    assert by_path["volumes[host].host_path_volume.path"]["secret"] is False
    assert web["environment_vars"][0] == {
        "key": "DB_PASSWORD",
        "value": {MARKER: by_path["containers[web].environment_vars[DB_PASSWORD].value"]["key"]},
    }
    assert any("registry.example.com" in n and "image_registry_credentials" in n for n in group["notes"])
    # Every placeholder is announced in the program's header, with the same key and kind.
    assert header_placeholders(source) == program.placeholders
    # A comment above each placeholder names the field.
    lines = source.splitlines()
    for p in group["placeholders"]:
        (at,) = [i for i, line in enumerate(lines) if f'"{p["key"]}")' in line]
        assert lines[at - 1].lstrip().startswith(f"# {p['what']}: "), lines[at - 1]
    for text in (source, json.dumps(doc), yaml_text):
        assert SECRET_ENV not in text and "pw-REG-pw" not in text and "aGVsbG8=" not in text


def test_the_readme_example_is_what_the_command_writes(endpoint: str) -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = readme.split("<!-- begin import example (a test checks it against the command's output) -->\n", 1)[1]
    block = block.split("<!-- end import example -->", 1)[0]
    gid = create(endpoint, README_GROUP)
    status, out, err = run_import("--id", gid, "--endpoint", endpoint)
    assert (status, err) == (0, "")
    assert block == "```python\n" + out.replace(gid, "eci-…") + "```\n"


def test_the_provider_s_own_tag_is_left_out_and_noted(endpoint: str) -> None:
    spec = apply.with_owner(ContainerGroupSpec.model_validate(web_spec(name="owned")), "proj/stack/owned")
    gid = create(endpoint, spec)
    _, doc, _ = import_all_formats(endpoint, "--id", gid)
    (group,) = doc["groups"]
    assert group["spec"]["tags"] == {"team": "shop", "env": "dev"}
    assert any("eci-provider/owner" in n and "Pulumi stack" in n for n in group["notes"])


def test_a_size_that_was_asked_for_is_kept(endpoint: str) -> None:
    """2 vCPU / 8 GiB is not what the containers' 0.5 / 1 would give: it was set on purpose."""
    gid = create(endpoint, web_spec(cpu=2, memory=8))
    _, doc, _ = import_all_formats(endpoint, "--id", gid)
    spec = doc["groups"][0]["spec"]
    assert (spec["cpu"], spec["memory"]) == (2.0, 8.0)
    assert spec["containers"][0]["cpu"] == 0.5


def test_groups_are_read_in_the_order_asked_and_named_apart(endpoint: str) -> None:
    first = create(endpoint, web_spec(name="twin"))
    second = create(endpoint, {**web_spec(name="twin"), "tags": {"n": "2"}})
    source, doc, _ = import_all_formats(endpoint, "--id", second, "--id", first, "--id", second)
    assert [g["adopt_id"] for g in doc["groups"]] == [second, first]
    programs = program_groups(source)
    assert [p.resource_name for p in programs] == ["twin", "twin-2"]
    assert [p.variable for p in programs] == ["twin", "twin_2"]
    keys = [p["key"] for g in doc["groups"] for p in g["placeholders"]]
    assert len(keys) == len(set(keys)) == 2


def test_every_group_of_a_selection_is_read_across_pages(endpoint: str) -> None:
    """45 groups: a tag filter (done by DescribeContainerGroups) and a name prefix (done here)
    select 25 and 10 of them, over two pages of 20."""
    with client(endpoint) as c:
        for i in range(45):
            team = "a" if i % 9 else "b"  # 40 in team a, 5 in team b
            name = f"{'api' if i < 25 else 'job'}-{i:02d}"
            c.create_container_group(
                ContainerGroupSpec.model_validate(web_spec(name=name, tags={"team": team})), client_token=f"p{i}"
            )
    _, doc, _ = import_all_formats(endpoint, "--all", "--tag", "team=a")
    names = [g["resource_name"] for g in doc["groups"]]
    assert len(names) == 40 and names == sorted(names)
    _, doc, _ = import_all_formats(endpoint, "--all", "--tag", "team=a", "--name-prefix", "job-")
    assert [g["resource_name"] for g in doc["groups"]] == [f"job-{i:02d}" for i in range(25, 45) if i % 9]
    _, doc, _ = import_all_formats(endpoint, "--all")
    assert len(doc["groups"]) == 45


@settings(max_examples=200)
@given(
    st.recursive(
        st.text() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.booleans(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
        max_leaves=12,
    ),
    st.text(min_size=1),
)
def test_any_value_is_written_as_the_literal_it_is(value: Any, text: str) -> None:
    """Whatever the cloud returns (quotes, line breaks, lone surrogates, ``\"\"\"``) is read back
    unchanged from the program (where it cannot end a comment either) and from both documents."""
    placeholder = Placeholder("k", f"tags[{text}]", True, "write-only", text)
    group = ImportedGroup(
        "eci-1", text, "g", text, {"tags": value, "volumes": [{"x": placeholder}]}, (placeholder,), (text,)
    )
    expected = {"tags": value, "volumes": [{"x": {MARKER: "k"}}]}
    (program,) = program_groups(render_python([group], text))
    assert program.spec == expected and program.resource_name == text
    for rendered, load in ((render_json([group], text), json.loads), (render_yaml([group], text), yaml.safe_load)):
        rendered.encode("utf-8")  # writable, whatever it holds
        (doc_group,) = load(rendered)["groups"]
        assert doc_group["spec"] == expected and doc_group["resource_name"] == text


def test_an_imported_spec_that_breaks_a_rule_is_written_and_reported(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service may hold what the spec's rules refuse (here: a name made before a rule was
    known); the program is still written, with the problem in it, and the status says 1."""
    from eci_provider.importer import convert

    gid = create(endpoint, web_spec(name="legacy"))
    real = convert.draft

    def renamed(observed: Any) -> Any:
        d = real(observed)
        d.spec["name"] = "Legacy_Name"
        return d

    monkeypatch.setattr("eci_provider.importer.draft", renamed)
    status, out, err = run_import("--id", gid, "--endpoint", endpoint)
    assert status == 1
    assert "# check: name:" in out and f"{gid}: name:" in err and err.count("\n") == 1


# --------------------------------------------------------------------------------------
# faults and errors
# --------------------------------------------------------------------------------------


def test_throttling_and_5xx_are_retried(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    retries: list[int] = []
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, rng: retries.append(attempt) or 0.0)
    gid = create(endpoint, web_spec())
    faulty = endpoint + "&throttle_rate=0.4&error_5xx_rate=0.3&seed=7"  # same database, another emulator
    status, out, err = run_import("--id", gid, "--endpoint", faulty, "--format", "json")
    assert (status, err) == (0, "")
    assert json.loads(out)["groups"][0]["adopt_id"] == gid
    assert retries  # the faults happened, and were retried by the client's policy


def test_an_unreadable_answer_is_an_error_not_a_missing_group(endpoint: str) -> None:
    gid = create(endpoint, web_spec())
    status, out, err = run_import("--id", gid, "--endpoint", endpoint + "&malformed_response_rate=1")
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "MalformedResponse" in err and "no such" not in err


def test_a_group_that_cannot_be_decoded_is_named(answering: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-value")
    url = answering({"RequestId": "r", "ContainerGroups": [{"ContainerGroupId": "eci-bad", "Containers": "?"}]})
    status, out, err = run_import("--id", "eci-bad", "--endpoint", url)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1 and "eci-bad cannot be read" in err and "containers" in err
    assert "secret-value" not in err


def test_an_unknown_id_is_named(endpoint: str) -> None:
    known = create(endpoint, web_spec())
    status, out, err = run_import("--id", known, "--id", "eci-nosuchgroup", "--endpoint", endpoint)
    assert (status, out) == (2, "")
    assert err == f"eci-provider import: --id eci-nosuchgroup: no such container group in {REGION}\n"


def test_nothing_selected_by_all_is_an_error(endpoint: str) -> None:
    create(endpoint, web_spec())
    status, _, err = run_import("--all", "--tag", "team=nobody", "--endpoint", endpoint)
    assert status == 2 and err.count("\n") == 1 and "--all: no container group" in err and "team=nobody" in err


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ((), "eci-provider import: say which groups to import: --id eci-... (repeatable) or --all\n"),
        (("--all", "--tag", "team"), "eci-provider import: --tag team: must be KEY=VALUE, e.g. --tag env=prod\n"),
        (("--all", "--tag", "=a"), "eci-provider import: --tag =a: must be KEY=VALUE, e.g. --tag env=prod\n"),
        (("--all", "--tag", "a=1", "--tag", "a=2"), "eci-provider import: --tag a=2: tag a is given twice\n"),
        (("--id", "eci-1", "--all"), "eci-provider import: --id: give group IDs or --all, not both\n"),
        (
            ("--id", "eci-1", "--tag", "a=b"),
            "eci-provider import: --tag: narrows --all; with --id, the IDs already say which groups\n",
        ),
        (
            ("--id", "web-1"),
            "eci-provider import: --id web-1: not a container group ID (eci- followed by letters and digits)\n",
        ),
        (("--all", "--name-prefix", ""), "eci-provider import: --name-prefix: must not be empty\n"),
    ],
)
def test_bad_flags_are_one_line_before_any_call(
    argv: tuple[str, ...], expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ECI_ENDPOINT", "http://127.0.0.1:9")  # nothing listens: no call may be made
    status, out, err = run_import(*argv)
    assert (status, out, err) == (2, "", expected)


def test_an_unknown_format_is_one_line() -> None:
    status, out, err = run_import("--all", "--format", "toml")
    assert (status, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("eci-provider import: argument --format: invalid choice: 'toml'") and "yaml" in err


def test_missing_region_and_credentials_name_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_REGION_ID")
    status, _, err = run_import("--id", "eci-1", "--endpoint", "http://127.0.0.1:9")
    assert (
        status == 2
        and err == "eci-provider import: --region: no region: give --region or set ALIBABA_CLOUD_REGION_ID\n"
    )
    status, _, err = run_import("--id", "eci-1", "--region", REGION)
    assert status == 2 and "credentials: no Alibaba Cloud access key: set ALIBABA_CLOUD_ACCESS_KEY_ID" in err


def test_an_unreachable_endpoint_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret-value")
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt, rng: 0.0)  # every retry, at once
    status, out, err = run_import("--id", "eci-1", "--endpoint", "http://127.0.0.1:9")
    assert (status, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("eci-provider import: DescribeContainerGroups: ") and "after retries" in err
    assert "secret-value" not in err


def test_a_bad_embedded_endpoint_is_one_line(tmp_path: Path) -> None:
    status, _, err = run_import("--id", "eci-1", "--endpoint", f"embedded:{tmp_path}?transition_seconds=0")
    assert status == 2 and err.count("\n") == 1 and err.startswith("eci-provider import: --endpoint embedded:")
    status, _, err = run_import("--id", "eci-1", "--endpoint", "embedded::memory:?no_such_option=1")
    assert status == 2 and "unknown emulator option 'no_such_option'" in err


def test_the_written_spec_validates_once_filled(endpoint: str) -> None:
    """A document's spec, with its placeholders filled, is a spec ``eci-provider validate`` accepts."""
    gid = create(endpoint, rich_spec())
    _, doc, _ = import_all_formats(endpoint, "--id", gid)
    group = doc["groups"][0]
    with pytest.raises(ValueError, match="content"):  # unfilled, the marker is refused at its field
        ContainerGroupSpec.model_validate(group["spec"])
    assert revealed(ContainerGroupSpec.model_validate(_filled(group["spec"])))["name"] == "shop-web"


def _filled(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {MARKER}:
        return "AAAA"
    if isinstance(value, dict):
        return {k: _filled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v) for v in value]
    return value
