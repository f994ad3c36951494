"""The WSGI application: request parsing, authentication, faults, dispatch, response bodies.

``/`` is the RPC endpoint (``GET`` or ``POST``; parameters in the query and/or an
``application/x-www-form-urlencoded`` body).  ``/__emulator/stats`` (counters, unsigned) and
``/__emulator/groups`` (every group, secrets masked; signed with the emulator's credentials) are
admin endpoints that exist only on the emulator; no ``Action`` value reaches them.

One log line per request goes to the ``eci_provider.emulator`` logger: action, HTTP status,
error code, duration.  Parameters are never logged (they carry signatures, STS tokens and
registry passwords); that is also why wsgiref's own access log is switched off in
:mod:`.server`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qsl

from .auth import Authenticated, Authenticator, Request, RequestHead
from .config import EmulatorConfig
from .errors import REASONS, SEED_MESSAGES, ApiError, error_body, missing, new_request_id, recommend_url
from .faults import DroppedResponse, FaultInjector, MalformedAnswer
from .service import ACTIONS, Service


class Backend(Protocol):
    """What the WSGI layer needs of the emulator (:class:`.core.Emulator` is one): the parts it
    dispatches to, so that this module does not import the one that builds it."""

    config: EmulatorConfig
    service: Service
    injector: FaultInjector
    authenticator: Authenticator
    sleep: Callable[[float], None]

    def stats(self) -> dict[str, Any]: ...

    def groups(self) -> list[dict[str, Any]]: ...


logger = logging.getLogger("eci_provider.emulator")

API_VERSION = "2018-08-08"
ADMIN_PREFIX = "/__emulator/"
ADMIN_ENDPOINTS = ("stats", "groups")
StartResponse = Callable[..., Any]


#: Alibaba Cloud's usual InternalError text (not in the API references).
_INTERNAL_ERROR = "The request processing has failed due to some unknown error."


def json_response(
    status: int, body: dict[str, Any], request_id: str, extra: Mapping[str, str] | None = None
) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status line, headers and payload of a JSON answer: the app's, and the HTTP layer's own
    rejections in :mod:`.server`, so that a client reads every error the same way."""
    payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
    headers = [
        ("Content-Type", "application/json;charset=utf-8"),
        ("Content-Length", str(len(payload))),
        ("x-acs-request-id", request_id),
        *(extra or {}).items(),
    ]
    return f"{status} {REASONS.get(status, 'Error')}", headers, payload


