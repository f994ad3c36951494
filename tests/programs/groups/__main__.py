"""A Pulumi program for the real-engine tests: container groups described by a JSON file.

``ECI_TEST_GROUPS`` names a JSON file: a list of
``{"name": ..., "spec": {...}, "secret_paths": [[...], ...], "options": {...}}``.  Each
``secret_paths`` entry is a path of keys and indexes into ``spec`` whose value the program marks
with ``pulumi.Output.secret`` (as a user's program would with a config secret).  ``options``
are ``pulumi.ResourceOptions`` keyword arguments that tests need (``delete_before_replace``,
``ignore_changes``, ``custom_timeouts`` as a dict).  The tests rewrite the file between runs
to change the program.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pulumi

from eci_provider.provider import ContainerGroup


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
    return pulumi.ResourceOptions(**raw)


with open(os.environ["ECI_TEST_GROUPS"], encoding="utf-8") as f:
    declared = json.load(f)

for entry in declared:
    group = ContainerGroup(
        entry["name"],
        marked(entry["spec"], entry.get("secret_paths", [])),
        options(entry.get("options", {})),
    )
    pulumi.export(entry["name"], {"id": group.container_group_id, "status": group.status, "ip": group.intranet_ip})
