"""Signatures: the published vectors, and the official SDK as an oracle over random inputs.

Vectors come from Alibaba Cloud's signature documentation (V1 and V3).  The property tests compare with
``alibabacloud_openapi_util`` (test-only dependency); each also checks that a one-character
change of the secret changes the result, so a comparison that always passes cannot hide.
"""

from __future__ import annotations

import hashlib
import string
import types

import pytest
from alibabacloud_openapi_util.client import Client as OpenApiUtil
from hypothesis import given
from hypothesis import strategies as st

from eci_provider.cloud import signing

# --------------------------------------------------------------------------------------
# V1 vectors
# --------------------------------------------------------------------------------------

DESCRIBE_REGIONS = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}


def test_v1_vector_describe_regions() -> None:
    assert signing.rpc_string_to_sign("GET", DESCRIBE_REGIONS) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1"
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert signing.rpc_signature("GET", DESCRIBE_REGIONS, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v1_vector_timestamp_spelling_is_case_sensitive() -> None:
    params = dict(DESCRIBE_REGIONS)
    params["TimeStamp"] = params.pop("Timestamp")
    assert signing.rpc_signature("GET", params, "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE="


def test_v1_vector_describe_dedicated_hosts() -> None:
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeDedicatedHosts",
        "Format": "JSON",
        "RegionId": "cn-beijing",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb",
        "SignatureVersion": "1.0",
        "Timestamp": "2023-03-13T08:34:30Z",
        "Version": "2014-05-26",
    }
    assert signing.rpc_signature("GET", params, "testsecret") == "9NaGiOspFP5UPcwX8Iwt2YJXXuk="


def test_v1_vector_encoding_edge_cases() -> None:
    params = {"Action": "X", "Key With Space": "v", "Weird": "a b*c~d/e+f=g&h中'()!"}
    assert signing.percent_encode(params["Weird"]) == "a%20b%2Ac~d%2Fe%2Bf%3Dg%26h%E4%B8%AD%27%28%29%21"
    assert signing.rpc_signature("GET", params, "testsecret") == "Fk074ZtO1OitSpCirUG4jh11S7c="


def test_v1_signature_parameter_is_not_signed_and_verifies() -> None:
    sig = signing.rpc_signature("GET", DESCRIBE_REGIONS, "testsecret")
    signed = {**DESCRIBE_REGIONS, "Signature": sig}
    assert signing.rpc_signature("GET", signed, "testsecret") == sig
    assert signing.verify_rpc("GET", signed, "testsecret")
    assert not signing.verify_rpc("POST", signed, "testsecret")
    assert not signing.verify_rpc("GET", signed, "testsecreT")
    assert not signing.verify_rpc("GET", {**signed, "Format": "JSON"}, "testsecret")
    assert not signing.verify_rpc("GET", DESCRIBE_REGIONS, "testsecret")


# --------------------------------------------------------------------------------------
# V3 vectors
# --------------------------------------------------------------------------------------

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
RUN_INSTANCES_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}


def _run_instances_headers(date: str, nonce: str) -> dict[str, str]:
    return {
        "host": "ecs.cn-shanghai.aliyuncs.com",
        "x-acs-action": "RunInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": date,
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": EMPTY_SHA256,
    }


@pytest.mark.parametrize(
    ("date", "nonce", "signature"),
    [
        (
            "2023-10-26T10:22:32Z",
            "3156853299f313e23d1673dc12e1703d",
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0",
        ),
        (
            "2023-10-26T09:01:01Z",
            "d410180a5abf7fe235dd9b74aca91fc0",
            "e521358f7776c97df52e6b2891a8bc73026794a071b50c3323388c4e0df64804",
        ),
    ],
)
def test_v3_vectors(date: str, nonce: str, signature: str) -> None:
    headers = _run_instances_headers(date, nonce)
    auth = signing.acs3_authorization(
        "POST", "/", RUN_INSTANCES_QUERY, headers, EMPTY_SHA256, "YourAccessKeyId", "YourAccessKeySecret"
    )
    assert auth == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;"
        f"x-acs-date;x-acs-signature-nonce;x-acs-version,Signature={signature}"
    )
    assert signing.verify_acs3(
        "POST", "/", RUN_INSTANCES_QUERY, {**headers, "Authorization": auth}, b"", "YourAccessKeySecret"
    )


def test_v3_hashed_canonical_request_vector() -> None:
    headers = _run_instances_headers("2023-10-26T10:22:32Z", "3156853299f313e23d1673dc12e1703d")
    canonical, signed = signing.acs3_canonical_request("POST", "/", RUN_INSTANCES_QUERY, headers, EMPTY_SHA256)
    assert signed == "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )


def test_v3_header_names_are_lowercased_and_values_trimmed() -> None:
    a = signing.acs3_canonical_request("GET", "/", {}, {"Host": " h ", "X-Acs-Date": "d"}, EMPTY_SHA256)
    b = signing.acs3_canonical_request("GET", "/", {}, {"host": "h", "x-acs-date": "d "}, EMPTY_SHA256)
    assert a == b
    assert a[1] == "host;x-acs-date"


