"""``ContainerGroup`` of the native plugin, for a Python program that has no generated SDK.

It registers ``eci:index:ContainerGroup`` with the inputs as given; the plugin checks them (a
wrong name or value comes back as a per-field check failure), marks what is secret, and plans.
The program side does nothing else, so that a generated SDK (``pulumi package gen-sdk``) and
this class are interchangeable.  Outputs are those of the dynamic provider's ``ContainerGroup``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from ..provider.program import GroupOutputs, given_inputs
from ..provider.state import OUTPUTS
from ..spec.model import ContainerGroupSpec
from . import TYPE

__all__ = ["ContainerGroup"]


class ContainerGroup(pulumi.CustomResource, GroupOutputs):
    """An ECI container group served by the ``eci`` plugin (``pulumi-resource-eci``).

    Inputs are the fields of :class:`~eci_provider.spec.model.ContainerGroupSpec` by their
    snake_case names, as ``args``, keyword arguments or ``spec=``, as for the dynamic provider's
    :class:`eci_provider.provider.ContainerGroup`.
    """

    def __init__(
        self,
        resource_name: str,
        args: Mapping[str, Any] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        spec: ContainerGroupSpec | None = None,
        **kwargs: Any,
    ) -> None:
        props = given_inputs(spec, args, kwargs)
        for key in OUTPUTS:
            props.setdefault(key, None)
        # The plan and views (`__check`) are for tools; `planned_change` says it in a preview.
        own = pulumi.ResourceOptions(hide_diffs=["__check"])
        super().__init__(TYPE, resource_name, props, pulumi.ResourceOptions.merge(opts, own))
