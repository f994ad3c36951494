"""The native Pulumi provider plugin ``pulumi-resource-eci``: a second front door.

The dynamic provider (:mod:`eci_provider.provider.dynamic`) stays the default.  This plugin
serves the resource ``eci:index:ContainerGroup`` from the same operations
(:mod:`eci_provider.provider.operations`: the same spec models, the same ``plan_step``, the same
state contract, client, await logic, secrets rules and owner-tag adoption), through Pulumi's
provider protocol, which gives what the dynamic one cannot: ``pulumi import``, operations
limited only by ``--parallel``, Cancel (Ctrl-C) that stops the waits, ``customTimeouts``,
secrets the engine keeps encrypted, and errors without a Python traceback.

* :mod:`.server`: the process the engine starts (``pulumi-resource-eci``, ``python -m
  eci_provider.native``);
* :mod:`.provider`: the requests mapped onto the operations;
* :mod:`.values`: property values to plain data and back;
* :mod:`.errors`: what a failure tells the user;
* :mod:`.schema`: the Pulumi package schema, for ``pulumi package gen-sdk``;
* :mod:`.resource`: ``ContainerGroup`` for a Python program, without a generated SDK.
"""

from __future__ import annotations

__all__ = ["TYPE"]

#: The resource type token.
TYPE = "eci:index:ContainerGroup"
