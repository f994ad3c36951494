"""Shared helpers: an emulator reached in process or over loopback HTTP, and a waiter (with its
client, ``waiter.client``) for it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from eci_provider.cloud.client import EciClient, RetryPolicy
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.waiters import PollPolicy, Waiter
from eci_provider.emulator import Emulator, EmulatorConfig, Faults, serve
from eci_provider.emulator.embedded import EmbeddedTransport
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules import model_of, rule_of

CREDS = Credentials("testid", "testsecret")
FAST_POLL = PollPolicy(initial=0.02, fraction=0.15, maximum=0.2, not_found_grace=5.0, grid=0.0)
FAST_RETRY = RetryPolicy(max_attempts=12, base_delay=0.005, max_delay=0.05, deadline=30.0)


@contextlib.contextmanager
def emulated(
    mode: str,
    db_path: str = ":memory:",
    *,
    transition: float = 0.0,
    faults: Faults | None = None,
    signature: str = "v3",
    retry: RetryPolicy = FAST_RETRY,
) -> Iterator[tuple[Waiter, Emulator]]:
    """A waiter wired to a fresh emulator, in process (``embedded``) or over HTTP (``loopback``)."""
    config = EmulatorConfig(db_path=db_path, transition_seconds=transition, faults=faults or Faults())
    emulator = Emulator(config)
    server = None
    if mode == "loopback":
        server = serve(emulator)
        client = EciClient(
            "cn-hangzhou",
            endpoint=server.url,
            credentials=CREDS,
            retry=retry,
            signature_version=signature,
        )
    else:
        client = EciClient(
            "cn-hangzhou",
            endpoint="https://eci.in-process.invalid",
            credentials=CREDS,
            transport=EmbeddedTransport(emulator),
            retry=retry,
            signature_version=signature,
        )
    try:
        yield Waiter(client, poll=FAST_POLL), emulator
    finally:
        client.close()
        if server is not None:
            server.shutdown()
        emulator.close()


def stored_spec(emulator: Emulator, group_id: str) -> ContainerGroupSpec:
    """The full spec the emulator holds, write-only values included (tests only)."""
    with emulator.store.transaction() as tx:
        for g in tx.groups():
            if g.id == group_id:
                return g.model()
    raise KeyError(group_id)


def effective_spec(emulator: Emulator, group_id: str, observed: ContainerGroupSpec) -> ContainerGroupSpec:
    """The stored spec, with each service-chosen (computed) field that was never requested
    taken from what Describe reports.  The stored spec alone would count a size the service
    derived (group Cpu from the containers' sums) as unset, although the cloud reports it."""
    stored = stored_spec(emulator, group_id)
    return ContainerGroupSpec.model_validate(_fill_computed(stored, observed), context={"observed": True})


def _fill_computed(stored: BaseModel, observed: BaseModel | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in type(stored).model_fields.items():
        mine, theirs = getattr(stored, name), getattr(observed, name, None) if observed else None
        if mine is None and theirs is not None and rule_of(type(stored), name).computed:
            out[name] = theirs.model_dump() if isinstance(theirs, BaseModel) else theirs
        elif isinstance(mine, BaseModel):
            out[name] = _fill_computed(mine, theirs if isinstance(theirs, BaseModel) else None)
        elif isinstance(mine, list) and model_of(info.annotation) is not None:
            by_name = {getattr(x, "name", i): x for i, x in enumerate(theirs or ())}
            out[name] = [_fill_computed(x, by_name.get(getattr(x, "name", i))) for i, x in enumerate(mine)]
        else:
            out[name] = mine
    return out


def spec(name: str = "web", **extra: Any) -> ContainerGroupSpec:
    data: dict[str, Any] = {
        "name": name,
        "tags": {"app": name},
        "containers": [
            {"name": "web", "image": "nginx:1.25", "ports": [{"port": 80}]},
            {"name": "side", "image": "fluent-bit:3"},
        ],
    }
    data.update(extra)
    return ContainerGroupSpec.model_validate(data)
