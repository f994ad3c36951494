"""Drive the provider the way the Pulumi engine does, without the Pulumi CLI.

* :func:`register` runs a program under ``pulumi.runtime.set_mocks`` and returns exactly what the
  ``ContainerGroup`` resource registers (secret markers, ``__provider``, identity, secret paths).
* :class:`Engine` starts ``python -u -m pulumi.dynamic`` as a subprocess, as
  ``pulumi-resource-pulumi-python`` does, and speaks gRPC to it with the SDK's own stubs.  Like
  the engine, it strips secrets before every call (the provider answers acceptSecrets=false) and
  re-marks outputs with a port of ``annotateSecrets`` (pkg/resource/plugin/provider_plugin.go).

It follows the engine's side of Pulumi's provider protocol (``provider.proto``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pulumi
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

SIG = rpc._special_sig_key
SECRET_SIG = rpc._special_secret_sig
UNKNOWN = rpc.UNKNOWN
TYPE = "pulumi-python:dynamic/eci:ContainerGroup"
ROOT = Path(__file__).resolve().parent.parent


def secret(v: Any) -> dict[str, Any]:
    return {SIG: SECRET_SIG, "value": v}


def is_secret(v: Any) -> bool:
    return isinstance(v, dict) and v.get(SIG) == SECRET_SIG


def strip_secrets(v: Any) -> Any:
    """What the engine sends a provider that said acceptSecrets=false."""
    if is_secret(v):
        return strip_secrets(v["value"])
    if isinstance(v, dict):
        return {k: strip_secrets(x) for k, x in v.items()}
    if isinstance(v, list):
        return [strip_secrets(x) for x in v]
    return v


def contains_secrets(v: Any) -> bool:
    if is_secret(v):
        return True
    if isinstance(v, dict):
        return any(contains_secrets(x) for x in v.values())
    if isinstance(v, list):
        return any(contains_secrets(x) for x in v)
    return False


def annotate_secrets(outs: dict[str, Any], ins: Mapping[str, Any]) -> dict[str, Any]:
    """Port of annotateSecrets: an output is secret when the same-named input contained one."""
    for k, iv in ins.items():
        if k not in outs:
            continue
        ov = outs[k]
        if isinstance(ov, dict) and not is_secret(ov) and isinstance(iv, dict) and not is_secret(iv):
            annotate_secrets(ov, iv)
        elif not is_secret(ov) and contains_secrets(iv):
            outs[k] = secret(ov)
    return outs


def plain_text(v: Any) -> str:
    """Everything in ``v`` that is NOT inside a secret marker, as text (to search for leaks)."""
    if is_secret(v):
        return ""
    if isinstance(v, dict):
        return " ".join(f"{k} {plain_text(x)}" for k, x in v.items())
    if isinstance(v, list):
        return " ".join(plain_text(x) for x in v)
    return str(v)


def S(d: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(dict(d))
    return s


def D(s: struct_pb2.Struct) -> dict[str, Any]:
    return MessageToDict(s)


# --------------------------------------------------------------------------------------
# what a program registers
# --------------------------------------------------------------------------------------


def register(
    program: Callable[[], Any],
    *,
    project: str = "shop",
    stack: str = "dev",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> dict[str, dict[str, Any]]:
    """Run ``program`` under mocks; return ``{resource name: registered inputs}``."""
    captured: dict[str, dict[str, Any]] = {}

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            captured[args.name] = args.inputs
            return f"{args.name}-id", args.inputs

        def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
            return {}

    pulumi.runtime.set_mocks(Mocks(), project=project, stack=stack, preview=False)
    pulumi.runtime.set_all_config(dict(config or {}), secret_keys)

    @pulumi.runtime.test
    def run() -> Any:
        program()
        return pulumi.Output.from_input(1)

    run()
    return captured


# --------------------------------------------------------------------------------------
# the provider process, spoken to like the engine does
# --------------------------------------------------------------------------------------


@dataclass
class State:
    """One resource's checkpoint: id, inputs and outputs as the engine stores them."""

    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


