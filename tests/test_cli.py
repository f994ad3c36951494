"""The command line validates and encodes spec files, and never prints secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eci_provider.cli import main

SPEC = {
    "name": "demo",
    "cpu": 7,
    "memory": 13,
    "image_registry_credentials": [{"server": "r.example.com", "user_name": "u", "password": "pw-SECRET"}],
    "containers": [{"name": "web", "image": "nginx"}],
}


def test_validate_reports_rounding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SPEC))
    assert main(["validate", str(f)]) == 0
    assert "provisioned as 8/16" in capsys.readouterr().out


def test_validate_names_bad_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    f.write_text(
        json.dumps(
            SPEC | {"name": "Bad_Name", "containers": [{"name": "web", "image": "nginx", "ports": [{"port": 0}]}]}
        )
    )
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert "containers[0].ports[0].port" in err and "pw-SECRET" not in err


def test_encode_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SPEC))
    assert main(["encode", str(f), "--region", "cn-beijing"]) == 0
    out = capsys.readouterr().out
    assert "ImageRegistryCredential.1.Password=[secret]" in out and "pw-SECRET" not in out
    assert "RegionId=cn-beijing" in out


def test_example_specs_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
    assert examples
    assert main(["validate", *map(str, examples)]) == 0
