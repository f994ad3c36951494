"""The emulator under hostile input, over a real loopback HTTP server.

It stands in for the cloud on shared machines, so a client must not be able to crash a handler,
hold a thread, make it read or parse unbounded input, or read another caller's secrets.  Each
rejection comes in the API's JSON error shape with a fitting HTTP status.
"""

from __future__ import annotations

import dataclasses
import os
import select
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from emulator_helpers import (
    PATIENCE_SECONDS,
    REGION,
    Api,
    RawResponse,
    api_over_http,
    parse_response,
    raw_exchange,
    read_until_closed,
    web_spec,
)

from eci_provider.cloud import signing, wire
from eci_provider.emulator import Emulator, EmulatorConfig, RunningServer, masking, serve
from eci_provider.spec import rules
from eci_provider.spec.model import (
    CONFIG_FILE_MAX_BYTES,
    CONFIG_VOLUME_MAX_CONTENT,
    MAX_VOLUMES,
    ContainerGroupSpec,
    EnvironmentVar,
)

ERROR_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}
REGISTRY_LOGIN = {"server": "registry.example.com", "user_name": "deploy", "password": "hunter2-registry"}


def assert_error(response: RawResponse, status: int, code: str) -> None:
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    assert (response.status, body["Code"]) == (status, code), body
    assert response.headers["x-acs-request-id"] == body["RequestId"]
    assert response.headers["content-type"].startswith("application/json")


@pytest.fixture
def impatient_server() -> Iterator[RunningServer]:
    """A server that gives each request half a second to arrive."""
    server = serve(EmulatorConfig(read_timeout_seconds=0.5))
    yield server
    server.shutdown()


# --------------------------------------------------------------------------------------
# Read deadline
# --------------------------------------------------------------------------------------


def test_a_connection_that_sends_nothing_is_answered_408_and_closed(impatient_server: RunningServer) -> None:
    assert_error(raw_exchange(impatient_server.port, b""), 408, "RequestTimeout")


def test_a_drip_fed_request_is_cut_off_at_its_deadline(impatient_server: RunningServer) -> None:
    """A byte every 20 ms never lets a single read wait long; only a deadline for the whole
    request ends it."""
    with socket.create_connection(("127.0.0.1", impatient_server.port), timeout=PATIENCE_SECONDS) as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: eci.emulator.local\r\nX-Slow: ")
        for _ in range(int(PATIENCE_SECONDS / 0.02)):
            readable, _, _ = select.select([sock], [], [], 0.02)
            if readable:
                break
            sock.sendall(b"x")  # a header line that never ends
        else:
            pytest.fail("the server kept reading a drip-fed request")
        response = parse_response(read_until_closed(sock))
    assert_error(response, 408, "RequestTimeout")


def test_a_body_that_stalls_is_answered_408(impatient_server: RunningServer) -> None:
    head = (
        b"POST / HTTP/1.1\r\nHost: eci.emulator.local\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n"
    )
    assert_error(raw_exchange(impatient_server.port, head + b"Action=Desc"), 408, "RequestTimeout")


# --------------------------------------------------------------------------------------
# The HTTP layer's own rejections
# --------------------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[RunningServer]:
    server = serve(EmulatorConfig())
    yield server
    server.shutdown()


def request_line_of(length: int) -> bytes:
    """``GET /?q=aaa... HTTP/1.1\\r\\n``, exactly ``length`` bytes long."""
    frame = b"GET /?q= HTTP/1.1\r\n"
    return frame.replace(b"?q=", b"?q=" + b"a" * (length - len(frame)))


def test_a_request_line_over_64_kib_is_414(server: RunningServer) -> None:
    response = raw_exchange(server.port, request_line_of(65537) + b"Host: eci.emulator.local\r\n\r\n")
    assert_error(response, 414, "RequestURITooLong")
    assert b"aaaa" not in response.body  # the request line is not echoed