@dataclass
class Engine:
    project: str = "shop"
    stack: str = "dev"
    env: dict[str, str] = field(default_factory=dict)
    stderr: list[str] = field(default_factory=list)
    wire_log: list[dict[str, Any]] = field(default_factory=list)

    def __enter__(self) -> Engine:
        env = dict(
            os.environ,
            PULUMI_PROJECT=self.project,
            PULUMI_CONFIG="{}",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            **self.env,
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic", "127.0.0.1:1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        port = int(self.proc.stdout.readline().strip())  # type: ignore[union-attr]
        # Drain stderr as it comes, as the engine does: a full pipe would block the provider.
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        return self

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line.rstrip("\n"))

    def __exit__(self, *exc: object) -> None:
        self.channel.close()
        self.proc.terminate()
        self.proc.wait(timeout=20)
        self._drain.join(timeout=20)

    def urn(self, name: str) -> str:
        return f"urn:pulumi:{self.stack}::{self.project}::{TYPE}::{name}"

    def _log(self, rpc_name: str, response: Any) -> None:
        self.wire_log.append({"rpc": rpc_name, "response": MessageToDict(response) if response is not None else None})

    # -- RPCs ---------------------------------------------------------------------------
    def configure(self, config: Mapping[str, Any]) -> Any:
        resp = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                args=S(config),
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                type="pulumi:providers:pulumi-python",
                name="default",
                urn=f"urn:pulumi:{self.stack}::{self.project}::pulumi:providers:pulumi-python::default",
                id="00000000-0000-0000-0000-000000000000",
            ),
            timeout=30,
        )
        self._log("Configure", resp)
        return resp

    def check(self, name: str, olds: Mapping[str, Any], news: Mapping[str, Any]) -> tuple[dict[str, Any], list[Any]]:
        resp = self.stub.Check(
            provider_pb2.CheckRequest(
                urn=self.urn(name),
                name=name,
                type=TYPE,
                olds=S(strip_secrets(dict(olds))),
                news=S(strip_secrets(dict(news))),
                randomSeed=b"\0" * 32,
            ),
            timeout=60,
        )
        self._log("Check", resp)
        return annotate_secrets(D(resp.inputs), news), [MessageToDict(f) for f in resp.failures]

    def diff(self, name: str, state: State, news: Mapping[str, Any]) -> Any:
        resp = self.stub.Diff(
            provider_pb2.DiffRequest(
                id=state.id,
                urn=self.urn(name),
                name=name,
                type=TYPE,
                olds=S(strip_secrets(state.outputs)),
                news=S(strip_secrets(dict(news))),
                old_inputs=S(strip_secrets(state.inputs)),
            ),
            timeout=60,
        )
        self._log("Diff", resp)
        return resp

    def create(self, name: str, inputs: Mapping[str, Any]) -> State:
        resp = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=self.urn(name),
                name=name,
                type=TYPE,
                properties=S(strip_secrets(dict(inputs))),
                timeout=600,
                preview=False,
            ),
            timeout=600,
        )
        self._log("Create", resp)
        return State(resp.id, dict(inputs), annotate_secrets(D(resp.properties), inputs))

    def update(self, name: str, state: State, news: Mapping[str, Any]) -> State:
        resp = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=state.id,
                urn=self.urn(name),
                name=name,
                type=TYPE,
                olds=S(strip_secrets(state.outputs)),
                news=S(strip_secrets(dict(news))),
                old_inputs=S(strip_secrets(state.inputs)),
                timeout=600,
                preview=False,
            ),
            timeout=600,
        )
        self._log("Update", resp)
        return State(state.id, dict(news), annotate_secrets(D(resp.properties), news))

    def read(self, name: str, state: State) -> State | None:
        resp = self.stub.Read(
            provider_pb2.ReadRequest(
                id=state.id,
                urn=self.urn(name),
                name=name,
                type=TYPE,
                properties=S(strip_secrets(state.outputs)),
                inputs=S(strip_secrets(state.inputs)),
            ),
            timeout=120,
        )
        self._log("Read", resp)
        if not resp.id:
            return None
        return State(
            resp.id, annotate_secrets(D(resp.inputs), state.inputs), annotate_secrets(D(resp.properties), state.outputs)
        )

    def delete(self, name: str, state: State) -> None:
        resp = self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=state.id,
                urn=self.urn(name),
                name=name,
                type=TYPE,
                properties=S(strip_secrets(state.outputs)),
                old_inputs=S(strip_secrets(state.inputs)),
                timeout=600,
            ),
            timeout=600,
        )
        self._log("Delete", resp)

    # -- steps, as the engine sequences them -------------------------------------------------
    def up(self, name: str, program_inputs: Mapping[str, Any], state: State | None) -> tuple[State, str, Any]:
        """Check, then create or diff + update/replace; returns (new state, step, diff response)."""
        checked, failures = self.check(name, state.inputs if state else {}, program_inputs)
        if failures:
            raise AssertionError(f"check failed: {failures}")
        if state is None:
            return self.create(name, checked), "create", None
        d = self.diff(name, state, checked)
        kind = provider_pb2.DiffResponse.DiffChanges.Name(d.changes)
        if kind == "DIFF_UNKNOWN":
            # The engine diffs old and new inputs itself; with none changed the step is "same"
            # and the provider's replaces are dropped (step_generator.go diffResource).
            if strip_secrets(state.inputs) == strip_secrets(checked):
                return State(state.id, checked, state.outputs), "same", d
            kind = "DIFF_SOME"
        if kind == "DIFF_NONE":
            return State(state.id, checked, state.outputs), "same", d
        if d.replaces:
            if d.deleteBeforeReplace:
                self.delete(name, state)
                return self.create(name, checked), "replace(delete-first)", d
            new = self.create(name, checked)
            self.delete(name, state)
            return new, "replace", d
        return self.update(name, state, checked), "update", d


def outputs_json(state: State) -> str:
    return json.dumps(state.outputs, sort_keys=True, default=str)
