"""The native plugin's glue, without the engine: values, identities, messages, the servicer's
error mapping, and the provider over an in-process emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pulumi.asset import StringAsset
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest, CreateRequest, DiffRequest

from eci_provider.cloud.errors import AuthError, InvalidRequestError, MalformedResponseError, WaitTimeout
from eci_provider.cloud.waiters import Cancelled
from eci_provider.native import TYPE, values
from eci_provider.native.errors import InitFailed, ProviderError, explain, is_anticipated
from eci_provider.native.provider import EciProvider, identity_of
from eci_provider.native.schema import package_schema
from eci_provider.native.server import _ours
from eci_provider.provider import sentinel

URN = f"urn:pulumi:dev::shop::{TYPE}::web"


def run(coroutine: Any) -> Any:
    """``coroutine`` on a loop of its own (``asyncio.run`` would leave the main thread without a
    current loop, which the mocked Pulumi programs of later tests need)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def test_values_round_trip_numbers_as_the_program_wrote_them() -> None:
    value = values.from_plain({"cpu": 1, "memory": 0.5, "tags": {"a": "b"}, "ports": [{"port": 80}], "x": None})
    assert value.value["cpu"].value == 1.0  # the engine carries floats
    plain = values.to_plain(value)
    assert plain == {"cpu": 1, "memory": 0.5, "tags": {"a": "b"}, "ports": [{"port": 80}], "x": None}
    assert isinstance(plain["cpu"], int) and isinstance(plain["memory"], float)


def test_secret_marks_become_paths_and_sentinels_become_secrets() -> None:
    inputs = {
        "name": PropertyValue("web"),
        "containers": PropertyValue([PropertyValue({"env": PropertyValue("pw", is_secret=True)})]),
        "tags": PropertyValue({"a": PropertyValue("b")}, is_secret=True),
    }
    assert values.secret_paths(inputs) == [["containers", 0, "env"], ["tags"]]
    assert values.to_plain_map(inputs)["containers"] == [{"env": "pw"}]
    marked = values.from_plain({"tags": sentinel.protect({"t": {"a": "b"}}, [["t"]])["t"]})
    assert marked.value["tags"].is_secret and marked.value["tags"].value["a"].value == "b"


def test_values_that_a_group_cannot_hold_name_their_path() -> None:
    with pytest.raises(values.NotPlainData, match=r"containers\[0\]\.image: a "):
        values.to_plain(
            PropertyValue({"containers": PropertyValue([PropertyValue({"image": PropertyValue(StringAsset("x"))})])})
        )


def test_the_identity_is_the_one_the_dynamic_program_passes() -> None:
    assert identity_of(URN) == "shop/dev/web"
    with pytest.raises(ValueError, match="not a resource URN"):
        identity_of("web")


@pytest.mark.parametrize(
    ("error", "first_words", "advice"),
    [
        (
            Cancelled("Cancelled", "create: stopped waiting for eci-1 (cancelled)"),
            "web: Cancelled: create",
            "pulumi up",
        ),
        (
            WaitTimeout("WaitTimeout", "create: eci-1 is still Pending after 2s"),
            "web: WaitTimeout: create",
            "customTimeouts",
        ),
        (AuthError("InvalidAccessKeyId", "no such key"), "web: the ECI API rejected the credentials", "accessKey"),
        (MalformedResponseError("Malformed", "not JSON"), "web: the ECI API sent an answer", "pulumi up"),
        (InvalidRequestError("InvalidParameter", "bad cpu"), "web: the ECI API rejected the request", "fix the spec"),
    ],
)
def test_a_runtime_error_says_what_happened_then_what_to_do(error: Exception, first_words: str, advice: str) -> None:
    text = explain(error, name="web")
    assert text.startswith(first_words) and advice in text and "\n" not in text
    assert is_anticipated(error)


def test_an_unexpected_error_is_called_a_bug() -> None:
    text = explain(KeyError("x"), name="web")
    assert "internal error" in text and "this is a bug" in text
    assert not is_anticipated(KeyError("x"))


def test_the_servicer_finds_our_error_through_the_sdks_rewrapping() -> None:
    ours = ProviderError("web: denied")
    try:
        try:
            raise ours
        except ProviderError as e:
            raise Exception("Unexpected") from e  # what the SDK's server does
    except Exception as outer:
        assert _ours(outer) is ours
    failed = InitFailed("eci-1", {}, ["still converging"])
    assert _ours(failed) is failed
    assert _ours(ValueError("x")) is None


def test_the_schema_version_is_the_plugins() -> None:
    assert package_schema("9.9.9")["version"] == "9.9.9"


# -- the provider over the embedded emulator ---------------------------------------------------


def configured(tmp_path: Path) -> EciProvider:
    provider = EciProvider(package_schema("0.1.0"))
    endpoint = f"embedded:{tmp_path / 'eci.sqlite'}?transition_seconds=0"
    variables = {"eci:config:region": "cn-hangzhou", "eci:config:endpoint": endpoint}
    run(provider.configure(ConfigureRequest(variables=variables, args={}, accept_secrets=True, accept_resources=False)))
    return provider


def inputs(**spec: Any) -> dict[str, PropertyValue]:
    base = {"name": "web", "containers": [{"name": "web", "image": "nginx:1.25"}], **spec}
    return values.from_plain_map(base)


def test_check_reports_each_mistake_on_its_field(tmp_path: Path) -> None:
    provider = configured(tmp_path)
    bad = inputs(cpu="lots", restart_policy="Sometimes", contaners=[])
    response = run(provider.check(CheckRequest(urn=URN, old_inputs={}, new_inputs=bad, random_seed=b"")))
    failures = {(f.property, f.reason) for f in response.failures}
    assert ("cpu", "must be a number") in failures
    assert ("restart_policy", "must be 'Always', 'Never' or 'OnFailure'") in failures
    assert any(
        p == "" and r.startswith("contaners: not an input") and "did you mean containers" in r for p, r in failures
    )


def test_create_then_diff_of_the_same_inputs_plans_nothing(tmp_path: Path) -> None:
    provider = configured(tmp_path)
    checked = run(provider.check(CheckRequest(urn=URN, old_inputs={}, new_inputs=inputs(), random_seed=b"")))
    assert checked.failures == []
    created = run(provider.create(CreateRequest(urn=URN, properties=checked.inputs or {}, timeout=60.0, preview=False)))
    assert created.resource_id and created.resource_id.startswith("eci-")
    outputs = created.properties or {}
    assert outputs["status"].value == "Running"
    diff = run(
        provider.diff(
            DiffRequest(
                urn=URN,
                resource_id=created.resource_id,
                old_state=outputs,
                new_inputs=checked.inputs or {},
                ignore_changes=[],
            )
        )
    )
    assert diff.changes is False
