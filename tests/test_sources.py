"""Every rule names a source a user can look up, and nothing points outside the repository."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from eci_provider.spec import rules, sources
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules_doc import render

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve()

#: Labels only the project's authors could resolve (the old rule sources), and pointers to
#: files outside the repository.  This file names them, so it is the one file not checked.
FORBIDDEN = re.compile(
    r"seed 0|update-model §|update-model\.md|eci_semantics|\.\./shared|aliyun_protocol\.md|pulumi_dynamic\.md"
    r"|pulumi_from_source\.md|peer_tf_alicloud\.md|\(meta\)|(?<!docs/update-rules\.md )\(interpretation\)",
    re.IGNORECASE,
)
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", ".pulumi-local"}


def _repository_files() -> Iterator[Path]:
    """The files of the repository: tracked or about to be (git), else every file but caches."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        yield from (ROOT / name for name in listed.split("\0") if name)
    except (OSError, subprocess.CalledProcessError):
        for path in ROOT.rglob("*"):
            if path.is_file() and not _SKIPPED_DIRS & set(path.relative_to(ROOT).parts):
                yield path


def test_no_file_uses_old_labels_or_points_outside_the_repository() -> None:
    found = []
    checked = 0
    for path in _repository_files():
        if path.resolve() == HERE or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # not text
        checked += 1
        for n, line in enumerate(text.splitlines(), 1):
            if FORBIDDEN.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()[:120]}")
    assert checked > 50
    assert found == [], "\n".join(found)


def test_every_rule_names_a_source_a_user_can_look_up() -> None:
    for info in rules.walk(ContainerGroupSpec):
        assert info.rule.source in sources.SOURCES, (info.path, info.rule.source)
        if info.rule.restart_source is not None:
            assert info.rule.restart_source in sources.SOURCES, (info.path, info.rule.restart_source)


def test_each_interpretation_a_rule_rests_on_is_explained_in_the_rules_doc() -> None:
    explained = {f for item in sources.INTERPRETATIONS.values() for f in item.fields}
    for name in ContainerGroupSpec.model_fields:
        rule = rules.rule_of(ContainerGroupSpec, name)
        if sources.INTERPRETATION in (rule.source, rule.restart_source):
            assert name in explained, name
    doc = render()
    interpretations = doc.split("\n## Interpretations\n", 1)[1]
    for key, item in sources.INTERPRETATIONS.items():
        assert f"**{item.title}** (`{key}`)" in interpretations
    for name in sources.SOURCES:
        assert f"- **{name}**: " in doc.split("\n## Sources\n", 1)[1]


def test_citing_an_unexplained_interpretation_fails() -> None:
    assert sources.interpreted("pinned-address") == "docs/update-rules.md (interpretation)"
    with pytest.raises(KeyError):
        sources.interpreted("a guess nobody wrote down")
