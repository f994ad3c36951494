"""Typed errors of the ECI API, decoded from the documented error body.

``{"RequestId", "HostId", "Code", "Message", "Recommend"}`` with HTTP 4xx/5xx
(Alibaba Cloud's documented error response).  The class tells the caller what to do: retry it, wait and retry it,
treat it as done, or give up.
"""

from __future__ import annotations

from typing import Any


class EciError(Exception):
    """An error answer of the ECI API (or of the transport, for :class:`TransportError`)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        status: int | None = None,
        action: str | None = None,
        retry_after: float | None = None,
        group_id: str | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.request_id = request_id
        self.status = status
        self.action = action
        self.retry_after = retry_after  # seconds the service asked to wait (x-acs-retry-after)
        #: The container group the error is about, when a waiter knows it (a wait that stopped
        #: after the group exists: the caller can still record the group).
        self.group_id = group_id
        where = f"{action}: " if action else ""
        meta = ", ".join(
            x for x in (f"RequestId {request_id}" if request_id else "", f"HTTP {status}" if status else "") if x
        )
        super().__init__(f"{where}{code}: {message}" + (f" ({meta})" if meta else ""))


class ThrottlingError(EciError):
    """``Throttling*``: retried with backoff, honouring ``x-acs-retry-after``."""


class ServerError(EciError):
    """5xx, ``ServiceUnavailable``, ``InternalError``, ``UnknownError``: retried."""


class MalformedResponseError(ServerError):
    """A 2xx answer that is not the JSON object the action documents (not JSON, not an object,
    or without the fields the action must return).  Retried like a 5xx, but only a few times
    (``RetryPolicy.malformed_max_attempts``): it is more likely a proxy or a service defect than
    a passing overload.  It is never read as an empty answer: an empty Describe would mean
    "gone", and a live group would be dropped from the state."""


class TransportError(EciError):
    """No answer: connection refused or reset, timeout, response lost. Retried (ClientToken
    makes a retried mutation safe)."""


class NotFoundError(EciError):
    """The container group does not exist (``InvalidParameter.NotFound``)."""


class IncorrectStatusError(EciError):
    """The group's state does not allow the operation now (``IncorrectStatus``); wait, then retry."""


class NoNeedUpdateError(EciError):
    """The update would change nothing (``NoNeedUpdate``); the planner never sends such a call."""


class InvalidRequestError(EciError):
    """Anything else the service rejects: fix the request; never retried."""


class AuthError(EciError):
    """Signature, access key, timestamp or nonce rejected."""


class WaitTimeout(EciError):
    """A waiter's deadline passed before the group reached the wanted state."""


class GroupFailed(EciError):
    """The group ended in Failed or ScheduleFailed while we waited; carries its last events."""

    def __init__(self, code: str, message: str, *, events: list[dict[str, Any]] | None = None, **kw: Any) -> None:
        super().__init__(code, message, **kw)
        self.events = events or []


_RETRYABLE_CODES = {"ServiceUnavailable", "InternalError", "UnknownError"}
_AUTH_CODES = {
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "InvalidTimeStamp.Format",
    "InvalidTimeStamp.Expired",
    "SignatureNonceUsed",
    "InvalidSecurityToken.Expired",
    "InvalidSecurityToken.Malformed",
}


def classify(code: str, status: int | None) -> type[EciError]:
    """The error class for an API error code and HTTP status."""
    if code.startswith("Throttling"):
        return ThrottlingError
    if code in _RETRYABLE_CODES or (status is not None and status >= 500):
        return ServerError
    if status == 429:  # Too Many Requests from a gateway in front of the API
        return ThrottlingError
    if code == "InvalidParameter.NotFound" or (code.endswith(".NotFound") and "ContainerGroup" in code):
        return NotFoundError
    if code.startswith("IncorrectStatus") or code == "OperationConflict":
        return IncorrectStatusError
    if code == "NoNeedUpdate":
        return NoNeedUpdateError
    if code in _AUTH_CODES:
        return AuthError
    return InvalidRequestError


RETRYABLE: tuple[type[EciError], ...] = (ThrottlingError, ServerError, TransportError)


class Cancelled(EciError):
    """Stopped by a cancel (Ctrl-C, the engine's Cancel): a wait that ends early (the group may
    still be converging), or a call that was not sent."""