def _pairs(text: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        if key in out:
            raise ApiError("InvalidParameter", f"The parameter {key} is given more than once ({where}).")
        out[key] = value
    return out


def read_head(environ: dict[str, Any]) -> RequestHead:
    """What a request says before its body: method, path, query parameters and headers."""
    query = _pairs(environ.get("QUERY_STRING") or "", "query")
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if environ.get(key):
            headers[name] = str(environ[key])
    return RequestHead(environ["REQUEST_METHOD"].upper(), environ.get("PATH_INFO") or "/", query, headers)


def _checked_length(raw: str | None, max_bytes: int) -> int:
    """The body length a ``Content-Length`` value declares; ``RequestBodyTooLarge`` (413) above
    ``max_bytes``.  The digits are counted before ``int()`` sees them, so that a value of
    thousands of digits costs nothing (and cannot trip Python's limit on integer parsing)."""
    if not raw:
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise ApiError("InvalidParameter", "Content-Length is not a number.")
    digits = raw.lstrip("0") or "0"
    if len(digits) > len(str(max_bytes)) or int(digits) > max_bytes:
        raise ApiError("RequestBodyTooLarge", f"The request body is larger than {max_bytes} bytes.")
    return int(digits)


def read_body(environ: dict[str, Any], max_bytes: int) -> bytes:
    """The request body, read only once its declared length has passed the cap.

    A ``Content-Length`` over ``max_bytes`` is refused (413) before the first byte is read, and
    the read stops at the declared length, so no request makes the emulator read or hold more
    than ``max_bytes``.  Over HTTP the stream enforces the request's read deadline
    (:mod:`.server`): a body that stalls is ``RequestTimeout`` (408).
    """
    length = _checked_length(environ.get("CONTENT_LENGTH"), max_bytes)
    if length == 0:
        return b""
    try:
        body: bytes = environ["wsgi.input"].read(length)
    except TimeoutError:
        raise ApiError("RequestTimeout", "The request body did not arrive in time.") from None
    if len(body) != length:
        raise ApiError("InvalidParameter", "The request body is shorter than its Content-Length.")
    return body


def parse_form(head: RequestHead, body: bytes) -> dict[str, str]:
    """The parameters of an ``application/x-www-form-urlencoded`` body (none for other types)."""
    if not body or not head.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    try:
        form = _pairs(body.decode("utf-8"), "body")
    except UnicodeDecodeError:
        raise ApiError("InvalidParameter", "The form body is not UTF-8.") from None
    for key in head.query.keys() & form.keys():
        raise ApiError("InvalidParameter", f"The parameter {key} is given in both the query and the body.")
    return form


class App:
    """The emulator's WSGI callable (``Emulator.wsgi_app``)."""

    def __init__(self, emulator: Backend) -> None:
        self.emulator = emulator

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        request_id = new_request_id()
        label = ["-"]  # the action, once it is known to be a real one (never a raw client value)
        headers: dict[str, str] = {}
        host = environ.get("HTTP_HOST")
        try:
            path = environ.get("PATH_INFO") or "/"
            if path.startswith(ADMIN_PREFIX):
                name = path[len(ADMIN_PREFIX) :]
                label[0] = f"admin:{name}" if name in ADMIN_ENDPOINTS else "admin:-"
                status, body = 200, self._admin(environ, path)
            else:
                result = self._rpc(environ, path, label)
                status, body = 200, {"RequestId": request_id, **result}
        except ApiError as e:
            status, headers = e.status, e.headers
            body = error_body(request_id, host, e.code, e.message, recommend_url(e.code, request_id))
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
            body = error_body(request_id, host, "InternalError", _INTERNAL_ERROR, "")
        self._log(label[0], status, body.get("Code", "-"), started)
        status_line, response_headers, payload = json_response(status, body, request_id, headers)
        start_response(status_line, response_headers)
        return [payload]

    def _rpc(self, environ: dict[str, Any], path: str, label: list[str]) -> dict[str, Any]:
        emu = self.emulator
        if path != "/":
            raise ApiError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
        if environ["REQUEST_METHOD"].upper() not in ("GET", "POST"):
            raise ApiError("UnsupportedHTTPMethod", "Only GET and POST are supported.")
        auth = self._authenticate(environ)
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

    def _authenticate(self, environ: dict[str, Any]) -> Authenticated:
        """Authenticate a request, reading its body only when its head allows it: a V3 caller
        is verified first (see :meth:`.Authenticator.before_body`), then the declared size is
        checked against ``max_body_bytes``, and only then is the body read and parsed."""
        emu = self.emulator
        head = read_head(environ)
        verified = emu.authenticator.before_body(head)
        body = read_body(environ, emu.config.max_body_bytes)
        return emu.authenticator.authenticate(Request.of(head, parse_form(head, body), body), verified)

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
            self._check_admin_caller(environ, name)
            return {"ContainerGroups": self.emulator.groups()}
        raise ApiError("InvalidAction.NotFound", "Unknown admin endpoint; use /__emulator/stats or /__emulator/groups.")

    def _check_admin_caller(self, environ: dict[str, Any], name: str) -> None:
        """The group listing needs the emulator's credentials: it shows every caller's groups on
        a shared machine.  It is signed like an RPC request (V1 or V3, same checks and nonces);
        ``Action`` and ``Version`` are ignored, and no other parameter is accepted."""
        for key in self._authenticate(environ).params:
            raise ApiError("InvalidParameter", f"The parameter {key} is not accepted by /__emulator/{name}.")

    def _log(self, label: str, status: int, code: str, started: float) -> None:
        logger.info("%s %d %s %.1fms", label, status, code, (time.perf_counter() - started) * 1000)
