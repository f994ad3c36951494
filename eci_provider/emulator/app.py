"""The WSGI application: request parsing, authentication, faults, dispatch, response bodies.

``/`` is the RPC endpoint (``GET`` or ``POST``; parameters in the query and/or an
``application/x-www-form-urlencoded`` body).  ``/__emulator/stats`` and ``/__emulator/groups``
are unsigned admin endpoints that exist only on the emulator; no ``Action`` value reaches them.

One log line per request goes to the ``eci_provider.emulator`` logger: action, HTTP status,
error code, duration.  Parameters are never logged (they carry signatures, STS tokens and
registry passwords); that is also why wsgiref's own access log is switched off in
:mod:`.server`.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .auth import Request
from .errors import SEED_MESSAGES, ApiError, missing
from .faults import DroppedResponse, MalformedAnswer
from .service import ACTIONS

if TYPE_CHECKING:
    from .core import Emulator

logger = logging.getLogger("eci_provider.emulator")

API_VERSION = "2018-08-08"
ADMIN_PREFIX = "/__emulator/"
StartResponse = Callable[..., Any]


#: Alibaba Cloud's usual InternalError text (not in the API references).
_INTERNAL_ERROR = "The request processing has failed due to some unknown error."


def _error_body(environ: dict[str, Any], request_id: str, code: str, message: str, recommend: str) -> dict[str, Any]:
    """An error answer in the RPC shape (RequestId, HostId, Code, Message, Recommend)."""
    return {
        "RequestId": request_id,
        "HostId": environ.get("HTTP_HOST") or "eci.emulator.local",
        "Code": code,
        "Message": message,
        "Recommend": recommend,
    }


def _request_id() -> str:
    return str(uuid.uuid4()).upper()


def _pairs(text: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in out:
            raise ApiError("InvalidParameter", f"The parameter {key} is given more than once ({where}).")
        out[key] = value
    return out


def read_request(environ: dict[str, Any]) -> Request:
    """The parts of a WSGI request that authentication and dispatch need."""
    query = _pairs(environ.get("QUERY_STRING") or "", "query")
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ApiError("InvalidParameter", "Content-Length is not a number.") from None
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    form: dict[str, str] = {}
    if body and headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            form = _pairs(body.decode("utf-8"), "body")
        except UnicodeDecodeError:
            raise ApiError("InvalidParameter", "The form body is not UTF-8.") from None
    for key in query.keys() & form.keys():
        raise ApiError("InvalidParameter", f"The parameter {key} is given in both the query and the body.")
    return Request(environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/", query, form, headers, body)


class App:
    """The emulator's WSGI callable (``Emulator.wsgi_app``)."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = _request_id()
        label = ["-"]  # the action, once it is known to be a real one (never a raw client value)
        headers: dict[str, str] = {}
        try:
            path = environ.get("PATH_INFO") or "/"
            if path.startswith(ADMIN_PREFIX):
                label[0] = "admin:" + path[len(ADMIN_PREFIX) :]
                status, body = 200, self._admin(environ, path)
            else:
                result = self._rpc(environ, path, label)
                status, body = 200, {"RequestId": request_id, **result}
        except ApiError as e:
            status, headers = e.status, e.headers
            recommend = f"https://api.aliyun.com/troubleshoot?q={e.code}&product=Eci&requestId={request_id}"
            body = _error_body(environ, request_id, e.code, e.message, recommend)
        except DroppedResponse:
            self._log(label[0], 0, "DroppedResponse", started)
            raise
        except MalformedAnswer:
            self._log(label[0], 200, "MalformedAnswer", started)
            start_response(
                "200 OK",
                [("Content-Type", "text/html"), ("Content-Length", str(len(MalformedAnswer.BODY)))],
            )
            return [MalformedAnswer.BODY]
        except Exception:
            logger.exception("internal error while handling %s", label[0])
            status = 500
            body = _error_body(environ, request_id, "InternalError", _INTERNAL_ERROR, "")
        self._log(label[0], status, body.get("Code", "-"), started)
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", "application/json;charset=utf-8"),
                ("Content-Length", str(len(payload))),
                ("x-acs-request-id", request_id),
                *headers.items(),
            ],
        )
        return [payload]

    def _rpc(self, environ: dict[str, Any], path: str, label: list[str]) -> dict[str, Any]:
        emu = self.emulator
        if path != "/":
            raise ApiError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        if environ["REQUEST_METHOD"].upper() not in ("GET", "POST"):
            raise ApiError("UnsupportedHTTPMethod", "Only GET and POST are supported.")
        auth = emu.authenticator.authenticate(read_request(environ))
        if not auth.action:
            raise missing("Action")
        if auth.action not in ACTIONS:
            raise ApiError("InvalidAction", "The specified action is invalid.")
        if not auth.version:
            raise missing("Version")
        if auth.version != API_VERSION:
            raise ApiError("InvalidVersion", "Specified parameter Version is not valid.")
        action = label[0] = auth.action
        emu.service.count(f"requests.{action}")
        self._inject(action)
        result = emu.service.call(action, auth.params)
        drop_rate = {
            "CreateContainerGroup": emu.injector.faults.drop_create_response_rate,
            "UpdateContainerGroup": emu.injector.faults.drop_update_response_rate,
        }.get(action, 0.0)
        if emu.injector.roll(drop_rate):
            emu.service.count(f"faults.drop_{'create' if action.startswith('Create') else 'update'}_response")
            raise DroppedResponse(action)
        return result

    def _inject(self, action: str) -> None:
        """The faults that replace a response (after authentication, before any effect)."""
        emu = self.emulator
        faults = emu.injector.faults
        if faults.latency_seconds > 0:
            emu.service.count("faults.latency")
            emu.sleep(faults.latency_seconds)
        if emu.injector.roll(faults.throttle_rate):
            emu.service.count("faults.throttle")
            extra = {"x-acs-retry-after": str(faults.retry_after_ms)} if faults.retry_after_ms else {}
            raise ApiError("Throttling", SEED_MESSAGES["Throttling"], 400, extra)
        if emu.injector.roll(faults.error_5xx_rate):
            emu.service.count("faults.error_5xx")
            if emu.injector.choice(("InternalError", "ServiceUnavailable")) == "InternalError":
                raise ApiError("InternalError", _INTERNAL_ERROR)
            raise ApiError("ServiceUnavailable", "The request has failed due to a temporary failure of the server.")
        if emu.injector.roll(faults.malformed_response_rate):
            emu.service.count("faults.malformed_response")
            raise MalformedAnswer()

    def _admin(self, environ: dict[str, Any], path: str) -> dict[str, Any]:
        if environ["REQUEST_METHOD"].upper() != "GET":
            raise ApiError("UnsupportedHTTPMethod", "The admin endpoints accept only GET.")
        name = path[len(ADMIN_PREFIX) :]
        if name == "stats":
            return self.emulator.stats()
        if name == "groups":
            return {"ContainerGroups": self.emulator.groups()}
        raise ApiError("InvalidAction.NotFound", "Unknown admin endpoint; use /__emulator/stats or /__emulator/groups.")

    def _log(self, label: str, status: int, code: str, started: float) -> None:
        logger.info("%s %d %s %.1fms", label, status, code, (time.perf_counter() - started) * 1000)


_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}
