"""API errors of the emulator, and how spec validation failures map onto ECI error codes.

Every failure an action can produce is an :class:`ApiError`; the WSGI layer renders it as the
error body Alibaba Cloud documents for its RPC APIs.  Messages name the offending parameter in API spelling
(``Container.1.Port.1.Port``) so a client bug is easy to find, and never echo a value: a
rejected registry password must not come back in an error body or a log line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ValidationError

from ..spec import rules
from ..spec.model import ContainerGroupSpec
from ..spec.problems import REQUIRED, flatten_errors

Mode = Literal["create", "update"]

#: HTTP status per code.  Codes not listed are 400 (Alibaba's default for request errors).
_STATUS: dict[str, int] = {
    "InvalidParameter.NotFound": 404,
    "InvalidAccessKeyId.NotFound": 404,
    "InvalidAction.NotFound": 404,
    "InvalidAction": 403,
    "UnsupportedHTTPMethod": 405,
    "RequestTimeout": 408,
    "RequestBodyTooLarge": 413,
    "InternalError": 500,
    "ServiceUnavailable": 503,
}

#: Fixed messages from the error tables of the CreateContainerGroup and UpdateContainerGroup API references.
SEED_MESSAGES: dict[str, str] = {
    "InvalidParameter.CPU.Memory": "The specified cpu and memory are not allowed",
    "InvalidParameter.DuplicatedName": "The container group include containers with duplicate names.",
    "InvalidParameter.DuplicatedVolumeName": "The container group includes volumes with duplicate names.",
    "NoNeedUpdate": "There are no changes to be updated for current resource.",
    "Throttling": (
        "You have made too many requests within a short time; your request is denied due to request throttling"
    ),
    "DryRunOperation": "Request validation has been passed with DryRun flag set.",
    "PrivateIpAddress.Already.InUse": "The specific PrivateIpAddress already in use.",
}


#: HTTP reason phrases of the statuses the emulator answers with.
REASONS: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}

#: Rejections by the HTTP layer, before a request reaches the app: (code, message).  The ECI API
#: reference documents no codes for these, so the codes are the emulator's own.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request line or a header is malformed."),
    408: ("RequestTimeout", "The request did not arrive in time."),
    414: ("RequestURITooLong", "The request line is longer than 65536 bytes."),
    431: ("RequestHeaderFieldsTooLarge", "A header line is longer than 65536 bytes, or there are over 100 headers."),
    505: ("HTTPVersionNotSupported", "Only HTTP/1.0 and HTTP/1.1 are supported."),
}

#: ``HostId`` of an error answer when the request named no host.
DEFAULT_HOST_ID = "eci.emulator.local"


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def recommend_url(code: str, request_id: str) -> str:
    """Alibaba's usual ``Recommend`` link: the troubleshooting page for the code and request."""
    return f"https://api.aliyun.com/troubleshoot?q={code}&product=Eci&requestId={request_id}"


def error_body(request_id: str, host: str | None, code: str, message: str, recommend: str) -> dict[str, Any]:
    """An error answer in the RPC shape (RequestId, HostId, Code, Message, Recommend): the one
    builder behind every error the emulator sends, from an action or from the HTTP layer."""
    return {
        "RequestId": request_id,
        "HostId": host or DEFAULT_HOST_ID,
        "Code": code,
        "Message": message,
        "Recommend": recommend,
    }


class ApiError(Exception):
    """An error response: code, message, HTTP status and optional extra response headers."""

    def __init__(self, code: str, message: str, status: int | None = None, headers: Mapping[str, str] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)
        self.headers = dict(headers or {})


