"""schema.json is generated from the models and their rules; a stale copy fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.schema import json_schema, render

ROOT = Path(__file__).resolve().parent.parent


def test_committed_schema_is_current() -> None:
    committed = (ROOT / "schema.json").read_text()
    assert committed == render(), "schema.json is stale: run `eci-provider schema > schema.json`"


def test_every_property_carries_its_rule() -> None:
    schema = json_schema()
    props = [schema["properties"], *(d["properties"] for d in schema["$defs"].values())]
    count = 0
    for group in props:
        for name, prop in group.items():
            assert "x-update" in prop and "x-api" in prop, name
            count += 1
    assert count == len(list(rules.walk(ContainerGroupSpec))) - _shared_model_duplicates()


def _shared_model_duplicates() -> int:
    """walk() visits a model once per place it is used; $defs holds it once."""
    seen: dict[type, int] = {}
    for f in rules.walk(ContainerGroupSpec):
        seen[f.model] = seen.get(f.model, 0) + 1
    per_model = {m: len(m.model_fields) for m in seen}
    return sum(seen[m] - per_model[m] for m in seen)


def test_schema_names_are_snake_case_and_rules_visible() -> None:
    schema = json_schema()
    containers = schema["properties"]["containers"]
    assert containers["x-update"]["wire"] == "Container"
    assert containers["x-update"]["restarts"] == "changed-containers"
    assert schema["properties"]["v_switch_id"]["x-update"]["mode"] == "replace"
    password = schema["$defs"]["ImageRegistryCredential"]["properties"]["password"]
    assert password["x-secret"]
    assert schema["properties"]["image_registry_credentials"]["x-write-only"]  # the whole list is never returned


def test_cli_prints_the_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "eci_provider.cli", "schema"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == json_schema()


def test_committed_typed_args_are_current() -> None:
    from eci_provider.spec.argsgen import render

    assert (ROOT / "eci_provider" / "spec" / "args.py").read_text() == render(), (
        "eci_provider/spec/args.py is stale: run `eci-provider gen-args > eci_provider/spec/args.py`"
    )


def test_typed_args_cover_every_field() -> None:
    from eci_provider.spec import args

    hints = {k: getattr(v, "__forward_arg__", v) for k, v in args.ContainerGroupArgs.__annotations__.items()}
    assert set(hints) == set(ContainerGroupSpec.model_fields)
    assert hints["name"].startswith("Required[") and hints["containers"].startswith("Required[")
    assert "ContainerArgs" in hints["containers"] and not hints["tags"].startswith("Required[")
