"""The Pulumi package schema of ``eci``: what ``pulumi package gen-sdk`` builds SDKs from.

Generated from the same field metadata as ``schema.json``: the spec's JSON Schema
(:func:`eci_provider.spec.schema.json_schema`) gives names, types and constraints; each field's
rule (:mod:`eci_provider.spec.rules`) gives its update rule (the sentence of
``docs/update-rules.md``, :func:`eci_provider.spec.rules_doc.on_change`) and whether it is
secret.  Nothing here names a field.

Property names are the spec's snake_case names, as on the dynamic provider's wire: both front
doors write one state contract, which the pull-request report reads, so the engine must see the
same keys.  ``replaceOnChanges`` is only read by code generators, and only on output
properties, so the create-only top-level fields are listed there too (the provider's diff
replaces the group for them anyway; the outputs do not echo them, see
:mod:`eci_provider.provider.state`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from ..provider.state import OUTPUTS
from ..spec import rules, rules_doc
from ..spec.model import ContainerGroupSpec
from ..spec.schema import json_schema
from . import TYPE

__all__ = ["CONFIG", "OUTPUTS", "PACKAGE", "package_schema"]

PACKAGE = "eci"
_DEFS = "#/$defs/"

_REQUIRED_OUTPUTS = ["container_group_id", "region_id", "status"]

#: Provider settings (``eci:*`` stack config, or an explicit provider's inputs); see the README.
CONFIG: dict[str, dict[str, Any]] = {
    "region": {"type": "string", "description": "The region (else ALIBABA_CLOUD_REGION_ID)."},
    "endpoint": {
        "type": "string",
        "description": "A URL, `embedded:PATH[?transition_seconds=S]` (the emulator, in the provider's "
        "process), or unset for `https://eci.{region}.aliyuncs.com` (else ECI_ENDPOINT).",
    },
    "accessKeyId": {"type": "string", "description": "Access key id (else ALIBABA_CLOUD_ACCESS_KEY_ID)."},
    "accessKeySecret": {
        "type": "string",
        "secret": True,
        "description": "Access key secret (else ALIBABA_CLOUD_ACCESS_KEY_SECRET).",
    },
    "securityToken": {
        "type": "string",
        "secret": True,
        "description": "STS token (else ALIBABA_CLOUD_SECURITY_TOKEN).",
    },
    "retryMaxAttempts": {
        "type": "integer",
        "description": "Attempts per API call under throttling, 5xx or lost answers (default 10).",
    },
    "timeoutSeconds": {
        "type": "number",
        "description": "How long a create, update or delete waits for its effect when the resource sets no "
        "customTimeouts (default 1200).",
    },
    "rateLimits": {
        "type": "string",
        "description": "The account's API limits in calls per minute, by action, as `Action=N` pairs "
        "(`DescribeContainerGroups=600,CreateContainerGroup=300`) or a JSON object; actions not named keep "
        "ECI's documented limits. The provider paces itself to 90% of each (else ECI_RATE_LIMITS).",
    },
}


def package_schema(version: str) -> dict[str, Any]:
    """The package schema, at ``version`` (the plugin's: generated SDKs ask for that plugin)."""
    spec = json_schema()
    defs: Mapping[str, Any] = spec["$defs"]
    sentences = _sentences()
    types = {
        _token(name): {
            "type": "object",
            "description": definition.get("description", name),
            "properties": {
                field: _property(schema, sentences.get((name, field)))
                for field, schema in definition.get("properties", {}).items()
            },
            "required": list(definition.get("required", [])),
        }
        for name, definition in sorted(defs.items())
    }
    top = ContainerGroupSpec.__name__
    inputs = {field: _property(schema, sentences.get((top, field))) for field, schema in spec["properties"].items()}
    replaced = {
        field: {
            **inputs[field],
            "replaceOnChanges": True,
            "description": f"{inputs[field]['description']} Listed as an output only so that SDKs carry "
            "`replaceOnChanges`; not echoed (use the value you declared).",
        }
        for field in ContainerGroupSpec.model_fields
        if rules.rule_of(ContainerGroupSpec, field).create_only
    }
    resource = {
        "description": (
            "An Alibaba Cloud ECI container group, reconciled with the least disruptive correct change: "
            "nothing, an UpdateContainerGroup (IncrementalUpdate or RenewUpdate), or a replacement. "
            "Each input's description says what changing it does (docs/update-rules.md)."
        ),
        "inputProperties": inputs,
        "requiredInputs": list(spec.get("required", [])),
        "properties": {**OUTPUTS, **replaced},
        "required": _REQUIRED_OUTPUTS,
    }
    return {
        "name": PACKAGE,
        "displayName": "Alibaba Cloud ECI container groups",
        "version": version,
        "description": "ECI container groups, planned with the least disruptive correct change (eci-provider).",
        "license": "Apache-2.0",
        "keywords": ["pulumi", "alibabacloud", "eci", "category/cloud", "kind/native"],
        "config": {"variables": CONFIG},
        "provider": {"description": "The eci provider's settings.", "inputProperties": CONFIG},
        "types": types,
        "resources": {TYPE: resource},
        "language": {
            # Without respectSchemaVersion, a generated SDK says version 0.0.0 and asks the engine
            # for a plugin of that version.
            "python": {"packageName": "pulumi_eci", "respectSchemaVersion": True},
            "nodejs": {"packageName": "@eci-provider/pulumi-eci", "respectSchemaVersion": True},
        },
    }


def _token(model: str) -> str:
    return f"{PACKAGE}:index:{model}"


def _sentences() -> dict[tuple[str, str], str]:
    """(model, field) → what changing it does.  A model used in several places (a probe in an
    init container and in a container) gets one sentence per place, each naming its path."""
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for info in rules.walk(ContainerGroupSpec):
        found[(info.model.__name__, info.name)][info.path] = rules_doc.on_change(info)
    out = {}
    for key, by_path in found.items():
        texts = set(by_path.values())
        if len(texts) == 1:
            out[key] = texts.pop()
        else:
            out[key] = " ".join(f"In `{path}`: {text}" for path, text in by_path.items())
    return out


def _property(schema: Mapping[str, Any], rule_text: str | None) -> dict[str, Any]:
    """A JSON Schema property as a Pulumi schema property, its rule in the description."""
    out = _type_of(schema)
    words = [schema.get("description", "").strip(), *_constraints(schema)]
    if rule_text:
        words.append(rule_text)
    out["description"] = " ".join(w for w in words if w)
    if schema.get("x-secret") or (schema.get("writeOnly") and schema.get("format") == "password"):
        out["secret"] = True
    return out


def _type_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    options = [o for o in schema.get("anyOf", []) if o.get("type") != "null"]
    if options:
        return _type_of(options[0])
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS):
        return {"$ref": f"#/types/{_token(ref[len(_DEFS) :])}"}
    kind = schema.get("type")
    if kind == "array":
        return {"type": "array", "items": _type_of(schema.get("items", {}))}
    if kind == "object":
        return {"type": "object", "additionalProperties": _type_of(schema.get("additionalProperties", {}))}
    if kind in ("string", "integer", "number", "boolean"):
        return {"type": kind}
    raise ValueError(f"no Pulumi type for the JSON Schema {dict(schema)!r}")


def _constraints(schema: Mapping[str, Any]) -> list[str]:
    """The constraints a user must meet, in words (the provider's check enforces them)."""
    for option in schema.get("anyOf", []):
        if option.get("type") != "null":
            return _constraints(option)
    out = []
    if "enum" in schema:
        out.append("One of " + ", ".join(f"`{v}`" for v in schema["enum"]) + ".")
    if "const" in schema:
        out.append(f"Must be `{schema['const']}`.")
    for key, word in (("minimum", "At least"), ("exclusiveMinimum", "Above"), ("maximum", "At most")):
        if key in schema:
            out.append(f"{word} {schema[key]}.")
    low, high = schema.get("minItems"), schema.get("maxItems")
    if low is not None and high is not None:
        out.append(f"{low} to {high} items.")
    elif high is not None:
        out.append(f"At most {high} items.")
    elif low is not None:
        out.append(f"At least {low} items.")
    if "maxLength" in schema:
        out.append(f"At most {schema['maxLength']} characters.")
    if "pattern" in schema:
        out.append(f"Matches `{schema['pattern']}`.")
    return out