# --------------------------------------------------------------------------------------
# Authorization parsing and V3 verification rules
# --------------------------------------------------------------------------------------


def test_parse_acs3_authorization() -> None:
    sig = "a" * 64
    parsed = signing.parse_acs3_authorization(
        f"ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;x-acs-date,Signature={sig}"
    )
    assert parsed == signing.Acs3Authorization("ak", ("host", "x-acs-date"), sig)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ACS3-HMAC-SHA1 Credential=ak,SignedHeaders=host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host",
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host,Signature=xyz",
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=Host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=ak,SignedHeaders=host;;x,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Credential=ak,Credential=ak,SignedHeaders=host,Signature=" + "a" * 64,
        "ACS3-HMAC-SHA256 Foo=1,SignedHeaders=host,Signature=" + "a" * 64,
    ],
)
def test_parse_acs3_authorization_rejects_malformed(value: str) -> None:
    with pytest.raises(ValueError):
        signing.parse_acs3_authorization(value)


def _signed_v3(headers: dict[str, str], body: bytes = b"", signed: dict[str, str] | None = None) -> dict[str, str]:
    auth = signing.acs3_authorization(
        "POST", "/", {"A": "1"}, signed or headers, headers["x-acs-content-sha256"], "ak", "sk"
    )
    return {**headers, "Authorization": auth}


def test_verify_acs3_rules() -> None:
    body = b"A=1"
    headers = {"host": "h", "x-acs-date": "d", "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
    good = _signed_v3(headers, body)
    assert signing.verify_acs3("POST", "/", {"A": "1"}, good, body, "sk")
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, good, body, "sK")
    assert not signing.verify_acs3("POST", "/", {"A": "2"}, good, body, "sk")
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, good, b"A=2", "sk")  # body hash mismatch
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, {**good, "x-acs-extra": "1"}, body, "sk")  # unsigned x-acs
    unsigned_host = _signed_v3(headers, body, signed={k: v for k, v in headers.items() if k != "host"})
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, unsigned_host, body, "sk")
    missing_signed = {k: v for k, v in good.items() if k != "x-acs-date"}
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, missing_signed, body, "sk")
    assert not signing.verify_acs3("POST", "/", {"A": "1"}, headers, body, "sk")  # no Authorization
    # Extra headers that need no signing (user-agent) may be present unsigned.
    assert signing.verify_acs3("POST", "/", {"A": "1"}, {**good, "User-Agent": "x"}, body, "sk")


# --------------------------------------------------------------------------------------
# The official SDK as an oracle
# --------------------------------------------------------------------------------------

_SPECIAL = "~*+/=&% "
text = st.text(
    alphabet=st.one_of(
        st.sampled_from(_SPECIAL),
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from(string.ascii_letters + string.digits + "-_."),
    ),
    max_size=12,
)
secrets_ = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20)


def _other(secret: str) -> str:
    """The secret with its last character changed."""
    return secret[:-1] + ("a" if secret[-1] != "a" else "b")


@given(
    params=st.dictionaries(text.filter(lambda k: k != "Signature"), text, max_size=8),
    method=st.sampled_from(["GET", "POST"]),
    secret=secrets_,
)
def test_rpc_signature_matches_sdk(params: dict[str, str], method: str, secret: str) -> None:
    ours = signing.rpc_signature(method, params, secret)
    assert ours == OpenApiUtil.get_rpcsignature(params, method, secret)
    assert ours != signing.rpc_signature(method, params, _other(secret))
    assert signing.verify_rpc(method, {**params, "Signature": ours}, secret)


# The SDK's V3 canonical query encodes values but not keys (as the V3 documentation allows); ECI keys are
# ``[A-Za-z0-9.]``, where both spellings agree, so keys are drawn from that alphabet.
query_key = st.text(alphabet=string.ascii_letters + string.digits + ".", min_size=1, max_size=10)
header_name = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=12)
header_value = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=16)


@given(
    query=st.dictionaries(query_key, text, max_size=6),
    headers=st.dictionaries(header_name, header_value, min_size=1, max_size=6),
    method=st.sampled_from(["GET", "POST"]),
    body=st.binary(max_size=32),
    secret=secrets_,
)
def test_acs3_authorization_matches_sdk(
    query: dict[str, str], headers: dict[str, str], method: str, body: bytes, secret: str
) -> None:
    payload = hashlib.sha256(body).hexdigest()
    req = types.SimpleNamespace(method=method, pathname="/", query=query, headers=headers)
    ours = signing.acs3_authorization(method, "/", query, headers, payload, "ak-id", secret)
    assert ours == OpenApiUtil.get_authorization(req, "ACS3-HMAC-SHA256", payload, "ak-id", secret)
    assert ours != signing.acs3_authorization(method, "/", query, headers, payload, "ak-id", _other(secret))
