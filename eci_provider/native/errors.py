"""What a failed operation tells the user: what happened, then what to do, in the first line.

The Python SDK's provider server turns every exception into ``Unexpected <class 'Exception'>``
followed by a Python traceback.  The native plugin answers with one of these messages instead;
a traceback is written to the provider's own log (``pulumi up -v=9 --logtostderr``) only for
an error nobody anticipated, which is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi.provider.experimental.property_value import PropertyValue

from ..cloud.errors import (
    AuthError,
    EciError,
    GroupFailed,
    InvalidRequestError,
    MalformedResponseError,
    NotFoundError,
    ServerError,
    ThrottlingError,
    TransportError,
    WaitTimeout,
)
from ..cloud.waiters import Cancelled

__all__ = ["InitFailed", "ProviderError", "explain", "is_anticipated"]

RUN_AGAIN = "run `pulumi up` again"


class ProviderError(Exception):
    """An operation failed; ``message`` says what happened and what to do."""

    def __init__(self, message: str, cause: BaseException | None = None, *, invalid: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.cause = cause
        #: The user's input or configuration is at fault (INVALID_ARGUMENT, not UNKNOWN).
        self.invalid = invalid


class InitFailed(Exception):
    """The group exists but did not become ready: recorded by the engine with ``outputs``."""

    def __init__(
        self,
        group_id: str,
        outputs: dict[str, PropertyValue],
        reasons: Sequence[str],
        inputs: dict[str, PropertyValue] | None = None,
    ) -> None:
        super().__init__("; ".join(reasons))
        self.group_id = group_id
        self.outputs = outputs
        self.reasons = list(reasons)
        self.inputs = inputs or {}


def explain(error: BaseException, *, name: str) -> str:
    """The message for ``error`` while working on resource ``name``."""
    text = str(error)
    if isinstance(error, Cancelled):
        return f"{name}: {text}; the group may still be converging: {RUN_AGAIN} to wait for it"
    if isinstance(error, WaitTimeout):
        return (
            f"{name}: {text}; raise the resource's customTimeouts (or eci:timeoutSeconds), or look at the group's "
            f"events, then {RUN_AGAIN}"
        )
    if isinstance(error, GroupFailed):
        return f"{name}: {text}; fix what the events say, then {RUN_AGAIN}"
    if isinstance(error, AuthError):
        return (
            f"{name}: the ECI API rejected the credentials ({text}); check eci:accessKeyId and eci:accessKeySecret "
            "(or ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET) and the machine's clock"
        )
    if isinstance(error, ThrottlingError):
        return (
            f"{name}: the ECI API kept throttling ({text}); wait a minute and {RUN_AGAIN}, "
            "or raise eci:retryMaxAttempts"
        )
    if isinstance(error, MalformedResponseError):
        return (
            f"{name}: the ECI API sent an answer that cannot be read ({text}); nothing was assumed from it: {RUN_AGAIN}"
        )
    if isinstance(error, TransportError):
        return (
            f"{name}: the ECI API could not be reached ({text}); check eci:endpoint and the network, then {RUN_AGAIN}"
        )
    if isinstance(error, ServerError):
        return f"{name}: the ECI API kept failing ({text}); {RUN_AGAIN} later"
    if isinstance(error, NotFoundError):
        return f"{name}: {text}; run `pulumi refresh` to forget a group deleted outside Pulumi"
    if isinstance(error, InvalidRequestError):
        return f"{name}: the ECI API rejected the request ({text}); fix the spec, then {RUN_AGAIN}"
    if isinstance(error, EciError):
        return f"{name}: {text}; {RUN_AGAIN}"
    if isinstance(error, (ValueError, RuntimeError)):  # settings, inputs, a stale plan: the text says it
        return f"{name}: {text}"
    return (
        f"{name}: internal error in the eci provider ({type(error).__name__}: {text}); this is a bug: please report "
        "it with the provider's log (pulumi up -v=9 --logtostderr)"
    )


def is_anticipated(error: BaseException) -> bool:
    """Whether :func:`explain` says all there is to say (no traceback needed in the log)."""
    return isinstance(error, (EciError, ValueError, RuntimeError))