def test_a_request_line_of_64_kib_reaches_the_api(server: RunningServer) -> None:
    response = raw_exchange(server.port, request_line_of(65536) + b"Host: eci.emulator.local\r\n\r\n")
    assert_error(response, 400, "MissingParameter")  # unsigned: the app, not the HTTP layer, answered


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"),
    [
        (b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 70000 + b"\r\n\r\n", 431, "RequestHeaderFieldsTooLarge"),
        (
            b"GET / HTTP/1.1\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(101)) + b"\r\n",
            431,
            "RequestHeaderFieldsTooLarge",
        ),
        (b"GET / HTTP/1.1 extra\r\n\r\n", 400, "BadRequest"),
        (b"GET / HTTP/x.y\r\n\r\n", 400, "BadRequest"),
        (b"GET / HTTP/2.0\r\n\r\n", 505, "HTTPVersionNotSupported"),
    ],
    ids=["header-line-too-long", "too-many-headers", "bad-request-line", "bad-version", "http2"],
)
def test_malformed_http_gets_a_json_error(server: RunningServer, request_bytes: bytes, status: int, code: str) -> None:
    assert_error(raw_exchange(server.port, request_bytes), status, code)


# --------------------------------------------------------------------------------------
# Body size
# --------------------------------------------------------------------------------------

SMALL_CAP = 4096


@pytest.fixture
def small_cap_server() -> Iterator[RunningServer]:
    server = serve(EmulatorConfig(max_body_bytes=SMALL_CAP))
    yield server
    server.shutdown()


def form_head(length: int | str, extra: bytes = b"") -> bytes:
    return (
        b"POST / HTTP/1.1\r\nHost: eci.emulator.local\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        + extra
        + f"Content-Length: {length}\r\n\r\n".encode()
    )


@pytest.mark.parametrize("length", [SMALL_CAP + 1, 10**12, "9" * 5000], ids=["cap+1", "a-terabyte", "5000-digits"])
def test_a_declared_body_over_the_cap_is_refused_before_it_is_read(
    small_cap_server: RunningServer, length: int | str
) -> None:
    """Only the head is sent: the answer comes without waiting for the body."""
    response = raw_exchange(small_cap_server.port, form_head(length))
    assert_error(response, 413, "RequestBodyTooLarge")
    assert str(SMALL_CAP) in response.json()["Message"]


def test_a_body_over_the_cap_sent_in_full_still_gets_its_413(small_cap_server: RunningServer) -> None:
    """The server discards the unread body before closing, so the client reads the answer
    instead of a connection reset."""
    api = api_over_http(small_cap_server)
    params = {"RegionId": REGION, "ContainerGroupName": "x" * (2 * SMALL_CAP)}
    response = api.send_v1_form("DescribeContainerGroups", params)
    assert response.status_code == 413 and response.json()["Code"] == "RequestBodyTooLarge"
    assert response.headers["connection"] == "close"


