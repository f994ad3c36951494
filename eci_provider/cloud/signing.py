"""Alibaba Cloud request signatures: V1 (RPC, HMAC-SHA1) and V3 (``ACS3-HMAC-SHA256``).

Pure functions over the standard library, shared by the project's HTTP client (which signs)
and the local emulator (which verifies).  Both sides must agree byte for byte, so the
canonical forms live here once.  The algorithms are those of Alibaba Cloud's signature
documentation (V1: RPC HMAC-SHA1; V3: ACS3-HMAC-SHA256); the published vectors are pinned in
``tests/test_signing.py`` and the official SDK is used there as an oracle.

Why some details are the way they are:

* Percent-encoding is strict RFC 3986 (``quote(s, safe="~")``): only ``A-Z a-z 0-9 - _ . ~``
  stay literal.  ``urlencode``/``quote_plus`` would turn a space into ``+`` and break the
  signature, which is the most common bug in hand-written Alibaba clients.
* V1 signs the *union* of query and form-body parameters, minus ``Signature`` itself; the key is
  ``secret + "&"`` and the output is Base64.  V3 uses the raw secret and lower-case hex.
* V3 signs exactly the headers it is given.  The caller decides which headers to sign (the
  service requires ``host`` and every ``x-acs-*`` header); the verifier checks that rule.
* Verification uses :func:`hmac.compare_digest` so that timing does not leak the signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "ACS3_ALGORITHM",
    "Acs3Authorization",
    "acs3_authorization",
    "acs3_canonical_request",
    "acs3_signature",
    "acs3_signature_matches",
    "parse_acs3_authorization",
    "percent_encode",
    "rpc_signature",
    "rpc_string_to_sign",
    "sha256_hex",
    "verify_acs3",
    "verify_rpc",
]

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 text: only unreserved characters stay literal."""
    return quote(value, safe="~")


def sha256_hex(data: bytes) -> str:
    """Lower-case hex SHA-256, the form of ``x-acs-content-sha256``."""
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------
# V1: RPC, HMAC-SHA1
# --------------------------------------------------------------------------------------


def _canonical_query(params: Mapping[str, str], *, skip: str | None = None) -> str:
    """``k=v`` pairs sorted by name (code point order), both sides percent-encoded."""
    return "&".join(f"{percent_encode(k)}={percent_encode(params[k])}" for k in sorted(params) if k != skip)


def rpc_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """``METHOD&%2F&pct(canonical query)``; the canonical string is encoded a second time."""
    return f"{method}&{percent_encode('/')}&{percent_encode(_canonical_query(params, skip='Signature'))}"


