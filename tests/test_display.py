"""One spelling of values everywhere a person reads them: plans, the PR report, errors."""

from __future__ import annotations

import pytest

from eci_provider.planning.planner import plan
from eci_provider.spec import display
from eci_provider.spec.model import ContainerGroupSpec


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "true"),
        (False, "false"),
        (1.0, "1"),
        (0.25, "0.25"),
        (2, "2"),
        (None, "(unset)"),
        ("nginx:1.25", "nginx:1.25"),
        (["a", True, 1.5], "[a, true, 1.5]"),
        ((), "[]"),
        (["a, b"], '["a, b"]'),
        (["a", "b"], "[a, b]"),
        ("", '""'),
        ({"a": True, "b": 1.0}, "{a: true, b: 1}"),
    ],
)
def test_values_read_as_the_schema_and_the_cli_spell_them(value: object, text: str) -> None:
    assert display.show(value) == text


def test_a_plan_spells_booleans_and_whole_numbers_as_the_report_does() -> None:
    """The planner once said ``1.0 → 2.0`` and ``False → True`` where the report said ``1 → 2``."""
    old = {"name": "web", "cpu": 1.0, "memory": 2, "containers": [{"name": "w", "image": "n", "tty": False}]}
    new = {**old, "cpu": 2.0, "containers": [{"name": "w", "image": "n", "tty": True}]}
    p = plan(ContainerGroupSpec.model_validate(new), ContainerGroupSpec.model_validate(old), "Running")
    assert [c.describe() for c in p.changes] == ["cpu: 1 → 2", "containers[w].tty: false (default) → true"]
