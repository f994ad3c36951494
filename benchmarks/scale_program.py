"""The Pulumi program of benchmarks/bench_scale.py: one resource per entry of a JSON file.

``ECI_TEST_GROUPS`` names a JSON list of ``{"name", "spec", "secret_paths", "kind", "sleeps"}``.
``kind`` is ``"group"`` (an ECI container group: through the dynamic provider, or through the
native plugin when ``ECI_TEST_FRONT_DOOR=native``) or ``"trivial"``:
the same inputs on a provider that only sleeps ``sleeps["create"|"update"|"delete"]`` seconds,
the transitions each operation of a group waits for, so that the two programs differ only in
the provider's own work and its API calls.  Neither exports anything (the state holds the
resources alone).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from eci_provider.native.resource import ContainerGroup as NativeContainerGroup
from eci_provider.provider import ContainerGroup

if os.environ.get("ECI_TEST_FRONT_DOOR") == "native":
    ContainerGroup = NativeContainerGroup  # type: ignore[misc]


class TransitionSleeper(ResourceProvider):
    """Echoes its inputs after sleeping what the operation's transitions take."""

    def __init__(self, sleeps: dict[str, float]) -> None:
        self.sleeps = sleeps

    def create(self, props: dict[str, Any]) -> CreateResult:
        time.sleep(self.sleeps.get("create", 0.0))
        return CreateResult(uuid.uuid4().hex, props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=any(olds.get(k) != v for k, v in news.items() if k != "__provider"))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        time.sleep(self.sleeps.get("update", 0.0))
        return UpdateResult(news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        time.sleep(self.sleeps.get("delete", 0.0))


class Trivial(Resource, module="bench", name="Trivial"):
    def __init__(self, name: str, props: dict[str, Any], sleeps: dict[str, float]) -> None:
        super().__init__(TransitionSleeper(sleeps), name, props)


def marked(value: Any, paths: list[list[str | int]]) -> Any:
    """``value`` with the values at ``paths`` marked secret, as a user's program marks them."""
    for path in paths:
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = pulumi.Output.secret(parent[path[-1]])
    return value


def declare() -> None:
    """Everything the program holds stays local: the trivial provider's class is pickled by
    value (it lives in ``__main__``), and module globals holding a thousand specs and their
    Outputs made that pickle recurse too deep."""
    with open(os.environ["ECI_TEST_GROUPS"], encoding="utf-8") as f:
        declared = json.load(f)
    for entry in declared:
        spec = marked(entry["spec"], entry.get("secret_paths", []))
        if entry.get("kind", "group") == "trivial":
            Trivial(entry["name"], spec, {k: float(v) for k, v in entry.get("sleeps", {}).items()})
        else:
            ContainerGroup(entry["name"], spec)


declare()
