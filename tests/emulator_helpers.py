"""Helpers shared by the emulator tests (this module holds no tests).

``Api`` signs requests with :mod:`eci_provider.cloud.signing` and sends them to an in-process
emulator through ``httpx.WSGITransport``, so the whole protocol path (parsing, signature,
dispatch, error bodies) runs in every test without sockets.  ``FakeClock`` drives the lazy
state machine.  Tests of the HTTP layer use ``api_over_http`` (the same client against a real
loopback server) and ``raw_exchange`` (bytes no HTTP client library would send).
"""

from __future__ import annotations

import hashlib
import json
import socket
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from eci_provider.cloud import signing, wire
from eci_provider.emulator import Emulator, EmulatorConfig, RunningServer
from eci_provider.emulator.state import rfc3339
from eci_provider.spec.model import ContainerGroupSpec
from eci_provider.spec.rules import rule_of

REGION = "cn-hangzhou"
HOST = "eci.emulator.local"
T0 = 1_800_000_000.0


class FakeClock:
    """An injectable clock (epoch seconds) that moves only when told to."""

    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


class ApiCallError(Exception):
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status = response.status_code
        self.body = response.json()
        self.code = self.body.get("Code")
        super().__init__(f"{self.status} {self.code}: {self.body.get('Message')}")


