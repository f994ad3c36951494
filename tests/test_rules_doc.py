"""docs/update-rules.md is generated from the field rules; a stale copy fails here."""

from __future__ import annotations

from pathlib import Path

from eci_provider.spec import rules
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules_doc import render

DOC = Path(__file__).resolve().parent.parent / "docs" / "update-rules.md"


def test_committed_doc_is_current() -> None:
    assert DOC.read_text() == render(), (
        "docs/update-rules.md is stale: run `eci-provider rules-doc > docs/update-rules.md`"
    )


def test_every_field_has_a_row_that_matches_its_rule() -> None:
    rows = {line.split("|")[1].strip().strip("`"): line for line in render().splitlines() if line.startswith("| `")}
    for info in rules.walk(ContainerGroupSpec):
        row = rows[info.path]
        if info.create_only:
            assert "**replace**" in row, info.path
        else:
            assert f"`{info.wire_update}`" in row, info.path
    assert "the instance, unless sent alone and not growing" in rows["image_registry_credentials[]"]
    assert "RenewUpdate only" in rows["image_registry_credentials[]"]
    assert "that container (inferred)" in rows["containers[].image"]
    assert "the instance" in rows["init_containers[].image"]
