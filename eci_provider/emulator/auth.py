"""Request authentication: V1 (HMAC-SHA1 RPC) and V3 (ACS3-HMAC-SHA256) signatures.

The checks run in the order a gateway would need them: the pieces are present and well formed
(``MissingParameter``, ``IncompleteSignature``, ``InvalidTimeStamp.Format``), the clock is
close enough (``InvalidTimeStamp.Expired``), the key exists (``InvalidAccessKeyId.NotFound``),
the signature matches (``SignatureDoesNotMatch``), the STS token belongs to the key, and the
nonce is fresh (``SignatureNonceUsed``; recorded only after the signature verified, so that
forged requests cannot burn a client's nonces).  A V3 request is checked from its head before
its body is read (:meth:`Authenticator.before_body` says what can and cannot be checked then).
Messages never contain a secret, a token, a signature or a string to sign (which would echo
request values such as registry passwords).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from ..cloud import signing
from .config import Credential, EmulatorConfig
from .errors import ApiError, missing
from .store import Store

#: Parameters that belong to the protocol, not to the action (Alibaba Cloud's RPC common parameters).
COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "SecurityToken",
    }
)
_HEX64 = re.compile(r"[0-9a-f]{64}")
_V3_REQUIRED_HEADERS = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)


@dataclass(frozen=True)
class RequestHead:
    """What arrives before the body of an HTTP request."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names


@dataclass(frozen=True)
class Request:
    """What authentication needs of an HTTP request."""

    method: str
    path: str
    query: Mapping[str, str]
    form: Mapping[str, str]
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @classmethod
    def of(cls, head: RequestHead, form: Mapping[str, str], body: bytes) -> Request:
        return cls(head.method, head.path, head.query, form, head.headers, body)

    @property
    def head(self) -> RequestHead:
        return RequestHead(self.method, self.path, self.query, self.headers)

    @property
    def params(self) -> dict[str, str]:
        return {**self.query, **self.form}


@dataclass(frozen=True)
class V3Verified:
    """A V3 request whose head verified: the body hash, ``Format`` and the nonce remain."""

    credential: Credential
    timestamp: float
    content_sha256: str  # the declared hash the signature covers


@dataclass(frozen=True)
class Authenticated:
    """An authenticated request: who sent it, which action, and its business parameters."""

    access_key_id: str
    style: str  # "v1" | "v3"
    action: str | None
    version: str | None
    params: dict[str, str]


