"""The command line validates and encodes spec files, and never prints secrets."""

from __future__ import annotations

import argparse
import json
import re
import socket
from importlib import metadata
from pathlib import Path

import pytest

from eci_provider.cli import build_parser, main

ROOT = Path(__file__).resolve().parent.parent

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
    assert "containers[web].ports[0].port: 0 must be at least 1" in err and "pw-SECRET" not in err


def test_validate_writes_messages_for_people(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    env = [{"key": "MY-VAR", "value": "pw-SECRET"}]
    f.write_text(json.dumps(SPEC | {"containers": [{"name": "web", "image": "nginx", "environment_vars": env}]}))
    assert main(["validate", str(f)]) == 1
    err = capsys.readouterr().err
    assert (
        "containers[web].environment_vars[0].key: 'MY-VAR' must start with a letter or _ and contain only "
        "letters, digits and _"
    ) in err
    assert "pattern" not in err and "Value error" not in err and "pw-SECRET" not in err


def test_encode_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SPEC))
    assert main(["encode", str(f), "--region", "cn-beijing"]) == 0
    out = capsys.readouterr().out
    assert "ImageRegistryCredential.1.Password=[secret]" in out and "pw-SECRET" not in out
    assert "RegionId=cn-beijing" in out


def test_example_specs_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted((ROOT / "examples").glob("*.json"))
    assert examples
    assert main(["validate", *map(str, examples)]) == 0


# -- the error contract: one line naming the file or flag, and a documented exit status ------------


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def _one_line(err: str, command: str, subject: str) -> str:
    """The error is one line on stderr, prefixed by the command, naming ``subject``."""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"eci-provider {command}: "), err
    assert subject in lines[0], err
    assert "Traceback" not in err
    return lines[0]


def test_encode_of_a_missing_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.json"
    status, out, err = _run(["encode", str(missing)], capsys)
    assert (status, out) == (2, "")
    assert "cannot read it" in _one_line(err, "encode", str(missing))


def test_encode_of_bad_json_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": ')
    status, out, err = _run(["encode", str(bad)], capsys)
    assert (status, out) == (2, "")
    assert "not JSON" in _one_line(err, "encode", str(bad))


def test_validate_reports_non_utf8_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin = tmp_path / "latin1.json"
    latin.write_bytes(json.dumps(SPEC | {"name": "caf\u00e9"}, ensure_ascii=False).encode("latin-1"))
    good = tmp_path / "good.json"
    good.write_text(json.dumps(SPEC))
    status, out, err = _run(["validate", str(latin), str(good)], capsys)
    assert status == 2
    assert "not UTF-8" in _one_line(err, "validate", str(latin))
    assert f"{good}: ok: demo" in out  # the file after the unreadable one is still checked


def test_validate_exit_2_wins_over_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    invalid = tmp_path / "invalid.json"
    invalid.write_text(json.dumps(SPEC | {"name": "Bad_Name"}))
    status, _, err = _run(["validate", str(invalid), str(tmp_path / "missing.json")], capsys)
    assert status == 2 and "invalid.json" in err and "missing.json" in err
    assert main(["validate", str(invalid)]) == 1


@pytest.mark.parametrize("command", ["validate", "encode", "preview-comment"])
def test_deeply_nested_json_is_one_line(command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text('{"name": ' + "[" * 100_000 + "]" * 100_000 + "}")
    status, out, err = _run([command, str(deep)], capsys)
    assert (status, out) == (2, "")
    assert "nested too deeply" in _one_line(err, command, str(deep))


def test_encode_refuses_an_empty_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "s.json"
    f.write_text(json.dumps(SPEC))
    status, out, err = _run(["encode", str(f), "--region", ""], capsys)
    assert (status, out) == (2, "")  # not "RegionId="
    _one_line(err, "encode", "--region")


@pytest.mark.parametrize(
    ("flags", "subject"),
    [
        (["--port", "70000"], "--port"),
        (["--port", "web"], "--port"),
        (["--throttle-rate", "2"], "--throttle-rate"),
        (["--error-5xx-rate", "nan"], "--error-5xx-rate"),
        (["--transition-seconds", "-1"], "--transition-seconds"),
        (["--latency", "inf"], "--latency"),
        (["--retry-after-ms", "0"], "--retry-after-ms"),
    ],
)
def test_emulator_flag_values_are_checked(flags: list[str], subject: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(["emulator", *flags], capsys)
    assert (status, out) == (2, "")
    _one_line(err, "emulator", subject)


def test_emulator_with_an_unwritable_db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "no-such-dir" / "eci.db"
    status, out, err = _run(["emulator", "--db", str(db)], capsys)
    assert (status, out) == (2, "")
    _one_line(err, "emulator", f"--db {db}")


def test_emulator_on_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status, out, err = _run(["emulator", "--port", str(port)], capsys)
    assert (status, out) == (2, "")
    assert "already in use" in _one_line(err, "emulator", f"--port {port}")


def test_version_comes_from_the_package_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"eci-provider {metadata.version('eci-provider')}"


def _parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {"": parser, **sub.choices}


def test_help_shows_defaults_and_exit_statuses_without_markup() -> None:
    for name, parser in _parsers().items():
        text = " ".join(parser.format_help().split())
        assert "exit status: 0 ok; 1 findings" in text and "2 bad usage or unreadable input" in text, name
        assert "`" not in text and not re.search(r":[a-z]+:`", text), name  # no ``literals``, no :class:`roles`
        for action in parser._actions:
            default = action.default
            if default in (None, argparse.SUPPRESS) or isinstance(default, bool) or not action.help:
                continue
            assert f"(default: {default})" in text or "(default: " in (action.help or ""), (name, action.dest)


def test_readme_documents_the_exit_statuses() -> None:
    readme = " ".join((ROOT / "README.md").read_text().split())
    for status in ("| 0 |", "| 1 |", "| 2 |"):
        assert status in readme
    assert "2 wins" in readme