def test_a_body_of_exactly_the_cap_is_read(small_cap_server: RunningServer) -> None:
    api = api_over_http(small_cap_server)
    name = ""
    while True:  # the percent-encoded signature varies in length: pad the name until exact
        signed = api.v1_params("DescribeContainerGroups", {"RegionId": REGION, "ContainerGroupName": name})
        body = urlencode(signed, quote_via=quote).encode()
        if len(body) == SMALL_CAP:
            break
        name = "n" * (len(name) + SMALL_CAP - len(body))
    response = api.http.post("/", content=body, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 200, response.text


def test_the_largest_config_file_payload_fits_the_default_cap(server: RunningServer) -> None:
    """20 config-file volumes with 60 KiB of Base64 content each, all of it characters that
    percent-encoding triples: the worst legitimate body is accepted under the default cap."""
    whole_file = "////" * (CONFIG_FILE_MAX_BYTES // 3)  # 4 characters for 3 bytes (0xFF) of file
    rest = "////" * ((CONFIG_VOLUME_MAX_CONTENT - len(whole_file)) // 4)
    volumes = [
        {
            "name": f"cfg-{i}",
            "type": "ConfigFileVolume",
            "config_file_volume": {
                "config_file_to_paths": [{"path": "a.conf", "content": whole_file}, {"path": "b.conf", "content": rest}]
            },
        }
        for i in range(MAX_VOLUMES)
    ]
    spec = ContainerGroupSpec.model_validate(web_spec(volumes=volumes, containers=[{"name": "c", "image": "busybox"}]))
    api = api_over_http(server)
    response = api.send_v1_form("CreateContainerGroup", wire.to_create_params(spec, REGION))
    size = int(response.request.headers["content-length"])
    assert response.status_code == 200, response.text
    assert 3.5 * 2**20 < size < EmulatorConfig().max_body_bytes


# --------------------------------------------------------------------------------------
# Authentication before the body
# --------------------------------------------------------------------------------------

BIG = 2**20  # under the default cap, so only authentication can refuse it early


def v3_head(api: Api, body_length: int, **header_changes: str | None) -> bytes:
    """The head of a V3 POST announcing a form body of ``body_length`` bytes (never sent), signed
    by ``api``, with some headers then changed (``None`` removes one)."""
    query = {"RegionId": REGION}
    form = {"content-type": "application/x-www-form-urlencoded"}
    headers = api.v3_headers("DescribeContainerGroups", query, b"x" * body_length, **form)
    for name, value in header_changes.items():
        headers.pop(name.replace("_", "-"), None)
        if value is not None:
            headers[name.replace("_", "-")] = value
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"POST /?{urlencode(query)} HTTP/1.1\r\n{lines}Content-Length: {body_length}\r\n\r\n".encode()


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"secret": "wrong-secret"}, 400, "SignatureDoesNotMatch"),
        ({"access_key_id": "nobody"}, 404, "InvalidAccessKeyId.NotFound"),
        ({"Authorization": "ACS3-HMAC-SHA256 Credential=testid"}, 400, "IncompleteSignature"),
        ({"x_acs_date": None}, 400, "MissingParameter"),
        ({"x_acs_date": "2020-01-01T00:00:00Z"}, 400, "InvalidTimeStamp.Expired"),
        ({"x_acs_content_sha256": "not-a-digest"}, 400, "IncompleteSignature"),
        ({"x_acs_extra": "unsigned"}, 400, "IncompleteSignature"),
    ],
    ids=["wrong-secret", "unknown-key", "malformed-authorization", "no-date", "stale-date", "bad-digest", "unsigned"],
)
def test_a_v3_caller_is_refused_before_its_body_is_read(
    server: RunningServer, change: dict[str, str | None], status: int, code: str
) -> None:
    """Only the head is sent; the answer comes without the server waiting for the body."""
    api = api_over_http(server)
    for attr in ("secret", "access_key_id"):
        if attr in change:
            setattr(api, attr, change.pop(attr))
    assert_error(raw_exchange(server.port, v3_head(api, BIG, **change)), status, code)


def test_an_unauthenticated_v3_caller_does_not_learn_the_cap(small_cap_server: RunningServer) -> None:
    api = api_over_http(small_cap_server, secret="wrong-secret")
    assert_error(raw_exchange(small_cap_server.port, v3_head(api, BIG)), 400, "SignatureDoesNotMatch")
    api.secret = "testsecret"
    assert_error(raw_exchange(small_cap_server.port, v3_head(api, BIG)), 413, "RequestBodyTooLarge")


def test_an_authenticated_v3_body_is_still_checked_against_its_digest(server: RunningServer) -> None:
    api = api_over_http(server)
    body = urlencode({"ContainerGroupName": "x"}).encode()
    form = {"content-type": "application/x-www-form-urlencoded"}
    headers = api.v3_headers("DescribeContainerGroups", {"RegionId": REGION}, body, **form)
    tampered = body.replace(b"x", b"y")
    response = api.http.post(f"/?RegionId={REGION}", content=tampered, headers=headers)
    assert response.status_code == 400 and response.json()["Code"] == "SignatureDoesNotMatch"
    # The same headers again: the refused request did not burn the nonce.
    assert api.http.post(f"/?RegionId={REGION}", content=body, headers=headers).status_code == 200


# --------------------------------------------------------------------------------------
# DescribeContainerGroups filters
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [10, 100_000])
def test_nested_container_group_ids_are_invalid_not_a_crash(server: RunningServer, depth: int) -> None:
    api = api_over_http(server)
    nested = "[" * depth + '"eci-1"' + "]" * depth
    response = api.send_v1_form("DescribeContainerGroups", {"RegionId": REGION, "ContainerGroupIds": nested})
    assert response.status_code == 400 and response.json()["Code"] == "InvalidParameter", response.text
    assert "ContainerGroupIds" in response.json()["Message"]


