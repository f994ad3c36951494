"""The stack program, run under ``pulumi.runtime.set_mocks`` with each stack's own config.

Stacks must differ only in config; each must declare valid groups (the provider's own check
accepts them), with the stack's size, replica count, image tag and tags, and a registry
password that is secret in what the program registers.  ``local-native`` declares the same
groups as ``local`` through the native plugin's resource.
"""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest
import yaml
from engine import is_secret, register, strip_secrets

from eci_provider.provider.operations import IDENTITY
from eci_provider.provider.ownership import owner_value
from eci_provider.provider.step import read_desired
from eci_provider.spec.model import revealed

STACKS = Path(__file__).resolve().parent.parent / "stacks"
PROJECT = yaml.safe_load((STACKS / "Pulumi.yaml").read_text())["name"]
EXPECTED = {  # stack: (replicas, instance cpu, memory)
    "local": (1, 1.0, 2.0),
    "local-native": (1, 1.0, 2.0),
    "dev": (1, 1.0, 2.0),
    "staging": (2, 2.0, 4.0),
    "prod": (3, 4.0, 8.0),
}


def stack_config(stack: str) -> tuple[dict[str, str], list[str]]:
    raw = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    config = {k: json.dumps(v) if isinstance(v, (dict, list)) else str(v) for k, v in raw.items()}
    secrets = []
    if not stack.startswith("local"):  # set with `pulumi config set --secret` in real stacks
        config[f"{PROJECT}:registryPassword"] = f"pw-for-{stack}"
        secrets.append(f"{PROJECT}:registryPassword")
    return config, secrets


def run_stack(stack: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """The stack's config, and the inputs of each resource the program registers under mocks."""
    config, secrets = stack_config(stack)
    resources = register(
        lambda: runpy.run_path(str(STACKS / "__main__.py")),
        project=PROJECT,
        stack=stack,
        config=config,
        secret_keys=secrets,
    )
    if stack.endswith("-native"):  # the plugin takes the identity from the URN (and marks secrets itself)
        resources = {name: {**inputs, IDENTITY: f"{PROJECT}/{stack}/{name}"} for name, inputs in resources.items()}
    return config, resources


def test_every_stack_file_is_covered() -> None:
    assert sorted(p.name for p in STACKS.glob("Pulumi.*.yaml")) == sorted(f"Pulumi.{s}.yaml" for s in EXPECTED)


@pytest.mark.parametrize("stack", sorted(EXPECTED))
def test_stack_declares_valid_groups(stack: str) -> None:
    config, resources = run_stack(stack)
    replicas, cpu, memory = EXPECTED[stack]
    assert sorted(resources) == [f"shop-{i}" for i in range(replicas)]
    image_tag = config[f"{PROJECT}:imageTag"]
    for name, inputs in resources.items():
        spec = _desired(strip_secrets(inputs))  # what the provider's check will see
        assert strip_secrets(inputs)[IDENTITY] == f"{PROJECT}/{stack}/{name}"
        assert (spec.cpu, spec.memory) == (cpu, memory)
        assert spec.tags is not None and spec.tags["env"] == stack and spec.tags["app"] == "shop"
        assert {c.name for c in spec.containers} == {"web", "app", "logs"}
        assert spec.init_containers and spec.init_containers[0].image.endswith(f":{image_tag}")
        assert any(c.image.endswith(f":{image_tag}") for c in spec.containers)
        assert spec.volumes and spec.volumes[0].config_file_volume is not None
        if stack.startswith("local"):
            assert spec.image_registry_credentials is None and spec.v_switch_id is None
        else:
            assert is_secret(inputs["image_registry_credentials"])
            assert spec.image_registry_credentials[0].password.get_secret_value() == f"pw-for-{stack}"  # type: ignore[index]
            assert spec.v_switch_id and spec.security_group_id
        if not stack.endswith("-native"):
            assert is_secret(inputs["volumes"])  # config-file contents are secret by type


def test_local_native_declares_the_groups_of_local_through_the_plugin() -> None:
    _, dynamic = run_stack("local")
    _, native = run_stack("local-native")
    assert sorted(native) == sorted(dynamic)
    for name, inputs in native.items():
        # The same groups: only the stack's name differs (in the group's name, its env tag and
        # SHOP_ENV; the owner tag, which hashes the identity, is left to one identity).
        theirs = revealed(_desired(strip_secrets(dynamic[name])))
        mine = revealed(_desired({**strip_secrets(inputs), IDENTITY: dynamic[name][IDENTITY]}))
        differing = {k for k in mine if mine[k] != theirs[k]}
        assert differing <= {"name", "tags", "init_containers", "containers"}, differing
        assert json.dumps(mine).replace("local-native", "local") == json.dumps(theirs).replace("local-native", "local")


def test_stacks_differ_only_in_config() -> None:
    """Same program, same resource shapes; only the configured values change."""
    shapes: dict[str, Any] = {}
    for stack in EXPECTED:
        _, resources = run_stack(stack)
        spec = _desired(strip_secrets(resources["shop-0"]))
        shapes[stack] = sorted(spec.model_dump(exclude_none=True))
    assert shapes["dev"] == shapes["staging"] == shapes["prod"]
    assert set(shapes["local"]) <= set(shapes["prod"])  # local leaves out the network and registry settings


def _desired(inputs: dict[str, Any]) -> Any:
    desired = read_desired(inputs, owner=owner_value(inputs[IDENTITY]))
    assert desired.spec is not None, desired.problems
    return desired.spec
