"""One conformance suite for EciClient, run against the in-process and the loopback emulator,
with both signature versions: what works in process must work over real HTTP, and vice versa."""

from __future__ import annotations

import json

import pytest
from emulated import emulated, spec

from eci_provider.cloud.errors import IncorrectStatusError, InvalidRequestError, NoNeedUpdateError, NotFoundError

MODES = [("embedded", "v3"), ("embedded", "v1"), ("loopback", "v3"), ("loopback", "v1")]


@pytest.fixture(params=MODES, ids=[f"{m}-{s}" for m, s in MODES])
def env(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    mode, signature = request.param
    with emulated(mode, signature=signature, transition=0.05) as pair:
        yield pair


def test_create_wait_describe_delete(env) -> None:  # type: ignore[no-untyped-def]
    waiter, emulator = env
    gid = waiter.client.create_container_group(spec(), client_token="t-1")
    obs = waiter.wait_created(gid)
    assert obs.status == "Running" and obs.spec.name == "web" and obs.intranet_ip
    assert [c.name for c in obs.spec.containers] == ["web", "side"]
    assert waiter.client.create_container_group(spec(), client_token="t-1") == gid  # idempotent
    assert emulator.stats()["groups_created"] == 1
    assert waiter.delete_and_wait(gid) is True
    assert waiter.client.describe_container_groups([gid]) == []
    assert waiter.client.delete_container_group(gid, client_token="another-token") is False  # already gone


def test_update_both_types_and_wait(env) -> None:  # type: ignore[no-untyped-def]
    waiter, _ = env
    gid = waiter.client.create_container_group(spec(tags={"a": "1", "b": "2"}), client_token="t-2")
    waiter.wait_created(gid)
    waiter.update_when_ready(gid, "IncrementalUpdate", {"tags": {"c": "3"}})
    obs = waiter.wait_updated(gid, effect=lambda o: "c" in (o.spec.tags or {}))
    assert obs.spec.tags == {"a": "1", "b": "2", "c": "3"}  # merged
    waiter.update_when_ready(gid, "RenewUpdate", {"tags": {"a": "9"}})
    obs = waiter.wait_updated(gid, effect=lambda o: o.spec.tags == {"a": "9"})
    assert obs.spec.tags == {"a": "9"}  # replaced
    with pytest.raises(NoNeedUpdateError):
        waiter.client.update_container_group(gid, "RenewUpdate", {"tags": {"a": "9"}}, client_token="fresh")


def test_update_during_updating_waits(env) -> None:  # type: ignore[no-untyped-def]
    waiter, _ = env
    gid = waiter.client.create_container_group(spec(), client_token="t-3")
    waiter.wait_created(gid)
    waiter.client.update_container_group(gid, "IncrementalUpdate", {"restart_policy": "OnFailure"})
    with pytest.raises(IncorrectStatusError):  # the raw call is refused while Updating ...
        waiter.client.update_container_group(gid, "IncrementalUpdate", {"restart_policy": "Never"}, client_token="x")
    waiter.update_when_ready(gid, "IncrementalUpdate", {"restart_policy": "Never"})  # ... this waits
    assert waiter.wait_updated(gid, effect=lambda o: o.spec.restart_policy == "Never").spec.restart_policy == "Never"


def test_describe_pages_and_filters(env) -> None:  # type: ignore[no-untyped-def]
    waiter, _ = env
    ids = [
        waiter.client.create_container_group(spec(f"g{i}", tags={"batch": "x"}), client_token=f"p-{i}")
        for i in range(23)
    ]
    found = waiter.client.describe_container_groups(tags={"batch": "x"})
    assert sorted(g["ContainerGroupId"] for g in found) == sorted(ids)  # 2 pages of <= 20
    by_id = waiter.client.describe_container_groups([*ids, "eci-missing"])
    assert len(by_id) == 23
    assert waiter.client.describe_container_groups(name="g7")[0]["ContainerGroupId"] == ids[7]


def test_errors_are_typed(env) -> None:  # type: ignore[no-untyped-def]
    waiter, _ = env
    with pytest.raises(NotFoundError):
        waiter.client.update_container_group("eci-nope", "IncrementalUpdate", {"restart_policy": "Never"})
    with pytest.raises(InvalidRequestError) as info:
        waiter.client.request(
            "DescribeContainerGroups", {"ContainerGroupIds": json.dumps([f"e{i}" for i in range(21)])}
        )
    assert info.value.code.startswith("InvalidParameter")


def test_restart(env) -> None:  # type: ignore[no-untyped-def]
    waiter, _ = env
    gid = waiter.client.create_container_group(spec(), client_token="t-4")
    before = waiter.wait_created(gid).restart_counts
    waiter.client.restart_container_group(gid)
    after = waiter.wait_updated(gid, effect=lambda o: o.restart_counts["web"] > before["web"]).restart_counts
    assert all(after[n] == before[n] + 1 for n in ("web", "side"))