@pytest.mark.parametrize(
    "key",
    ["Tag.0.Key", "Tag.١.Key", "Tag.99999999999999999999.Key", "Tag.01.Key", "Tag.11.Key", f"Tag.{'9' * 5000}.Value"],
    ids=["zero", "arabic-indic-one", "twenty-digits", "leading-zero", "over-ten", "5000-digits"],
)
def test_a_tag_filter_index_must_be_an_ascii_decimal_from_1_to_10(server: RunningServer, key: str) -> None:
    api = api_over_http(server)
    api.create(web_spec(name="shop", tags={"team": "shop"}))
    api.create(web_spec(name="other", tags={"team": "other"}))
    response = api.send_v1_form("DescribeContainerGroups", {"RegionId": REGION, key: "team"})
    assert response.status_code == 400 and response.json()["Code"] == "InvalidParameter", response.text
    assert "from 1 to 10" in response.json()["Message"]


def test_tag_filters_1_to_10_still_filter(server: RunningServer) -> None:
    api = api_over_http(server)
    api.create(web_spec(name="shop", tags={"team": "shop", "env": "dev"}))
    api.create(web_spec(name="other", tags={"team": "other", "env": "dev"}))
    filters = {"Tag.1.Key": "team", "Tag.1.Value": "shop", "Tag.10.Key": "env"}
    response = api.send_v1_form("DescribeContainerGroups", {"RegionId": REGION, **filters})
    assert [g["ContainerGroupName"] for g in response.json()["ContainerGroups"]] == ["shop"]


@pytest.mark.parametrize(
    "key",
    ["Container.01.Image", "Container.١.Image", f"Container.1.EnvironmentVar.{'9' * 5000}.Key"],
    ids=["leading-zero", "arabic-indic-one", "5000-digits"],
)
@pytest.mark.parametrize("action", ["CreateContainerGroup", "UpdateContainerGroup"])
def test_a_list_index_must_be_an_ascii_decimal_without_leading_zeros(
    server: RunningServer, action: str, key: str
) -> None:
    api = api_over_http(server)
    params = {"RegionId": REGION, "Container.1.Name": "web", key: "nginx"}
    if action == "CreateContainerGroup":
        params["ContainerGroupName"] = "indices"
    else:
        params["ContainerGroupId"] = api.create(web_spec())
    response = api.send_v1_form(action, params)
    assert response.status_code == 400 and response.json()["Code"] == "InvalidParameter", response.text


# --------------------------------------------------------------------------------------
# The database file
# --------------------------------------------------------------------------------------


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask 022, under which files are world-readable unless created otherwise."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_the_database_and_its_journal_files_are_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "eci.db"
    server = serve(EmulatorConfig(db_path=str(db)))
    try:
        api_over_http(server).create(web_spec(image_registry_credentials=[REGISTRY_LOGIN]))
        files = [db, db.with_name("eci.db-wal"), db.with_name("eci.db-shm")]
        assert {f.name: stat.S_IMODE(f.stat().st_mode) for f in files} == {f.name: 0o600 for f in files}
    finally:
        server.shutdown()
        server.emulator.close()


def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    db = tmp_path / "eci.db"
    db.touch(mode=0o640)
    db.chmod(0o640)
    Emulator(EmulatorConfig(db_path=str(db))).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o640


# --------------------------------------------------------------------------------------
# The debug listing
# --------------------------------------------------------------------------------------


