"""The RPC protocol of the emulator: request forms, error bodies, every authentication rejection."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import quote, urlencode

import pytest
from emulator_helpers import HOST, REGION, Api, FakeClock, make_emulator, web_spec

from eci_provider.cloud import signing
from eci_provider.emulator import Credential
from eci_provider.emulator.state import rfc3339

ERROR_KEYS = {"RequestId", "HostId", "Code", "Message", "Recommend"}


@pytest.fixture
def api(clock: FakeClock) -> Api:
    creds = (Credential("testid", "testsecret"), Credential("STS.temp", "stssecret", security_token="tok-123"))
    return Api(make_emulator(clock, credentials=creds, transition_seconds=0.0))


def describe_params() -> dict[str, str]:
    return {"RegionId": REGION}


def error_of(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == ERROR_KEYS, body
    return response.status_code, body["Code"]


# --------------------------------------------------------------------------------------
# Request forms
# --------------------------------------------------------------------------------------


def test_success_body_and_request_id_header(api: Api) -> None:
    r = api.send_v1("DescribeContainerGroups", describe_params())
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"RequestId", "TotalCount", "NextToken", "ContainerGroups"}
    assert r.headers["x-acs-request-id"] == body["RequestId"]
    assert r.headers["content-type"].startswith("application/json")


def test_get_with_everything_in_the_query(api: Api) -> None:
    signed = api.v1_params("DescribeContainerGroups", describe_params(), method="GET")
    r = api.http.get("/?" + urlencode(signed, quote_via=quote))
    assert r.status_code == 200


def test_post_form_body_and_query_are_signed_together(api: Api) -> None:
    signed = api.v1_params("DescribeContainerGroups", {**describe_params(), "ContainerGroupName": "a b+c"})
    query = {k: v for k, v in signed.items() if k in ("Action", "Signature", "Timestamp")}
    form = {k: v for k, v in signed.items() if k not in query}
    r = api.http.post(
        "/?" + urlencode(query, quote_via=quote),
        content=urlencode(form).encode(),  # quote_plus: spaces as +, as the SDK's form encoder does
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 200, r.text


def test_a_parameter_in_both_query_and_body_is_rejected(api: Api) -> None:
    signed = api.v1_params("DescribeContainerGroups", describe_params())
    r = api.http.post(
        "/?" + urlencode(signed, quote_via=quote),
        content=urlencode({"RegionId": REGION}).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert error_of(r) == (400, "InvalidParameter")


def test_sdk_style_booleans_are_accepted(api: Api) -> None:
    params = {
        "ContainerGroupName": "bools",
        "Container.1.Name": "web",
        "Container.1.Image": "nginx",
        "Container.1.Tty": "True",
        "Container.1.Stdin": "false",
        "Container.1.VolumeMount.1.Name": "v",
        "Container.1.VolumeMount.1.MountPath": "/v",
        "Container.1.VolumeMount.1.ReadOnly": "TRUE",
        "Volume.1.Name": "v",
        "Volume.1.Type": "EmptyDirVolume",
    }
    gid = api.call("CreateContainerGroup", params)["ContainerGroupId"]
    group = api.group(gid)
    assert group is not None and group["Containers"][0]["Tty"] is True
    assert group["Containers"][0]["VolumeMounts"][0]["ReadOnly"] is True


@pytest.mark.parametrize("style", ["v1", "v3"])
def test_action_and_version_are_checked(api: Api, style: str) -> None:
    api.style = style
    send = api.send_v1 if style == "v1" else api.send_v3
    assert error_of(send("RunInstances", describe_params())) == (403, "InvalidAction")
    if style == "v1":
        r = api.send_v1("DescribeContainerGroups", describe_params(), Version="2019-01-01")
    else:
        r = api.send_v3("DescribeContainerGroups", describe_params(), **{"x-acs-version": "2019-01-01"})
    assert error_of(r) == (400, "InvalidVersion")


def test_missing_action_or_region(api: Api) -> None:
    signed = api.v1_params("X", describe_params())
    del signed["Action"]
    signed["Signature"] = signing.rpc_signature("POST", signed, "testsecret")
    r = api.http.post("/?" + urlencode(signed, quote_via=quote))
    assert error_of(r) == (400, "MissingParameter")
    r = api.send_v1("DescribeContainerGroups", {})
    assert error_of(r) == (400, "MissingParameter") and "RegionId" in r.json()["Message"]


def test_unknown_paths_and_methods(api: Api) -> None:
    assert error_of(api.http.get("/foo")) == (404, "InvalidAction.NotFound")
    assert error_of(api.http.put("/")) == (405, "UnsupportedHTTPMethod")
    assert error_of(api.http.get("/__emulator/nope")) == (404, "InvalidAction.NotFound")
    assert error_of(api.http.post("/__emulator/stats")) == (405, "UnsupportedHTTPMethod")


def test_admin_endpoints_are_not_reachable_through_the_rpc_path(api: Api) -> None:
    assert error_of(api.send_v1("__emulator/stats", describe_params())) == (403, "InvalidAction")
    unsigned = api.http.post("/?Action=DescribeContainerGroups&RegionId=cn-hangzhou")
    assert error_of(unsigned)[0] == 400  # the RPC path always needs a signature
    assert api.http.get("/__emulator/stats").status_code == 200  # the admin path needs none


# --------------------------------------------------------------------------------------
# V1 rejections
# --------------------------------------------------------------------------------------


def test_v1_bad_secret(api: Api) -> None:
    api.secret = "wrongsecret"
    r = api.send_v1("DescribeContainerGroups", describe_params())
    assert error_of(r) == (400, "SignatureDoesNotMatch")
    assert "wrongsecret" not in r.text and "testsecret" not in r.text


def test_v1_tampered_parameter(api: Api) -> None:
    signed = api.v1_params("DescribeContainerGroups", describe_params())
    signed["RegionId"] = "cn-beijing"
    r = api.http.post("/?" + urlencode(signed, quote_via=quote))
    assert error_of(r) == (400, "SignatureDoesNotMatch")


def test_v1_signed_for_another_method(api: Api) -> None:
    signed = api.v1_params("DescribeContainerGroups", describe_params(), method="GET")
    assert error_of(api.http.post("/?" + urlencode(signed, quote_via=quote))) == (400, "SignatureDoesNotMatch")


def test_v1_unknown_access_key(api: Api) -> None:
    api.access_key_id = "nobody"
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params())) == (404, "InvalidAccessKeyId.NotFound")


@pytest.mark.parametrize(
    "name", ["AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"]
)
def test_v1_missing_pieces(api: Api, name: str) -> None:
    signed = api.v1_params("DescribeContainerGroups", describe_params())
    del signed[name]
    if name != "Signature":
        signed["Signature"] = signing.rpc_signature("POST", signed, "testsecret")
    r = api.http.post("/?" + urlencode(signed, quote_via=quote))
    assert error_of(r) == (400, "MissingParameter")
    assert name in r.json()["Message"]


@pytest.mark.parametrize(("name", "value"), [("SignatureMethod", "HMAC-SHA256"), ("SignatureVersion", "2.0")])
def test_v1_unsupported_signature_method(api: Api, name: str, value: str) -> None:
    r = api.send_v1("DescribeContainerGroups", describe_params(), **{name: value})
    assert error_of(r) == (400, "IncompleteSignature")


def test_v1_requires_json_format(api: Api) -> None:
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params(), Format="XML")) == (
        400,
        "InvalidParameter",
    )
    assert api.send_v1("DescribeContainerGroups", describe_params(), Format="json").status_code == 200


def test_v1_timestamp_format_and_skew(api: Api, clock: FakeClock) -> None:
    r = api.send_v1("DescribeContainerGroups", describe_params(), Timestamp="2026-01-01 00:00:00")
    assert error_of(r) == (400, "InvalidTimeStamp.Format")
    for skew in (-901, 901):
        r = api.send_v1("DescribeContainerGroups", describe_params(), Timestamp=rfc3339(clock() + skew))
        assert error_of(r) == (400, "InvalidTimeStamp.Expired")
    for skew in (-899, 899):
        r = api.send_v1("DescribeContainerGroups", describe_params(), Timestamp=rfc3339(clock() + skew))
        assert r.status_code == 200


def test_v1_nonce_reuse(api: Api, clock: FakeClock) -> None:
    nonce = uuid.uuid4().hex
    assert api.send_v1("DescribeContainerGroups", describe_params(), SignatureNonce=nonce).status_code == 200
    r = api.send_v1("DescribeContainerGroups", describe_params(), SignatureNonce=nonce)
    assert error_of(r) == (400, "SignatureNonceUsed")
    clock.advance(901)  # the first request's timestamp can no longer be replayed, so the nonce expired
    assert api.send_v1("DescribeContainerGroups", describe_params(), SignatureNonce=nonce).status_code == 200


def test_v1_failed_signature_does_not_burn_the_nonce(api: Api) -> None:
    nonce = uuid.uuid4().hex
    api.secret = "wrong"
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params(), SignatureNonce=nonce))[1] == (
        "SignatureDoesNotMatch"
    )
    api.secret = "testsecret"
    assert api.send_v1("DescribeContainerGroups", describe_params(), SignatureNonce=nonce).status_code == 200


def test_v1_sts_token(api: Api) -> None:
    api.access_key_id, api.secret = "STS.temp", "stssecret"
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params())) == (400, "MissingParameter")
    api.security_token = "tok-wrong"
    r = api.send_v1("DescribeContainerGroups", describe_params())
    assert error_of(r) == (400, "InvalidSecurityToken.MismatchWithAccessKey") and "tok-" not in r.text
    api.security_token = "tok-123"
    assert api.send_v1("DescribeContainerGroups", describe_params()).status_code == 200
    api.access_key_id, api.secret = "testid", "testsecret"  # a permanent key with a token
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params()))[1] == (
        "InvalidSecurityToken.MismatchWithAccessKey"
    )


# --------------------------------------------------------------------------------------
# V3 rejections
# --------------------------------------------------------------------------------------


def test_v3_round_trip_with_form_body(api: Api) -> None:
    body = urlencode({"ContainerGroupName": "x y"}).encode()
    query = describe_params()
    headers = api.v3_headers(
        "DescribeContainerGroups", query, body, **{"content-type": "application/x-www-form-urlencoded"}
    )
    r = api.http.post("/?" + urlencode(query), content=body, headers=headers)
    assert r.status_code == 200, r.text


def test_v3_bad_secret_and_unknown_key(api: Api) -> None:
    api.secret = "nope"
    assert error_of(api.send_v3("DescribeContainerGroups", describe_params())) == (400, "SignatureDoesNotMatch")
    api.access_key_id = "nobody"
    assert error_of(api.send_v3("DescribeContainerGroups", describe_params())) == (404, "InvalidAccessKeyId.NotFound")


def test_v3_tampered_query(api: Api) -> None:
    headers = api.v3_headers("DescribeContainerGroups", describe_params())
    r = api.http.post("/?RegionId=cn-beijing", headers=headers)
    assert error_of(r) == (400, "SignatureDoesNotMatch")


def test_v3_body_hash_mismatch(api: Api) -> None:
    headers = api.v3_headers("DescribeContainerGroups", describe_params())
    r = api.http.post("/?" + urlencode(describe_params()), headers=headers, content=b"RegionId=x")
    assert error_of(r) == (400, "SignatureDoesNotMatch") and "x-acs-content-sha256" in r.json()["Message"]


@pytest.mark.parametrize(
    "value",
    [
        "Bearer abc",
        "ACS3-HMAC-SHA256 Credential=testid",
        "ACS3-HMAC-SHA256 Credential=testid,SignedHeaders=host,Signature=zz",
    ],
)
def test_v3_malformed_authorization(api: Api, value: str) -> None:
    headers = {**api.v3_headers("DescribeContainerGroups", describe_params()), "Authorization": value}
    r = api.http.post("/?" + urlencode(describe_params()), headers=headers)
    assert error_of(r) == (400, "IncompleteSignature")


@pytest.mark.parametrize("name", ["x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256", "x-acs-action"])
def test_v3_missing_headers(api: Api, name: str) -> None:
    query = describe_params()
    headers = {
        "host": HOST,
        "x-acs-action": "DescribeContainerGroups",
        "x-acs-version": "2018-08-08",
        "x-acs-date": rfc3339(api.emulator.clock()),
        "x-acs-signature-nonce": uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    del headers[name]
    auth = signing.acs3_authorization(
        "POST", "/", query, headers, hashlib.sha256(b"").hexdigest(), "testid", "testsecret"
    )
    r = api.http.post("/?" + urlencode(query), headers={**headers, "Authorization": auth})
    assert error_of(r) == (400, "MissingParameter") and name in r.json()["Message"]


def test_v3_unsigned_acs_header(api: Api) -> None:
    headers = api.v3_headers("DescribeContainerGroups", describe_params())
    r = api.http.post("/?" + urlencode(describe_params()), headers={**headers, "x-acs-extra": "1"})
    assert error_of(r) == (400, "IncompleteSignature") and "x-acs-extra" in r.json()["Message"]


def test_v3_skew_nonce_and_sts(api: Api, clock: FakeClock) -> None:
    r = api.send_v3("DescribeContainerGroups", describe_params(), **{"x-acs-date": rfc3339(clock() - 1000)})
    assert error_of(r) == (400, "InvalidTimeStamp.Expired")
    r = api.send_v3("DescribeContainerGroups", describe_params(), **{"x-acs-date": "yesterday"})
    assert error_of(r) == (400, "InvalidTimeStamp.Format")
    assert (
        api.send_v3("DescribeContainerGroups", describe_params(), **{"x-acs-signature-nonce": "n1"}).status_code == 200
    )
    r = api.send_v3("DescribeContainerGroups", describe_params(), **{"x-acs-signature-nonce": "n1"})
    assert error_of(r) == (400, "SignatureNonceUsed")
    api.access_key_id, api.secret = "STS.temp", "stssecret"
    assert error_of(api.send_v3("DescribeContainerGroups", describe_params())) == (400, "MissingParameter")
    api.security_token = "tok-123"
    assert api.send_v3("DescribeContainerGroups", describe_params()).status_code == 200


def test_faults_never_mask_authentication_errors(api: Api) -> None:
    api.emulator.set_faults(throttle_rate=1.0, error_5xx_rate=1.0)
    api.secret = "wrong"
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params())) == (400, "SignatureDoesNotMatch")
    api.secret = "testsecret"
    assert error_of(api.send_v1("DescribeContainerGroups", describe_params())) == (400, "Throttling")


def test_secrets_never_reach_logs_or_errors(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="eci_provider.emulator")
    spec = web_spec(
        image_registry_credentials=[{"server": "r.example.com", "user_name": "u", "password": "hunter2-pw"}]
    )
    gid = api.create(spec)
    api.call("DescribeContainerGroups", ContainerGroupName="web-app")
    bad = {
        "ContainerGroupName": "x",
        "Container.1.Name": "c",
        "Container.1.Image": "i",
        "Container.1.Port.1.Port": "0",
        "ImageRegistryCredential.1.Server": "r",
        "ImageRegistryCredential.1.UserName": "u",
        "ImageRegistryCredential.1.Password": "hunter2-pw",
    }
    r = api.send("CreateContainerGroup", bad)
    assert r.status_code == 400 and "hunter2" not in r.text
    admin = api.admin_get("groups").text
    assert gid in admin and "hunter2" not in admin and "aGVsbG8=" not in admin
    assert "hunter2" not in api.http.get("/__emulator/stats").text
    assert "hunter2" not in json.dumps(api.group(gid))
    assert "hunter2" not in caplog.text and "testsecret" not in caplog.text and "Signature" not in caplog.text
    failed = [r.getMessage() for r in caplog.records if " 400 " in r.getMessage()]
    assert failed and failed[0].startswith("CreateContainerGroup 400 InvalidParameter ")
    assert [r.getMessage().split()[0] for r in caplog.records][:2] == [
        "CreateContainerGroup",
        "DescribeContainerGroups",
    ]