def missing(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def invalid(name: str, why: str) -> ApiError:
    return ApiError("InvalidParameter", f'The specified parameter "{name}" is not valid: {why}')


def parse_bool(name: str, raw: str | None, default: bool) -> bool:
    """``true``/``false`` in any case: the SDK sends Python's ``True``/``False``."""
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise invalid(name, "must be true or false")


def seed_error(code: str, detail: str | None = None) -> ApiError:
    base = SEED_MESSAGES[code]
    return ApiError(code, f"{base}: {detail}" if detail else base)


def not_found(group_id: str) -> ApiError:
    return ApiError("InvalidParameter.NotFound", f'The specified ContainerGroupId "{group_id}" does not exist.')


def incorrect_status(status: str, action: str) -> ApiError:
    return ApiError(
        "IncorrectStatus",
        f"The container group is {status}; {action} accepts only container groups that are Pending or Running.",
    )


# --------------------------------------------------------------------------------------
# Field paths → API parameter names
# --------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"\[(\d+)\]|\['(?:[^'\\]|\\.)*'\]|\[\"(?:[^\"\\]|\\.)*\"\]|\.?([A-Za-z_*][A-Za-z0-9_*]*)")


def api_path(path: str, mode: Mode = "create") -> str:
    """``containers[0].ports[1].port`` → ``Container.1.Port.1.Port`` (Update spelling in update mode).

    Tag keys (``tags['k']``) become ``Tag``: the request index of a tag is not known here.
    Segments that do not name a field (``lifecycle_pre_stop_handler_*``) are kept as written.
    """
    model: type | None = ContainerGroupSpec
    out: list[str] = []
    for m in _SEGMENT.finditer(path):
        index, name = m.group(1), m.group(2)
        if index is not None:
            out.append(str(int(index) + 1))
        elif name is None:
            continue  # a mapping key such as a tag key
        elif model is not None and name in model.model_fields:  # type: ignore[attr-defined]
            rule = rules.rule_of(model, name)  # type: ignore[arg-type]
            out.append(rule.api if mode == "create" else (rule.update_name or rule.api))
            model = rules.model_of(model.model_fields[name].annotation)  # type: ignore[attr-defined]
        else:
            out.append(name)
            model = None
    return ".".join(out) or "(request)"


_CODES_IN_MESSAGES = (
    "InvalidParameter.DuplicatedVolumeName",
    "InvalidParameter.DuplicatedName",
    "InvalidParameter.CPU.Memory",
)


def _code_for(path: str, message: str) -> str:
    for code in _CODES_IN_MESSAGES:
        if code in message:
            return code
    if path in ("cpu", "memory"):
        return "InvalidParameter.CPU.Memory"
    if re.fullmatch(r"init_containers\[\d+\]\.(cpu|memory)", path) and "instance" in message:
        return "InvalidParameter.CPU.Memory"
    return "InvalidParameter"


def from_validation(exc: ValidationError, mode: Mode = "create") -> ApiError:
    """The API error for a spec that fails validation.

    The spec models embed the API's error code in the message of the cross-field rules that have one
    (duplicate names, the vCPU/memory envelope); those codes win.  A missing required field is
    ``MissingParameter``; anything else is ``InvalidParameter`` naming the first bad field.
    """
    problems = flatten_errors(exc)
    for path, msg in problems:
        if msg == REQUIRED:
            return missing(api_path(path, mode))
    for path, msg in problems:
        code = _code_for(path, msg)
        if code != "InvalidParameter":
            return seed_error(code, f"{api_path(path, mode)}: {_strip_code(msg)}")
    path, msg = problems[0] if problems else ("(spec)", "invalid")
    return invalid(api_path(path, mode), msg)


def _strip_code(message: str) -> str:
    for code in _CODES_IN_MESSAGES:
        message = message.replace(f"; {code}", "").replace(code, "").strip()
    return message


_UPDATE_PREFIX = re.compile(r"^(?P<path>[A-Za-z][A-Za-z0-9_.]*)(?::\s*(?P<msg>.*))?$", re.S)


def from_update_decode(message: str) -> ApiError:
    """Rewrite a :func:`wire.decode_update_params` message into API spelling.

    The codec reports ``Container.0.ports.0.port: ...`` (top-level Update name, then 0-based
    field locations); clients know ``Container.1.Port.1.Port``.
    """
    m = _UPDATE_PREFIX.match(message)
    if not m or m.group("msg") is None:
        return ApiError("InvalidParameter", message)
    head, *rest = m.group("path").split(".")
    if any(p != p.lower() for p in rest):
        return ApiError("InvalidParameter", message)  # already in API spelling (a decoding error)
    field = next(
        (n for n in ContainerGroupSpec.model_fields if rules.rule_of(ContainerGroupSpec, n).update_name == head),
        None,
    )
    if field is None:
        return ApiError("InvalidParameter", message)
    snake = field + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in rest)
    if m.group("msg") == REQUIRED:
        return missing(api_path(snake, "update"))
    return invalid(api_path(snake, "update"), m.group("msg"))