def test_the_group_listing_needs_the_emulators_credentials(server: RunningServer) -> None:
    api = api_over_http(server)
    group_id = api.create(web_spec(image_registry_credentials=[REGISTRY_LOGIN]))
    unsigned = api.http.get("/__emulator/groups")
    assert (unsigned.status_code, unsigned.json()["Code"]) == (400, "MissingParameter")
    assert group_id not in unsigned.text
    api.secret = "wrong-secret"
    assert api.admin_get("groups").json()["Code"] == "SignatureDoesNotMatch"
    api.secret, api.access_key_id = "testsecret", "nobody"
    assert api.admin_get("groups").status_code == 404
    api.access_key_id = "testid"
    assert api.admin_get("groups", RegionId=REGION).json()["Code"] == "InvalidParameter"
    signed = api.admin_get("groups")
    assert [g["ContainerGroupId"] for g in signed.json()["ContainerGroups"]] == [group_id]
    replayed = api.http.get(signed.request.url)
    assert replayed.json()["Code"] == "SignatureNonceUsed"
    assert api.http.get("/__emulator/stats").status_code == 200  # counters only: no signature needed


def test_the_group_listing_accepts_a_v3_signature(server: RunningServer) -> None:
    api = api_over_http(server)
    headers = api.v3_headers("ListGroups", {})
    del headers["Authorization"]  # signed for POST /; sign for GET on the admin paths instead

    def signed_for(path: str) -> dict[str, str]:
        digest = headers["x-acs-content-sha256"]
        return {
            **headers,
            "Authorization": signing.acs3_authorization("GET", path, {}, headers, digest, "testid", "testsecret"),
        }

    assert api.http.get("/__emulator/groups", headers=signed_for("/__emulator/groups")).status_code == 200
    wrong_path = api.http.get("/__emulator/groups", headers=signed_for("/__emulator/stats"))
    assert wrong_path.json()["Code"] == "SignatureDoesNotMatch"


@pytest.fixture
def secret_environment_values() -> Iterator[None]:
    """Mark environment variable values secret in the spec rules, as a future rule might (the
    rules' field table is computed once per model, so it is computed again around the change)."""
    value_field = EnvironmentVar.model_fields["value"]
    rule = rules.rule_of(EnvironmentVar, "value")
    value_field.json_schema_extra = dataclasses.replace(rule, secret=True)  # type: ignore[assignment]
    rules.fields_of.cache_clear()
    try:
        yield
    finally:
        value_field.json_schema_extra = rule  # type: ignore[assignment]
        rules.fields_of.cache_clear()


@pytest.mark.usefixtures("secret_environment_values")
def test_the_group_listing_masks_every_field_the_rules_mark_secret(server: RunningServer) -> None:
    """Not a list of known secrets: whatever ``Rule.secret`` marks, of whatever type."""
    api = api_over_http(server)
    containers = [{"name": "web", "image": "nginx", "environment_vars": [{"key": "TOKEN", "value": "env-t0ken"}]}]
    spec = web_spec(containers=containers, image_registry_credentials=[REGISTRY_LOGIN])
    spec["containers"][0]["volume_mounts"] = [{"name": "cfg", "mount_path": "/etc/app"}]
    api.create(spec)
    listing = api.admin_get("groups")
    for plain in ("env-t0ken", "hunter2-registry", "aGVsbG8="):
        assert plain not in listing.text
    group = listing.json()["ContainerGroups"][0]
    assert group["Spec"]["containers"][0]["environment_vars"] == [{"key": "TOKEN", "value": masking.MASK}]
    assert group["Spec"]["image_registry_credentials"][0]["password"] == masking.MASK
    files = group["Spec"]["volumes"][0]["config_file_volume"]["config_file_to_paths"]
    assert files == [{"path": "app.conf", "content": masking.MASK}]
    assert group["Describe"]["Containers"][0]["EnvironmentVars"] == [{"Key": "TOKEN", "Value": masking.MASK}]
    assert "ImageRegistryCredentials" not in group["Describe"]  # write-only, as in the API


def test_an_unknown_admin_path_is_not_written_to_the_log(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    """wsgiref decodes the path, so ``%0A`` would start a forged log line."""
    caplog.set_level("INFO", logger="eci_provider.emulator")
    response = raw_exchange(server.port, b"GET /__emulator/x%0AGET%20forged HTTP/1.1\r\nHost: e\r\n\r\n")
    assert_error(response, 404, "InvalidAction.NotFound")
    assert [r.getMessage().split(" ")[:3] for r in caplog.records] == [["admin:-", "404", "InvalidAction.NotFound"]]
