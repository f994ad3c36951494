"""The official Alibaba SDK, unchanged, against the emulator over real HTTP on 127.0.0.1.

Run with both signature algorithms: ``signature_algorithm="v2"`` (the V1 HMAC-SHA1 RPC
signature) and the SDK default (V3, ACS3-HMAC-SHA256).  The SDK is a test-only dependency.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from alibabacloud_eci20180808 import models as m
from alibabacloud_eci20180808.client import Client
from alibabacloud_tea_openapi.exceptions import ClientException
from alibabacloud_tea_openapi.models import Config

from eci_provider.emulator import EmulatorConfig, RunningServer, serve

REGION = "cn-hangzhou"


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    running = serve(EmulatorConfig(transition_seconds=0.05), port=0)
    yield running
    running.shutdown()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def client(server: RunningServer, algorithm: str | None, secret: str = "testsecret") -> Client:
    return Client(
        Config(
            access_key_id="testid",
            access_key_secret=secret,
            region_id=REGION,
            endpoint=f"127.0.0.1:{server.port}",
            protocol="http",
            signature_algorithm=algorithm,
        )
    )


def describe(c: Client, gid: str) -> Any:
    body = c.describe_container_groups(
        m.DescribeContainerGroupsRequest(region_id=REGION, container_group_ids=f'["{gid}"]', with_event=True)
    ).body
    return body.container_groups[0] if body.container_groups else None


def wait_running(c: Client, gid: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        group = describe(c, gid)
        if group is not None and group.status == "Running":
            return group
        assert time.monotonic() < deadline, f"{gid} is {group.status if group else 'absent'}"
        time.sleep(0.02)


def restart_counts(group: Any) -> dict[str, int]:
    return {c.name: c.restart_count for c in group.containers}


@pytest.mark.parametrize("algorithm", ["v2", None], ids=["v1-hmac-sha1", "v3-acs3-hmac-sha256"])
def test_sdk_lifecycle(server: RunningServer, algorithm: str | None) -> None:
    c = client(server, algorithm)
    created = c.create_container_group(
        m.CreateContainerGroupRequest(
            region_id=REGION,
            container_group_name=f"sdk-{algorithm or 'v3'}",
            restart_policy="Always",
            tag=[m.CreateContainerGroupRequestTag(key="team", value="shop")],
            volume=[
                m.CreateContainerGroupRequestVolume(
                    name="cfg",
                    type="ConfigFileVolume",
                    config_file_volume=m.CreateContainerGroupRequestVolumeConfigFileVolume(
                        config_file_to_path=[
                            m.CreateContainerGroupRequestVolumeConfigFileVolumeConfigFileToPath(
                                path="app.conf", content="aGVsbG8="
                            )
                        ]
                    ),
                )
            ],
            container=[
                m.CreateContainerGroupRequestContainer(
                    name="web",
                    image="nginx:1.25",
                    cpu=0.5,
                    memory=1.0,
                    tty=True,
                    port=[m.CreateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                    volume_mount=[
                        m.CreateContainerGroupRequestContainerVolumeMount(
                            name="cfg", mount_path="/etc/app", read_only=True
                        )
                    ],
                ),
                m.CreateContainerGroupRequestContainer(name="sidecar", image="busybox", command=["sleep", "3600"]),
            ],
        )
    )
    gid = created.body.container_group_id
    assert gid.startswith("eci-") and created.body.request_id

    group = wait_running(c, gid)
    assert restart_counts(group) == {"web": 0, "sidecar": 0}
    assert (group.cpu, group.memory) == (0.5, 1.0)

    # IncrementalUpdate: one more tag (merged), and the full container list with a new web image.
    c.update_container_group(
        m.UpdateContainerGroupRequest(
            region_id=REGION,
            container_group_id=gid,
            update_type="IncrementalUpdate",
            tag=[m.UpdateContainerGroupRequestTag(key="env", value="prod")],
            container=[
                m.UpdateContainerGroupRequestContainer(
                    name="web",
                    image="nginx:1.27",
                    cpu=0.5,
                    memory=1.0,
                    tty=True,
                    port=[m.UpdateContainerGroupRequestContainerPort(port=80, protocol="TCP")],
                    volume_mount=[
                        m.UpdateContainerGroupRequestContainerVolumeMount(
                            name="cfg", mount_path="/etc/app", read_only=True
                        )
                    ],
                ),
                m.UpdateContainerGroupRequestContainer(name="sidecar", image="busybox", command=["sleep", "3600"]),
            ],
        )
    )
    group = wait_running(c, gid)
    assert {t.key: t.value for t in group.tags} == {"team": "shop", "env": "prod"}
    assert {x.name: x.image for x in group.containers} == {"web": "nginx:1.27", "sidecar": "busybox"}
    assert restart_counts(group) == {"web": 1, "sidecar": 0}

    # RenewUpdate: registry credentials (the list grows: the instance restarts) and a new tag list.
    c.update_container_group(
        m.UpdateContainerGroupRequest(
            region_id=REGION,
            container_group_id=gid,
            update_type="RenewUpdate",
            image_registry_credential=[
                m.UpdateContainerGroupRequestImageRegistryCredential(
                    server="registry.example.com", user_name="robot", password="s3cret-pw"
                )
            ],
            tag=[m.UpdateContainerGroupRequestTag(key="team", value="ads")],
        )
    )
    group = wait_running(c, gid)
    assert {t.key: t.value for t in group.tags} == {"team": "ads"}
    assert restart_counts(group) == {"web": 2, "sidecar": 1}
    assert any(e.reason == "Restarted" and "ImageRegistryCredential" in e.message for e in group.events)
    assert "s3cret-pw" not in str(group.to_map())

    c.delete_container_group(m.DeleteContainerGroupRequest(region_id=REGION, container_group_id=gid))
    assert describe(c, gid) is None
    with pytest.raises(ClientException) as e:
        c.delete_container_group(m.DeleteContainerGroupRequest(region_id=REGION, container_group_id=gid))
    assert (e.value.code, e.value.status_code) == ("InvalidParameter.NotFound", 404)


@pytest.mark.parametrize("algorithm", ["v2", None], ids=["v1-hmac-sha1", "v3-acs3-hmac-sha256"])
def test_sdk_bad_secret_is_rejected(server: RunningServer, algorithm: str | None) -> None:
    c = client(server, algorithm, secret="not-the-secret")
    with pytest.raises(ClientException) as e:
        c.describe_container_groups(m.DescribeContainerGroupsRequest(region_id=REGION))
    assert (e.value.code, e.value.status_code) == ("SignatureDoesNotMatch", 400)
    assert e.value.data["RequestId"] and e.value.data["Recommend"]


@pytest.mark.parametrize("algorithm", ["v2", None], ids=["v1-hmac-sha1", "v3-acs3-hmac-sha256"])
def test_sdk_sees_update_errors(server: RunningServer, algorithm: str | None) -> None:
    c = client(server, algorithm)
    gid = c.create_container_group(
        m.CreateContainerGroupRequest(
            region_id=REGION,
            container_group_name="sdk-errors",
            container=[m.CreateContainerGroupRequestContainer(name="web", image="nginx")],
        )
    ).body.container_group_id
    wait_running(c, gid)
    with pytest.raises(ClientException) as e:
        c.update_container_group(
            m.UpdateContainerGroupRequest(
                region_id=REGION,
                container_group_id=gid,
                update_type="IncrementalUpdate",
                image_registry_credential=[
                    m.UpdateContainerGroupRequestImageRegistryCredential(server="r.io", user_name="u", password="p")
                ],
            )
        )
    assert e.value.code == "InvalidParameter"
    with pytest.raises(ClientException) as e:
        c.update_container_group(
            m.UpdateContainerGroupRequest(region_id=REGION, container_group_id=gid, restart_policy="Always")
        )
    assert e.value.code == "NoNeedUpdate"
    c.delete_container_group(m.DeleteContainerGroupRequest(region_id=REGION, container_group_id=gid))
