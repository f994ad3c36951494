"""What a program's ``ContainerGroup`` does the same way through either front door.

The dynamic provider's resource (:mod:`.resource`) and the native plugin's
(:mod:`eci_provider.native.resource`, :mod:`eci_provider.native.provider`) take the same
inputs, tag groups with the same identity and name a mistyped input the same way; kept here
once so that the two doors cannot drift apart.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
from pydantic import BaseModel

from ..spec.model import revealed

__all__ = ["GroupOutputs", "copied", "did_you_mean", "given_inputs", "identity"]


class GroupOutputs:
    """The outputs a program reads from a ``ContainerGroup``, typed, on both doors' resources
    (the names are :data:`eci_provider.provider.state.OUTPUTS`; a test holds them together)."""

    container_group_id: pulumi.Output[str]
    region_id: pulumi.Output[str]
    status: pulumi.Output[str]
    intranet_ip: pulumi.Output[str]
    internet_ip: pulumi.Output[str | None]
    ipv6_address: pulumi.Output[str | None]
    events: pulumi.Output[list[dict[str, Any]]]
    restart_counts: pulumi.Output[dict[str, int]]
    cpu_memory: pulumi.Output[dict[str, float]]
    planned_change: pulumi.Output[str]


def identity(project: str, stack: str, name: str) -> str:
    """``project/stack/name``: what the owner tag of a first create is derived from."""
    return f"{project}/{stack}/{name}"


def copied(value: Any) -> Any:
    """The program's dicts and lists copied and models as their fields (Outputs are shared, not
    copied), so that wrapping secrets or adding inputs never changes the caller's objects."""
    if isinstance(value, BaseModel):
        return revealed(value)
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [copied(v) for v in value]
    return value


def given_inputs(spec: BaseModel | None, args: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """A ``ContainerGroup``'s inputs as the program gave them: a validated ``spec=``, then
    ``args``, then keyword arguments, each later one winning, all copied (:func:`copied`)."""
    props: dict[str, Any] = {}
    if spec is not None:
        props.update(revealed(spec))
    props.update(copied(dict(args or {})))
    props.update(copied(dict(kwargs)))
    return props


def did_you_mean(name: str, names: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``names``, or nothing."""
    close = difflib.get_close_matches(name, list(names), n=1)
    return f" (did you mean {close[0]}?)" if close else ""