def rpc_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """The V1 ``Signature`` of a request whose parameters (query ∪ form body) are ``params``."""
    digest = hmac.new(
        (access_key_secret + "&").encode("utf-8"),
        rpc_string_to_sign(method, params).encode("utf-8"),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_rpc(method: str, params: Mapping[str, str], access_key_secret: str) -> bool:
    """Whether ``params["Signature"]`` is the V1 signature of the other parameters."""
    given = params.get("Signature")
    if not given:
        return False
    expected = rpc_signature(method, params, access_key_secret)
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


# --------------------------------------------------------------------------------------
# V3: ACS3-HMAC-SHA256
# --------------------------------------------------------------------------------------


def _canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Lower-cased names, sorted; values trimmed; repeated names joined sorted with ``,``."""
    merged: dict[str, list[str]] = {}
    for name, value in headers.items():
        merged.setdefault(name.lower(), []).append(str(value).strip())
    names = sorted(merged)
    text = "".join(f"{n}:{','.join(sorted(merged[n]))}\n" for n in names)
    return text, ";".join(names)


def acs3_canonical_request(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
) -> tuple[str, str]:
    """The V3 canonical request and its ``SignedHeaders`` value.

    ``path`` is the canonical URI as sent (``/`` for every RPC call).  Every header passed in
    is signed: pass exactly the set the request declares in ``SignedHeaders``.
    """
    canonical_headers, signed = _canonical_headers(headers)
    canonical = "\n".join((method, path or "/", _canonical_query(query), canonical_headers, signed, payload_sha256))
    return canonical, signed


def acs3_signature(canonical_request: str, access_key_secret: str) -> str:
    """Hex HMAC-SHA256 over ``ACS3-HMAC-SHA256\\n`` + hex(sha256(canonical request))."""
    string_to_sign = f"{ACS3_ALGORITHM}\n{sha256_hex(canonical_request.encode('utf-8'))}"
    return hmac.new(access_key_secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def acs3_authorization(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    payload_sha256: str,
    access_key_id: str,
    access_key_secret: str,
) -> str:
    """The complete ``Authorization`` header value of a V3-signed request."""
    canonical, signed = acs3_canonical_request(method, path, query, headers, payload_sha256)
    signature = acs3_signature(canonical, access_key_secret)
    return f"{ACS3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed},Signature={signature}"


@dataclass(frozen=True)
class Acs3Authorization:
    """A parsed ``Authorization: ACS3-HMAC-SHA256 ...`` header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


_HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def parse_acs3_authorization(value: str) -> Acs3Authorization:
    """Parse an ``ACS3-HMAC-SHA256`` authorization value; :class:`ValueError` when malformed.

    The error messages name the faulty part but never echo the value: the header carries the
    access key ID, which belongs in logs no more than necessary.
    """
    algorithm, sep, rest = value.strip().partition(" ")
    if not sep or algorithm != ACS3_ALGORITHM:
        raise ValueError(f"the authorization must start with {ACS3_ALGORITHM}")
    parts: dict[str, str] = {}
    for item in rest.split(","):
        key, eq, val = item.strip().partition("=")
        if not eq or key not in ("Credential", "SignedHeaders", "Signature"):
            raise ValueError("the authorization must be Credential=...,SignedHeaders=...,Signature=...")
        if key in parts:
            raise ValueError(f"{key} is given twice in the authorization")
        parts[key] = val.strip()
    missing = [k for k in ("Credential", "SignedHeaders", "Signature") if not parts.get(k)]
    if missing:
        raise ValueError(f"the authorization lacks {', '.join(missing)}")
    headers = tuple(parts["SignedHeaders"].split(";"))
    if any(not h or not _HEADER_NAME.match(h) or h != h.lower() for h in headers):
        raise ValueError("SignedHeaders must be lower-case header names separated by ';'")
    if not _HEX64.match(parts["Signature"]):
        raise ValueError("Signature must be 64 hex digits")
    return Acs3Authorization(parts["Credential"], headers, parts["Signature"].lower())


def verify_acs3(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    access_key_secret: str,
) -> bool:
    """Whether a V3 request is correctly signed with ``access_key_secret``.

    Besides the HMAC, this enforces what makes the signature meaningful: the declared body hash
    is the body's hash, and ``host`` and every ``x-acs-*`` header the request carries are
    signed (otherwise they could be altered in transit without detection).
    """
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        lowered[key] = f"{lowered[key]},{value}" if key in lowered else str(value)
    raw = lowered.get("authorization")
    if raw is None:
        return False
    try:
        auth = parse_acs3_authorization(raw)
    except ValueError:
        return False
    declared = lowered.get("x-acs-content-sha256", "")
    if not hmac.compare_digest(declared.lower().encode(), sha256_hex(body).encode()):
        return False
    signed = set(auth.signed_headers)
    must_sign = {n for n in lowered if n == "host" or n.startswith("x-acs-")}
    if not must_sign <= signed:
        return False
    if not signed <= set(lowered):
        return False
    return acs3_signature_matches(auth, method, path, query, lowered, declared.lower(), access_key_secret)


def acs3_signature_matches(
    auth: Acs3Authorization,
    method: str,
    path: str,
    query: Mapping[str, str],
    lowered_headers: Mapping[str, str],
    content_sha256: str,
    access_key_secret: str,
) -> bool:
    """The HMAC step of :func:`verify_acs3` alone, for a verifier that has already parsed the
    header, checked the body hash and which headers are signed, with its own error messages
    (the emulator).  ``lowered_headers`` must hold every signed header."""
    if "authorization" in auth.signed_headers:
        return False
    signed = {n: lowered_headers[n] for n in auth.signed_headers}
    canonical, _ = acs3_canonical_request(method, path, query, signed, content_sha256)
    expected = acs3_signature(canonical, access_key_secret)
    return hmac.compare_digest(expected.encode(), auth.signature.encode())
