"""``schema.json``: the JSON Schema of :class:`ContainerGroupSpec`, rules included.

The per-field rules appear as ``x-`` annotations written by :class:`eci_provider.spec.rules.Rule`
itself, so the schema cannot drift from what the planner does.
"""

from __future__ import annotations

import json
from typing import Any

from .model import ContainerGroupSpec

SCHEMA_ID = "https://eci-provider.invalid/schema/container-group.json"


def json_schema() -> dict[str, Any]:
    schema = ContainerGroupSpec.model_json_schema(by_alias=False, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "x-conventions": {
            "x-api": "wire name on CreateContainerGroup",
            "x-update": "mode 'replace' (create-only) or 'update' via the named UpdateContainerGroup parameter; "
            "top-level parameters also state what a change restarts and how the sent list is applied",
            "x-describe": "key in DescribeContainerGroups; x-write-only means the service never returns it",
            "x-default": "documented default that equals leaving the field unset",
            "x-computed": "filled in by the service when unset; an unset value never causes a diff",
            "x-secret": "never shown in plain text; compared by digest",
        },
    }


def render() -> str:
    """The exact text of the committed ``schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
