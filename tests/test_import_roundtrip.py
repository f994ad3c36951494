"""Round trip: a group made by someone else is imported, and the result declares it exactly.

Each generated spec is created with the official Alibaba SDK (a real client, not ours) against
the emulator, imported through the CLI's entry point, and checked by
:func:`import_program.check_declares`: the Python program's keyword values equal the document's
spec, and, with its placeholders filled in, that spec validates and plans no change against
the group as the provider observes it, the placeholders being exactly the values the plan could
not compare.  The emulator runs in this process: the SDK reaches it over loopback, the import
through the ``embedded:`` endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as sdk_models
from alibabacloud_eci20180808.client import Client as SdkClient
from alibabacloud_tea_openapi.models import Config as SdkConfig
from hypothesis import HealthCheck, given, settings
from import_program import check_declares, program_groups, run_import
from pydantic import SecretStr
from strategies import spec_dicts

from eci_provider.cloud.client import EciClient
from eci_provider.cloud.credentials import Credentials
from eci_provider.cloud.wire import Observed, observe, to_api_tree
from eci_provider.emulator import RunningServer, serve
from eci_provider.emulator.embedded import clear_embedded_cache, embedded_emulator, embedded_transport
from eci_provider.importer import convert
from eci_provider.importer.convert import Draft
from eci_provider.spec.model import ContainerGroupSpec

REGION = "cn-hangzhou"
ROUND_TRIPS = 50


class Cloud:
    """One emulator: the SDK's way in (loopback), the import's (``embedded:``), and ours (to observe)."""

    def __init__(self, db: Path) -> None:
        self.spec = f"{db}?transition_seconds=0"
        self.endpoint = "embedded:" + self.spec
        self.server: RunningServer = serve(embedded_emulator(self.spec))
        self.sdk = SdkClient(
            SdkConfig(
                access_key_id="testid",
                access_key_secret="testsecret",
                region_id=REGION,
                endpoint=f"127.0.0.1:{self.server.port}",
                protocol="http",
            )
        )
        self.client = EciClient(
            REGION,
            endpoint="http://eci.embedded.invalid",
            credentials=Credentials("testid", "testsecret"),
            transport=embedded_transport(self.spec),
        )

    def create_with_sdk(self, spec: ContainerGroupSpec) -> str:
        tree = _plain(to_api_tree(spec))
        tree["RegionId"] = REGION
        request = sdk_models.CreateContainerGroupRequest().from_map(tree)
        return str(self.sdk.create_container_group(request).body.container_group_id)

    def observed(self, gid: str) -> Observed:
        (group,) = self.client.describe_container_groups([gid])
        return observe(group)

    def close(self) -> None:
        self.client.close()
        self.server.shutdown()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cloud]:
    with pytest.MonkeyPatch.context() as env:
        for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ECI_ENDPOINT"):
            env.delenv(name, raising=False)
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
            env.delenv(name, raising=False)
        clear_embedded_cache()
        running = Cloud(tmp_path_factory.mktemp("import") / "eci.sqlite")
        yield running
        running.close()
        clear_embedded_cache()


def round_trip(cloud: Cloud, original: dict[str, Any]) -> None:
    spec = ContainerGroupSpec.model_validate(original)
    gid = cloud.create_with_sdk(spec)
    status, source, err = run_import("--id", gid, "--endpoint", cloud.endpoint, "--region", REGION)
    assert (status, err) == (0, ""), err
    status, text, err = run_import("--id", gid, "--endpoint", cloud.endpoint, "--region", REGION, "--format", "json")
    assert (status, err) == (0, ""), err
    (program,) = program_groups(source)
    (group,) = json.loads(text)["groups"]
    try:
        check_declares(group, program, cloud.observed(gid), original)
    finally:  # one group at a time: a fixed private IP drawn again must be free
        cloud.client.delete_container_group(gid, force=True)


@settings(max_examples=ROUND_TRIPS, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(original=spec_dicts(sdk_compatible=True, max_containers=3))
def test_imported_groups_declare_what_the_sdk_created(cloud: Cloud, original: dict[str, Any]) -> None:
    round_trip(cloud, original)


# --------------------------------------------------------------------------------------
# the check can fail
# --------------------------------------------------------------------------------------

KNOWN = {
    "name": "known-group",
    "restart_policy": "Never",
    "tags": {"team": "shop"},
    "volumes": [
        {
            "name": "cfg",
            "type": "ConfigFileVolume",
            "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "aGVsbG8="}]},
        }
    ],
    "containers": [
        {
            "name": "web",
            "image": "nginx:1.27",
            "ports": [{"port": 80}],
            "volume_mounts": [{"name": "cfg", "mount_path": "/etc/app"}],
        }
    ],
}


def _dropping(key: str) -> Any:
    def drop(d: Draft) -> None:
        d.spec.pop(key)

    return drop


def _unlisted_placeholder(d: Draft) -> None:
    """The placeholder is gone from the spec, but still listed."""
    d.spec["volumes"][0]["config_file_volume"]["config_file_to_paths"][0].pop("content")


def _forgotten_placeholder(d: Draft) -> None:
    """The write-only value is forgotten altogether: the plan alone would not notice."""
    _unlisted_placeholder(d)
    d.slots.clear()


def _change_image(d: Draft) -> None:
    d.spec["containers"][0]["image"] = "nginx:1.26"


@pytest.mark.parametrize(
    "damage",
    [_dropping("restart_policy"), _dropping("tags"), _unlisted_placeholder, _forgotten_placeholder, _change_image],
    ids=["dropped-field", "dropped-tags", "unlisted-placeholder", "forgotten-placeholder", "changed-value"],
)
def test_the_round_trip_catches_a_wrong_import(cloud: Cloud, monkeypatch: pytest.MonkeyPatch, damage: Any) -> None:
    round_trip(cloud, KNOWN)  # undamaged, it passes
    real = convert.draft

    def damaged(observed: Observed) -> Draft:
        d = real(observed)
        damage(d)
        return d

    monkeypatch.setattr("eci_provider.importer.draft", damaged)
    with pytest.raises(AssertionError):
        round_trip(cloud, KNOWN)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, SecretStr):
        return node.get_secret_value()
    return node