class Api:
    """A minimal signed RPC client for tests (V1 or V3)."""

    def __init__(
        self,
        emulator: Emulator,
        *,
        access_key_id: str = "testid",
        secret: str = "testsecret",
        style: str = "v1",
        region: str = REGION,
        security_token: str | None = None,
    ) -> None:
        self.emulator = emulator
        self.access_key_id = access_key_id
        self.secret = secret
        self.style = style
        self.region = region
        self.security_token = security_token
        self.http = httpx.Client(transport=httpx.WSGITransport(app=emulator.wsgi_app), base_url=f"http://{HOST}")

    # -- raw requests ----------------------------------------------------------------------
    def v1_params(self, action: str, params: dict[str, str], method: str = "POST", **common: str) -> dict[str, str]:
        out = {
            "Action": action,
            "Version": "2018-08-08",
            "Format": "JSON",
            "AccessKeyId": self.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": rfc3339(self.emulator.clock()),
            **params,
        }
        if self.security_token:
            out["SecurityToken"] = self.security_token
        out.update(common)
        out["Signature"] = signing.rpc_signature(method, out, self.secret)
        return out

    def send_v1(self, action: str, params: dict[str, str], *, method: str = "POST", **common: str) -> httpx.Response:
        signed = self.v1_params(action, params, method, **common)
        return self.http.request(method, "/?" + urlencode(signed, quote_via=quote))

    def send_v1_form(self, action: str, params: dict[str, str]) -> httpx.Response:
        """V1 with every parameter in a form body, as the SDK and this project's client send it."""
        signed = self.v1_params(action, params)
        body = urlencode(signed, quote_via=quote).encode()
        return self.http.post("/", content=body, headers={"content-type": "application/x-www-form-urlencoded"})

    def admin_get(self, name: str, **extra: str) -> httpx.Response:
        """``GET /__emulator/<name>``, signed with V1 in the query (no Action, no Version)."""
        params = {
            "Format": "JSON",
            "AccessKeyId": self.access_key_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0",
            "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": rfc3339(self.emulator.clock()),
            **extra,
        }
        params["Signature"] = signing.rpc_signature("GET", params, self.secret)
        return self.http.get(f"/__emulator/{name}?" + urlencode(params, quote_via=quote))

    def v3_headers(self, action: str, query: dict[str, str], body: bytes = b"", **extra: str) -> dict[str, str]:
        headers = {
            "host": HOST,
            "x-acs-action": action,
            "x-acs-version": "2018-08-08",
            "x-acs-date": rfc3339(self.emulator.clock()),
            "x-acs-signature-nonce": uuid.uuid4().hex,
            "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
        }
        if self.security_token:
            headers["x-acs-security-token"] = self.security_token
        headers.update(extra)
        headers["Authorization"] = signing.acs3_authorization(
            "POST", "/", query, headers, headers["x-acs-content-sha256"], self.access_key_id, self.secret
        )
        return headers

    def send_v3(self, action: str, params: dict[str, str], **extra: str) -> httpx.Response:
        headers = self.v3_headers(action, params, **extra)
        return self.http.post("/?" + urlencode(params, quote_via=quote), headers=headers)

    def send(self, action: str, params: dict[str, str]) -> httpx.Response:
        params = {"RegionId": self.region, **params}
        return self.send_v1(action, params) if self.style == "v1" else self.send_v3(action, params)

    # -- calls ---------------------------------------------------------------------------
    def call(self, action: str, params: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
        merged = {**(params or {}), **{k: str(v) for k, v in kw.items()}}
        response = self.send(action, merged)
        if response.status_code != 200:
            raise ApiCallError(response)
        body = response.json()
        assert "RequestId" in body
        return body

    def create(self, spec: dict[str, Any] | ContainerGroupSpec, **extra: Any) -> str:
        model = spec if isinstance(spec, ContainerGroupSpec) else ContainerGroupSpec.model_validate(spec)
        params = wire.to_create_params(model, self.region)
        return self.call("CreateContainerGroup", params, **extra)["ContainerGroupId"]

    def update(self, group_id: str, params: dict[str, str], update_type: str | None = None, **kw: Any) -> dict:
        extra = {"ContainerGroupId": group_id, **params}
        if update_type:
            extra["UpdateType"] = update_type
        return self.call("UpdateContainerGroup", extra, **kw)

    def describe(self, **params: Any) -> dict[str, Any]:
        return self.call("DescribeContainerGroups", **params)

    def group(self, group_id: str) -> dict[str, Any] | None:
        groups = self.describe(ContainerGroupIds=f'["{group_id}"]')["ContainerGroups"]
        return groups[0] if groups else None


def make_emulator(clock: FakeClock | None = None, **config: Any) -> Emulator:
    config.setdefault("transition_seconds", 1.0)
    return Emulator(EmulatorConfig(**config), clock=clock or FakeClock(), sleep=lambda s: None)


def web_spec(**overrides: Any) -> dict[str, Any]:
    """A small valid spec: one container, a volume, tags."""
    spec: dict[str, Any] = {
        "name": "web-app",
        "containers": [
            {
                "name": "web",
                "image": "nginx:1.25",
                "cpu": 0.5,
                "memory": 1.0,
                "ports": [{"port": 80}],
                "volume_mounts": [{"name": "cfg", "mount_path": "/etc/app"}],
            },
            {"name": "sidecar", "image": "busybox", "commands": ["sleep", "3600"]},
        ],
        "volumes": [
            {
                "name": "cfg",
                "type": "ConfigFileVolume",
                "config_file_volume": {"config_file_to_paths": [{"path": "app.conf", "content": "aGVsbG8="}]},
            },
            {"name": "scratch", "type": "EmptyDirVolume"},
        ],
        "tags": {"team": "shop", "env": "dev"},
    }
    spec.update(overrides)
    return spec


def update_params(spec: dict[str, Any], *fields: str) -> dict[str, str]:
    """The complete UpdateContainerGroup parameters of ``fields`` of ``spec``."""
    # Observed mode: type checks only, so that a test can send an update the service must reject.
    model = ContainerGroupSpec.model_validate(spec, context={"observed": True})
    tree = wire.to_api_tree(model, "update")
    out: dict[str, str] = {}
    for name in fields:
        key = rule_of(ContainerGroupSpec, name).update_name
        if getattr(model, name) is not None and key is not None:
            out.update(wire.flatten({key: tree[key]}))
    return out


def restart_counts(group: dict[str, Any], key: str = "Containers") -> dict[str, int]:
    return {c["Name"]: c["RestartCount"] for c in group.get(key) or ()}


# --------------------------------------------------------------------------------------
# Raw HTTP over loopback (requests no HTTP client library would send)
# --------------------------------------------------------------------------------------

#: How long a test waits for the server to answer before it fails.  A safety net so that a
#: server that never answers fails the test instead of hanging it; nothing is timed against it.
PATIENCE_SECONDS = 20.0


@dataclass(frozen=True)
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def parse_response(raw: bytes) -> RawResponse:
    assert raw, "the server closed the connection without an answer"
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return RawResponse(int(status_line.split()[1]), headers, body)


def raw_exchange(port: int, data: bytes) -> RawResponse:
    """Send ``data`` on a new connection and parse what comes back before the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE_SECONDS) as sock:
        sock.sendall(data)
        return parse_response(read_until_closed(sock))


def api_over_http(server: RunningServer, **kw: Any) -> Api:
    """An :class:`Api` that talks to ``server`` over loopback HTTP instead of in process."""
    api = Api(server.emulator, **kw)
    api.http = httpx.Client(base_url=server.url, timeout=PATIENCE_SECONDS)
    return api