def parse_timestamp(raw: str, name: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            continue
    raise ApiError("InvalidTimeStamp.Format", f"The specified {name} is not in the UTC format yyyy-MM-ddTHH:mm:ssZ.")


class Authenticator:
    def __init__(self, config: EmulatorConfig, store: Store, clock: Callable[[], float]) -> None:
        self.config = config
        self.store = store
        self.clock = clock

    def before_body(self, head: RequestHead) -> V3Verified | None:
        """Verify all that can be verified before a byte of the body is read.

        **V3** (``ACS3-HMAC-SHA256``): the body enters the signature only through the
        ``x-acs-content-sha256`` header; the string to sign is the method, path, query, signed
        headers and that declared hash.  So the head alone proves who is calling: the
        ``Authorization`` header is well formed, the required headers are present and signed,
        the declared hash is a hex SHA-256, the timestamp is within the skew, the key exists,
        the signature matches, and the STS token belongs to the key.  Left for after the body:
        that the body hashes to the declared value (a signed header can promise any body),
        ``Format`` (it may travel in the body), and the nonce (recorded last, so that a request
        failing a later check does not burn it).  An unauthenticated V3 request never has its
        body read, however large it claims to be.

        **V1** (HMAC-SHA1): the signature is a parameter like any other, and the official SDK
        and this project's client send every parameter (``Signature``, ``AccessKeyId`` and
        ``Timestamp`` included) in the form body; the string to sign covers query and body
        together.  Nothing about a V1 caller can be established before the body is read, and
        checking a key or timestamp that happens to be in the query would only reorder error
        codes, proving nothing.  A V1 body is bounded by ``max_body_bytes`` (checked against
        ``Content-Length`` before reading) and by the read deadline instead.  Returns ``None``.
        """
        if "authorization" in head.headers:
            return self._v3_head(head)
        return None

    def authenticate(self, req: Request, verified: V3Verified | None = None) -> Authenticated:
        """Authenticate ``req``; ``verified`` is what :meth:`before_body` returned for its head."""
        if "authorization" in req.headers:
            return self._v3_body(req, verified or self._v3_head(req.head))
        return self._v1(req)

    # -- V1 --------------------------------------------------------------------------------
    def _v1(self, req: Request) -> Authenticated:
        params = req.params
        for name in ("AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp"):
            if not params.get(name):
                raise missing(name)
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            raise ApiError(
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: "
                "SignatureMethod must be HMAC-SHA1 and SignatureVersion 1.0.",
            )
        fmt = params.get("Format")
        if fmt is None or fmt.lower() != "json":
            # Without Format=JSON the real service answers in XML, which a JSON client cannot read.
            raise ApiError("InvalidParameter", 'The specified parameter "Format" is not valid: send Format=JSON.')
        ts = self._check_time(params["Timestamp"], "Timestamp")
        cred = self._credential(params["AccessKeyId"])
        if not signing.verify_rpc(req.method, params, cred.access_key_secret):
            raise _mismatch()
        self._check_token(cred, params.get("SecurityToken"))
        self._use_nonce(cred, params["SignatureNonce"], ts)
        return Authenticated(
            cred.access_key_id,
            "v1",
            params.get("Action"),
            params.get("Version"),
            {k: v for k, v in params.items() if k not in COMMON_PARAMS},
        )

    # -- V3 --------------------------------------------------------------------------------
    def _v3_head(self, head: RequestHead) -> V3Verified:
        try:
            auth = signing.parse_acs3_authorization(head.headers["authorization"])
        except ValueError as e:
            raise ApiError("IncompleteSignature", f"The Authorization header is malformed: {e}.") from None
        for name in _V3_REQUIRED_HEADERS:
            if not head.headers.get(name):
                raise missing(name)
        unsigned = sorted(
            n for n in head.headers if (n == "host" or n.startswith("x-acs-")) and n not in auth.signed_headers
        )
        if unsigned:
            raise ApiError("IncompleteSignature", f"These headers must be signed: {', '.join(unsigned)}.")
        absent = sorted(set(auth.signed_headers) - set(head.headers))
        if absent:
            raise ApiError("IncompleteSignature", f"Signed headers are missing from the request: {', '.join(absent)}.")
        declared = head.headers["x-acs-content-sha256"].lower()
        if not _HEX64.fullmatch(declared):
            raise ApiError("IncompleteSignature", "x-acs-content-sha256 must be the hex SHA-256 of the body.")
        ts = self._check_time(head.headers["x-acs-date"], "x-acs-date")
        cred = self._credential(auth.access_key_id)
        if not signing.acs3_signature_matches(
            auth, head.method, head.path, head.query, head.headers, declared, cred.access_key_secret
        ):
            raise _mismatch()
        self._check_token(cred, head.headers.get("x-acs-security-token"))
        return V3Verified(cred, ts, declared)

    def _v3_body(self, req: Request, verified: V3Verified) -> Authenticated:
        if not hmac.compare_digest(verified.content_sha256.encode(), signing.sha256_hex(req.body).encode()):
            raise ApiError("SignatureDoesNotMatch", "The x-acs-content-sha256 header does not match the request body.")
        fmt = req.params.get("Format")
        if fmt is not None and fmt.lower() != "json":
            raise ApiError("InvalidParameter", 'The specified parameter "Format" is not valid: send Format=JSON.')
        cred = verified.credential
        self._use_nonce(cred, req.headers["x-acs-signature-nonce"], verified.timestamp)
        return Authenticated(
            cred.access_key_id,
            "v3",
            req.headers["x-acs-action"],
            req.headers["x-acs-version"],
            {k: v for k, v in req.params.items() if k not in COMMON_PARAMS},
        )

    # -- shared checks ---------------------------------------------------------------------
    def _check_time(self, raw: str, name: str) -> float:
        ts = parse_timestamp(raw, name)
        if abs(self.clock() - ts) > self.config.max_clock_skew_seconds:
            raise ApiError(
                "InvalidTimeStamp.Expired",
                f"The specified {name} is more than {self.config.max_clock_skew_seconds / 60:g} minutes "
                "away from the server time.",
            )
        return ts

    def _credential(self, access_key_id: str) -> Credential:
        cred = self.config.credential(access_key_id)
        if cred is None:
            raise ApiError("InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        return cred

    def _check_token(self, cred: Credential, token: str | None) -> None:
        if cred.security_token is None:
            if token:
                raise ApiError(
                    "InvalidSecurityToken.MismatchWithAccessKey", "A security token was sent with a permanent key."
                )
            return
        if not token:
            raise missing("SecurityToken")
        if not hmac.compare_digest(token.encode(), cred.security_token.encode()):
            raise ApiError(
                "InvalidSecurityToken.MismatchWithAccessKey", "The security token does not belong to the access key."
            )

    def _use_nonce(self, cred: Credential, nonce: str, ts: float) -> None:
        now = self.clock()
        # A replay is possible as long as its timestamp would still be accepted.
        expires_at = max(ts, now) + self.config.max_clock_skew_seconds
        with self.store.transaction() as tx:
            fresh = tx.use_nonce(f"{cred.access_key_id}:{nonce}", expires_at, now)
        if not fresh:
            raise ApiError("SignatureNonceUsed", "The request signature nonce has been used.")


def _mismatch() -> ApiError:
    return ApiError("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.")
