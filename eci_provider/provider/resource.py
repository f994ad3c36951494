"""The ``ContainerGroup`` resource: what a Pulumi program declares.

This side runs in the program's process.  It checks the input names (a typo fails the program
with one line, before anything is registered), marks values secret by type as secret, records
which values the program marked secret (the provider sees them in plain text and must mask
them), and registers the resource with :class:`~.dynamic.ContainerGroupProvider`.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource
from typing_extensions import Unpack

from ..spec.args import ContainerGroupArgs
from ..spec.model import ContainerGroupSpec
from .adoption import ADOPT_ID, ADOPT_REPLACE, ADOPT_SEND_WRITE_ONLY, INPUTS
from .dynamic import ContainerGroupProvider
from .operations import IDENTITY, SECRET_PATHS, SUMMARY
from .program import GroupOutputs, did_you_mean, given_inputs, identity
from .sentinel import typed_secret_slots
from .state import CHECK, SECRET_STATE
from .state import OUTPUTS as PROGRAM_OUTPUTS

__all__ = ["ContainerGroup", "UnknownInputs", "provider_size"]

SPEC_FIELDS = tuple(ContainerGroupSpec.model_fields)
#: Outputs the provider computes, by name (the spec itself is not echoed: the engine keeps the
#: inputs); ``planned_change`` is an input the provider's check fills.
OUTPUTS = tuple(name for name in PROGRAM_OUTPUTS if name != SUMMARY)


class ContainerGroup(Resource, GroupOutputs, module="eci", name="ContainerGroup"):
    """An ECI container group, reconciled with the least disruptive correct change.

    Inputs are the fields of :class:`~eci_provider.spec.model.ContainerGroupSpec` by their snake_case
    names (see ``eci_provider.spec.args.ContainerGroupArgs`` for the typed form), given as ``args``,
    as keyword arguments, or as a ``spec=ContainerGroupSpec(...)``.

    ``adopt_id="eci-…"`` takes an existing group over instead of creating one (never sent to the
    API; see :mod:`eci_provider.provider.adoption`): the first ``pulumi up`` plans the group as it
    is to this spec, refuses if that needs a replacement (unless ``adopt_replace=True``), takes
    write-only values as declared (unless ``adopt_send_write_only=True``), and tags the group as
    this resource's.  Once adopted, the inputs are inert and can be removed.
    """

    def __init__(
        self,
        resource_name: str,
        args: ContainerGroupArgs | Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        spec: ContainerGroupSpec | None = None,
        adopt_id: pulumi.Input[str] | None = None,
        adopt_replace: bool | None = None,
        adopt_send_write_only: bool | None = None,
        **kwargs: Unpack[ContainerGroupArgs],
    ) -> None:
        props = given_inputs(spec, args, kwargs)
        adopt = {k: props.pop(k) for k in INPUTS if k in props}  # also accepted among ``args``
        given = {ADOPT_ID: adopt_id, ADOPT_REPLACE: adopt_replace, ADOPT_SEND_WRITE_ONLY: adopt_send_write_only}
        adopt.update({k: v for k, v in given.items() if v is not None})
        unknown = sorted(k for k in props if k not in SPEC_FIELDS)
        if unknown:
            raise UnknownInputs(resource_name, unknown)
        _wrap_typed_secrets(props)
        found: _Found = []
        _find_outputs(props, (), found)
        props.update({k: v for k, v in adopt.items() if v is not None})
        props[IDENTITY] = identity(pulumi.get_project(), pulumi.get_stack(), resource_name)
        props[SECRET_PATHS] = _secret_paths(found)
        for key in (*OUTPUTS, SUMMARY):
            props.setdefault(key, None)
        secret_outputs = [SECRET_STATE]
        # The structured plan and the redacted views are for tools (preview-comment); in
        # `pulumi preview --diff` the one-line planned_change and the diagnostics say it all.
        own = pulumi.ResourceOptions(additional_secret_outputs=secret_outputs, hide_diffs=[CHECK])
        opts = pulumi.ResourceOptions.merge(opts, own)
        super().__init__(ContainerGroupProvider(), resource_name, props, opts)


class UnknownInputs(pulumi.RunError, TypeError):
    """Inputs that are not ContainerGroupSpec fields, caught in the program before any call.

    A ``pulumi.RunError``, so that the engine prints the message alone rather than a Python
    traceback (a typo is a user's mistake, not a crash); a ``TypeError``, because that is what
    a wrong keyword is in Python.
    """

    def __init__(self, resource_name: str, names: Sequence[str]) -> None:
        hints = []
        for name in names:
            hints.append(name + did_you_mean(name, (*SPEC_FIELDS, *INPUTS)))
        super().__init__(
            f"ContainerGroup({resource_name!r}): unknown input(s) {', '.join(hints)}; "
            "the inputs are the ContainerGroupSpec fields listed in schema.json (and adopt_id, adopt_replace, "
            "adopt_send_write_only)"
        )
        self.names = tuple(names)


def _wrap_typed_secrets(props: dict[str, Any]) -> None:
    """Registry passwords and config-file contents are secret whether or not the program says so."""
    for parent, key in list(typed_secret_slots(props)):
        parent[key] = pulumi.Output.secret(parent[key])


_Found = list[tuple[list[str | int], pulumi.Output[Any]]]


def _find_outputs(value: Any, path: tuple[str | int, ...], found: _Found) -> None:
    if isinstance(value, pulumi.Output):
        found.append((list(path), value))
    elif isinstance(value, dict):
        for k, v in value.items():
            _find_outputs(v, (*path, str(k)), found)
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _find_outputs(v, (*path, i), found)


async def _secret_paths(found: _Found) -> list[list[str | int]]:
    """Which inputs the program marked secret, as lists of segments (a tag key may hold dots),
    so the provider can mask their values in plans and outputs (it sees them in plain text)."""
    return [path for path, out in found if await out.is_secret()]


def provider_size() -> tuple[int, bool]:
    """Size of the serialized provider as stored in every resource's state, and whether any
    secret-looking value is inside it (for tests and the provider benchmark)."""
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(ContainerGroupProvider())
    raw = base64.b64decode(blob)
    return len(blob), any(s.encode() in raw for s in ("accessKeySecret", "testsecret", "password"))
