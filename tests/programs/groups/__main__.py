"""A Pulumi program for the real-engine tests: container groups described by a JSON file.

``ECI_TEST_GROUPS`` names a JSON file: a list of
``{"name": ..., "spec": {...}, "secret_paths": [[...], ...], "options": {...}}``.  Each
``secret_paths`` entry is a path of keys and indexes into ``spec`` whose value the program marks
with ``pulumi.Output.secret`` (as a user's program would with a config secret).  ``options``
are ``pulumi.ResourceOptions`` keyword arguments that tests need (``delete_before_replace``,
``ignore_changes``, ``custom_timeouts`` as a dict, ``aliases`` as a list of ``pulumi.Alias``
keyword dicts).  ``adopt`` holds the adoption inputs (``adopt_id``, ``adopt_replace``,
``adopt_send_write_only``), passed as keyword arguments.  The tests rewrite the file between
runs to change the program.

``ECI_TEST_FRONT_DOOR=native`` declares the groups with the native plugin's resource
(``eci:index:ContainerGroup``) instead of the dynamic provider's.

Two other kinds of entry (``"kind"``) exist for comparisons and for values unknown at preview:

* ``"trivial"``: the same inputs on a dynamic provider that only sleeps ``sleep`` seconds in
  create, update and delete (the baseline of benchmarks/bench_engine.py);
* ``"release"``: a dynamic resource with one input, ``version``, and one output its provider
  computes, ``value`` (the version again).  A spec value ``{"$release": NAME, "format": "...{}..."}``
  is that output formatted: unknown during a preview in which the release is created, as any
  value computed by another resource's provider is.  (An output that only echoes an input is
  known in a preview: the engine fills a planned create's outputs from its inputs.)
"""

from __future__ import annotations

import json
import os
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from eci_provider.native.resource import ContainerGroup as NativeContainerGroup
from eci_provider.provider import ContainerGroup

if os.environ.get("ECI_TEST_FRONT_DOOR") == "native":
    ContainerGroup = NativeContainerGroup  # type: ignore[misc]


class Sleeper(ResourceProvider):
    """Echoes its inputs after sleeping: what a provider costs when it does no work of its own."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def create(self, props: dict[str, Any]) -> CreateResult:
        import time
        import uuid

        time.sleep(self.seconds)
        return CreateResult(uuid.uuid4().hex, props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Changed when an input differs from what the outputs recorded (outputs it computes
        itself, which the inputs leave as None, do not count)."""
        changed = any(olds.get(k) != v for k, v in news.items() if k != "__provider" and v is not None)
        return DiffResult(changes=changed)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        import time

        time.sleep(self.seconds)
        return UpdateResult(news)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        import time

        time.sleep(self.seconds)


class Trivial(Resource, module="bench", name="Trivial"):
    def __init__(self, name: str, props: dict[str, Any], seconds: float, opts: pulumi.ResourceOptions) -> None:
        super().__init__(Sleeper(seconds), name, props, opts)


class Publisher(Sleeper):
    """Computes ``value`` on create: an output the engine cannot know before the create runs."""

    def create(self, props: dict[str, Any]) -> CreateResult:
        import uuid

        return CreateResult(uuid.uuid4().hex, {**props, "value": props["version"]})


class Release(Resource, module="test", name="Release"):
    value: pulumi.Output[str]

    def __init__(self, name: str, version: str) -> None:
        super().__init__(Publisher(0.0), name, {"version": version, "value": None})


releases: dict[str, Release] = {}


def resolved(value: Any) -> Any:
    """``value`` with every ``{"$release": ...}`` replaced by that release's formatted output."""
    if isinstance(value, dict) and "$release" in value:
        fmt = value.get("format", "{}")
        return releases[value["$release"]].value.apply(lambda v: fmt.format(v))
    if isinstance(value, dict):
        return {k: resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolved(v) for v in value]
    return value


def marked(value: Any, paths: list[list[str | int]]) -> Any:
    for path in paths:
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        parent[path[-1]] = pulumi.Output.secret(parent[path[-1]])
    return value


def options(raw: dict[str, Any]) -> pulumi.ResourceOptions:
    raw = dict(raw)
    if "custom_timeouts" in raw:
        raw["custom_timeouts"] = pulumi.CustomTimeouts(**raw["custom_timeouts"])
    if "aliases" in raw:
        raw["aliases"] = [pulumi.Alias(**alias) for alias in raw["aliases"]]
    return pulumi.ResourceOptions(**raw)


with open(os.environ["ECI_TEST_GROUPS"], encoding="utf-8") as f:
    declared = json.load(f)

for entry in declared:
    kind = entry.get("kind", "group")
    if kind == "release":
        releases[entry["name"]] = Release(entry["name"], entry["version"])
        continue
    spec = marked(resolved(entry["spec"]), entry.get("secret_paths", []))
    if kind == "trivial":
        Trivial(entry["name"], spec, float(entry.get("sleep", 0.0)), options(entry.get("options", {})))
        continue
    group = ContainerGroup(entry["name"], spec, options(entry.get("options", {})), **entry.get("adopt", {}))
    pulumi.export(entry["name"], {"id": group.container_group_id, "status": group.status, "ip": group.intranet_ip})
