"""The native plugin's Pulumi package schema, and an SDK generated from it.

The schema comes from the same field metadata as ``schema.json``: every spec field is an input,
create-only fields carry ``replaceOnChanges``, secret fields are marked, and each description
says what changing the field does.  The Python SDK is generated at test time with ``pulumi
package gen-sdk`` from the plugin itself (its GetSchema), installed into a temporary directory
(never committed), and a program written against it runs through the real engine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from real_engine import NATIVE_TYPE, PLUGIN_DIR, Project, Workspace, loopback

from eci_provider.native.schema import package_schema
from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.schema import json_schema

pytestmark = pytest.mark.timeout(900)

SCHEMA = package_schema("0.1.0")
RESOURCE = SCHEMA["resources"][NATIVE_TYPE]


def test_every_spec_field_is_an_input_with_its_update_rule() -> None:
    assert sorted(RESOURCE["inputProperties"]) == sorted(json_schema()["properties"])
    for name, prop in RESOURCE["inputProperties"].items():
        rule = rules.rule_of(ContainerGroupSpec, name)
        expected = "replaces the group" if rule.create_only else "updates the group in place"
        assert expected in prop["description"], (name, prop["description"])


def test_create_only_fields_carry_replace_on_changes() -> None:
    replaced = {k for k, v in RESOURCE["properties"].items() if v.get("replaceOnChanges")}
    create_only = {f for f in ContainerGroupSpec.model_fields if rules.rule_of(ContainerGroupSpec, f).create_only}
    assert replaced == create_only
    assert "name" in replaced and "containers" not in replaced


def test_secret_fields_are_marked() -> None:
    secret = {
        (token, field)
        for token, definition in SCHEMA["types"].items()
        for field, prop in definition["properties"].items()
        if prop.get("secret")
    }
    assert ("eci:index:ImageRegistryCredential", "password") in secret
    assert ("eci:index:ConfigFileToPath", "content") in secret
    assert SCHEMA["config"]["variables"]["accessKeySecret"]["secret"] is True
    assert not RESOURCE["inputProperties"]["name"].get("secret")


def test_every_type_reference_resolves() -> None:
    refs: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("$ref"), str):
                refs.append(value["$ref"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(SCHEMA)
    assert refs
    for ref in refs:
        assert ref.removeprefix("#/types/") in SCHEMA["types"], ref


PROGRAM = textwrap.dedent(
    """\
    import pulumi
    import pulumi_eci as eci

    web = eci.ContainerGroup(
        "web",
        name="sdk-web",
        cpu=1,
        memory=2,
        tags={"app": "sdk"},
        containers=[eci.ContainerArgs(name="web", image="nginx:1.25", ports=[eci.PortArgs(port=80)])],
        image_registry_credentials=[
            eci.ImageRegistryCredentialArgs(server="registry.example.com", user_name="ci", password="Sdk-PW-77aa")
        ],
    )
    pulumi.export("id", web.container_group_id)
    pulumi.export("status", web.status)
    """
)


def test_a_program_written_against_the_generated_python_sdk_runs(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "ws")
    env = workspace.env()
    out = tmp_path / "sdk"
    plugin = str(PLUGIN_DIR / "pulumi-resource-eci")
    subprocess.run(
        ["pulumi", "package", "gen-sdk", plugin, "--language", "python", "--out", str(out)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    plugin_json = json.loads((out / "python" / "pulumi_eci" / "pulumi-plugin.json").read_text())
    # The SDK asks the engine for the plugin at the package's version (not 0.0.0).
    assert (plugin_json["name"], plugin_json["version"]) == ("eci", metadata.version("eci-provider"))
    site = tmp_path / "site"  # the SDK's own package only: its dependencies are in the test extra
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(out / "python")],
        check=True,
        capture_output=True,
        text=True,
    )

    with loopback(transition=0.1) as server:
        project = Project(workspace, tmp_path / "project", front_door="native")
        (project.directory / "__main__.py").write_text(PROGRAM)
        stack = project.stack("sdk", server.url)
        stack.extra_env["PYTHONPATH"] = str(site)
        run = stack.up()
        assert "Sdk-PW-77aa" not in run.text
        outputs = stack.outputs()
        assert outputs["id"].startswith("eci-") and outputs["status"] == "Running"
        [resource] = stack.resources()
        assert resource["inputs"]["containers"][0]["image"] == "nginx:1.25"
        assert "Sdk-PW-77aa" not in json.dumps(stack.export())
        stack.preview("--expect-no-changes")
        # A create-only field changed: the SDK's replaceOnChanges and the plugin's diff agree.
        (project.directory / "__main__.py").write_text(PROGRAM.replace('name="sdk-web"', 'name="sdk-web-2"'))
        preview = stack.preview_json()
        [step] = [s for s in preview["steps"] if s.get("urn", "").endswith("::web")]
        assert step["op"] == "replace"


def test_the_schema_declares_every_setting_the_provider_reads() -> None:
    """A setting the provider reads but the schema lacks cannot be set from a generated SDK."""
    from eci_provider.native.schema import CONFIG
    from eci_provider.provider.settings import CONFIG_KEYS, Settings

    read: list[str] = []

    def get(key: str) -> Any:
        read.append(key)
        return {"eci:region": "cn-hangzhou", "eci:endpoint": "embedded::memory:"}.get(key)

    Settings.from_config(get)
    assert {k.removeprefix("eci:") for k in read} == set(CONFIG_KEYS) == set(CONFIG)


def test_both_doors_resources_declare_the_outputs_the_state_contract_names() -> None:
    from eci_provider.native.resource import ContainerGroup as NativeGroup
    from eci_provider.provider import ContainerGroup as DynamicGroup
    from eci_provider.provider.program import GroupOutputs
    from eci_provider.provider.state import OUTPUTS

    assert set(GroupOutputs.__annotations__) == set(OUTPUTS)
    for resource in (DynamicGroup, NativeGroup):
        declared = {name for cls in resource.__mro__ for name in vars(cls).get("__annotations__", {})}
        assert set(OUTPUTS) <= declared, resource
