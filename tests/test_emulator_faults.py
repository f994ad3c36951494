"""Fault injection, ClientToken idempotency, the embedded transport, admin endpoints and counters."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from emulator_helpers import HOST, Api, ApiCallError, FakeClock, make_emulator, web_spec

from eci_provider.cloud import wire
from eci_provider.emulator import DroppedResponse, Emulator, EmulatorConfig, Faults, embedded_transport, serve
from eci_provider.emulator.embedded import clear_embedded_cache, embedded_emulator, parse_spec
from eci_provider.emulator.faults import FaultInjector
from eci_provider.spec.model import ContainerGroupSpec


@pytest.fixture
def api(clock: FakeClock) -> Api:
    return Api(make_emulator(clock, transition_seconds=0.0))


@pytest.fixture(autouse=True)
def _fresh_embedded_cache() -> Iterator[None]:
    clear_embedded_cache()
    yield
    clear_embedded_cache()


def create_params(name: str = "web-app") -> dict[str, str]:
    params = wire.to_create_params(ContainerGroupSpec.model_validate(web_spec(name=name)), "cn-hangzhou")
    del params["RegionId"]
    return params


# --------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------


def test_throttling_has_no_effect_and_can_carry_retry_after(api: Api) -> None:
    api.emulator.set_faults(throttle_rate=1.0)
    r = api.send("CreateContainerGroup", create_params())
    assert (r.status_code, r.json()["Code"]) == (400, "Throttling")
    assert "x-acs-retry-after" not in r.headers
    api.emulator.set_faults(retry_after_ms=1500)
    r = api.send("DescribeContainerGroups", {})
    assert r.headers["x-acs-retry-after"] == "1500"
    api.emulator.set_faults(throttle_rate=0.0)
    assert api.describe()["TotalCount"] == 0
    stats = api.emulator.stats()
    assert stats["faults"]["throttle"] == 2 and stats["groups_created"] == 0
    assert stats["requests"] == {"CreateContainerGroup": 1, "DescribeContainerGroups": 2}


def test_server_errors_have_no_effect(api: Api) -> None:
    api.emulator.set_faults(error_5xx_rate=1.0)
    seen = set()
    for _ in range(12):
        r = api.send("CreateContainerGroup", create_params())
        seen.add((r.status_code, r.json()["Code"]))
    assert seen == {(500, "InternalError"), (503, "ServiceUnavailable")}
    api.emulator.set_faults(error_5xx_rate=0.0)
    assert api.describe()["TotalCount"] == 0
    assert api.emulator.stats()["faults"]["error_5xx"] == 12


def test_latency_uses_the_injected_sleep(clock: FakeClock) -> None:
    slept: list[float] = []
    emu = Emulator(EmulatorConfig(faults=Faults(latency_seconds=0.25)), clock=clock, sleep=slept.append)
    Api(emu).describe()
    assert slept == [0.25] and emu.stats()["faults"]["latency"] == 1


def test_rates_are_reproducible_with_a_seed() -> None:
    def rolls(seed: int) -> list[bool]:
        injector = FaultInjector(Faults(throttle_rate=0.5, seed=seed))
        return [injector.roll(0.5) for _ in range(32)]

    assert rolls(7) == rolls(7)
    assert rolls(7) != rolls(8)
    assert 4 < sum(rolls(7)) < 28


def test_fault_rates_are_validated() -> None:
    with pytest.raises(ValueError):
        Faults(throttle_rate=1.5)
    with pytest.raises(ValueError):
        Faults(latency_seconds=-1)


def test_visibility_delay_hides_new_groups_from_describe_only(api: Api, clock: FakeClock) -> None:
    api.emulator.set_faults(visibility_delay_seconds=5)
    gid = api.create(web_spec())
    assert api.describe()["TotalCount"] == 0
    listed = api.emulator.groups()
    assert [(g["ContainerGroupId"], g["Visible"]) for g in listed] == [(gid, False)]
    api.update(gid, {"Tag.1.Key": "a", "Tag.1.Value": "b"}, "IncrementalUpdate")  # the ID itself works
    clock.advance(5)
    assert api.group(gid) is not None


def test_dropped_create_response_in_process_then_retry_with_client_token(api: Api) -> None:
    emu = api.emulator
    emu.set_faults(drop_create_response_rate=1.0)
    params = {**create_params(), "ClientToken": "token-1"}
    with pytest.raises(DroppedResponse):
        api.send("CreateContainerGroup", params)
    assert [g["Status"] for g in emu.groups()] == ["Running"]  # committed
    emu.set_faults(drop_create_response_rate=0.0)
    gid = api.call("CreateContainerGroup", params)["ContainerGroupId"]
    assert [g["ContainerGroupId"] for g in emu.groups()] == [gid]
    stats = emu.stats()
    assert stats["groups_created"] == 1 and stats["faults"]["drop_create_response"] == 1


def test_embedded_transport_turns_a_drop_into_read_error(tmp_path: Path) -> None:
    spec = f"{tmp_path / 'e.db'}?drop_create_response_rate=1&transition_seconds=0"
    api = Api(embedded_emulator(spec))
    api.http = httpx.Client(transport=embedded_transport(spec), base_url=f"http://{HOST}")
    with pytest.raises(httpx.ReadError):
        api.send("CreateContainerGroup", create_params())
    assert len(api.emulator.groups()) == 1
    assert api.describe()["TotalCount"] == 1  # other actions are not dropped


def test_dropped_create_response_over_http_closes_the_connection() -> None:
    server = serve(EmulatorConfig(faults=Faults(drop_create_response_rate=1.0)))
    try:
        api = Api(server.emulator)
        signed = api.v1_params("CreateContainerGroup", {"RegionId": "cn-hangzhou", **create_params()})
        from urllib.parse import quote, urlencode

        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/?" + urlencode(signed, quote_via=quote))
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            conn.getresponse()
        conn.close()
        assert len(server.emulator.groups()) == 1
    finally:
        server.shutdown()


# --------------------------------------------------------------------------------------
# ClientToken idempotency
# --------------------------------------------------------------------------------------


def test_client_token_returns_the_original_response(api: Api, clock: FakeClock) -> None:
    params = {**create_params(), "ClientToken": "abc"}
    first = api.call("CreateContainerGroup", params)
    second = api.call("CreateContainerGroup", params)
    assert first["ContainerGroupId"] == second["ContainerGroupId"]
    assert first["RequestId"] != second["RequestId"]
    assert api.emulator.stats()["groups_created"] == 1
    other_region = Api(api.emulator, region="cn-beijing")
    assert other_region.call("CreateContainerGroup", params)["ContainerGroupId"] != first["ContainerGroupId"]
    clock.advance(86400 + 1)  # the token expired
    assert api.call("CreateContainerGroup", params)["ContainerGroupId"] != first["ContainerGroupId"]


def test_client_token_with_different_parameters_is_rejected(api: Api) -> None:
    api.call("CreateContainerGroup", {**create_params(), "ClientToken": "abc"})
    with pytest.raises(ApiCallError) as e:
        api.call("CreateContainerGroup", {**create_params("other"), "ClientToken": "abc"})
    assert e.value.code == "IdempotentParameterMismatch"


def test_client_token_makes_delete_and_restart_retries_safe(api: Api) -> None:
    gid = api.create(web_spec())
    api.call("RestartContainerGroup", ContainerGroupId=gid, ClientToken="r1")
    api.call("RestartContainerGroup", ContainerGroupId=gid, ClientToken="r1")  # no IncorrectStatus: replayed
    api.call("DeleteContainerGroup", ContainerGroupId=gid, ClientToken="d1")
    api.call("DeleteContainerGroup", ContainerGroupId=gid, ClientToken="d1")  # no NotFound: replayed
    with pytest.raises(ApiCallError) as e:
        api.call("DeleteContainerGroup", ContainerGroupId=gid, ClientToken="d2")
    assert e.value.code == "InvalidParameter.NotFound"


def test_a_failed_call_does_not_consume_its_client_token(api: Api) -> None:
    bad = {**create_params(), "Container.1.Port.1.Port": "0", "ClientToken": "t"}
    with pytest.raises(ApiCallError):
        api.call("CreateContainerGroup", bad)
    bad["Container.1.Port.1.Port"] = "80"
    assert api.call("CreateContainerGroup", bad)["ContainerGroupId"].startswith("eci-")


def test_client_token_format(api: Api) -> None:
    with pytest.raises(ApiCallError) as e:
        api.call("CreateContainerGroup", {**create_params(), "ClientToken": "x" * 65})
    assert e.value.code == "InvalidParameter" and "ClientToken" in e.value.body["Message"]


# --------------------------------------------------------------------------------------
# Embedded emulators, admin endpoints
# --------------------------------------------------------------------------------------


def test_embedded_specs_are_parsed_strictly(tmp_path: Path) -> None:
    path, options = parse_spec("x.db?transition_seconds=2&throttle_rate=0.5")
    assert (
        path.endswith("x.db")
        and path.startswith("/")
        and options == {"transition_seconds": "2", "throttle_rate": "0.5"}
    )
    emu = embedded_emulator(f"{tmp_path / 'a.db'}?transition_seconds=2&throttle_rate=0.5&latency=0.1&seed=3")
    assert emu.config.transition_seconds == 2.0
    assert (emu.faults.throttle_rate, emu.faults.latency_seconds, emu.faults.seed) == (0.5, 0.1, 3)
    for bad in ("x.db?colour=blue", "x.db?throttle_rate=lots", "x.db?throttle_rate=2", "?seed=1", "x.db?seed=1&seed=2"):
        with pytest.raises(ValueError):
            embedded_emulator(bad)


def test_embedded_emulators_are_shared_per_path_and_options(tmp_path: Path) -> None:
    a = embedded_emulator(str(tmp_path / "a.db"))
    assert embedded_emulator(str(tmp_path / "a.db")) is a
    assert embedded_emulator(str(tmp_path / "a.db") + "?seed=1") is not a
    assert embedded_emulator(str(tmp_path / "b.db")) is not a
    assert embedded_emulator(":memory:") is embedded_emulator(":memory:")


def test_embedded_credentials_option(tmp_path: Path) -> None:
    emu = embedded_emulator(f"{tmp_path / 'c.db'}?access_key_id=me&access_key_secret=s3cret")
    assert "s3cret" not in repr(emu.config)
    assert Api(emu, access_key_id="me", secret="s3cret").describe()["TotalCount"] == 0
    with pytest.raises(ValueError):
        embedded_emulator(f"{tmp_path / 'c.db'}?access_key_id=me")


def test_embedded_transport_is_thread_safe(tmp_path: Path) -> None:
    spec = f"{tmp_path / 't.db'}?transition_seconds=0"
    failures: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            api = Api(embedded_emulator(spec))
            api.http = httpx.Client(transport=embedded_transport(spec), base_url=f"http://{HOST}")
            for i in range(5):
                gid = api.create(web_spec(name=f"t{n}-{i}"))
                api.update(gid, {"Tag.1.Key": "n", "Tag.1.Value": str(i)}, "IncrementalUpdate")
                api.describe()
        except BaseException as e:  # pragma: no cover - reported below
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    stats = embedded_emulator(spec).stats()
    assert stats["groups_created"] == 20 and stats["requests"]["UpdateContainerGroup"] == 20


def test_admin_endpoints(api: Api) -> None:
    gid = api.create(web_spec(image_registry_credentials=[{"server": "r.io", "user_name": "u", "password": "pw-1"}]))
    api.describe()
    stats = api.http.get("/__emulator/stats").json()
    assert stats["requests"] == {"CreateContainerGroup": 1, "DescribeContainerGroups": 1}
    assert stats["groups_created"] == 1 and stats["groups"] == {"total": 1, "by_status": {"Running": 1}}
    groups = api.admin_get("groups").json()["ContainerGroups"]
    assert [g["ContainerGroupId"] for g in groups] == [gid]
    assert groups[0]["Spec"]["image_registry_credentials"][0]["password"] == "**********"
    assert api.emulator.stats() == api.http.get("/__emulator/stats").json()


def test_force_status_validates_its_arguments(api: Api) -> None:
    gid = api.create(web_spec())
    with pytest.raises(ValueError):
        api.emulator.force_status(gid, "Sleeping")
    with pytest.raises(KeyError):
        api.emulator.force_status("eci-nope", "Failed")
