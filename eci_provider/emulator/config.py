"""Emulator configuration: credentials, timings, retention, rate limits and faults."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..cloud.ratelimit import DOCUMENTED_LIMITS, parse_rate_limits
from .faults import Faults

__all__ = ["Credential", "EmulatorConfig", "rate_limits_option"]


@dataclass(frozen=True)
class Credential:
    """An AccessKey pair the emulator accepts, optionally an STS pair with its token.

    The secret and the token are left out of ``repr`` so that a logged config leaks nothing.
    """

    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything that shapes an emulator instance.

    ``transition_seconds`` is the length of every lifecycle step (Scheduling, Pending,
    Updating, Restarting, Terminating, and a simulated container's run time): about 0 in unit
    tests, a few seconds for a demo, so that a reconciler's waiting logic is exercised.
    """

    db_path: str = ":memory:"
    credentials: tuple[Credential, ...] = (Credential("testid", "testsecret"),)
    transition_seconds: float = 0.0
    #: Terminal groups (Succeeded/Failed/Expired) are fully kept this long (DescribeContainerGroups API
    #: reference: 1 hour) ...
    retention_seconds: float = 3600.0
    #: ... after which only this many of the newest stay, per region (DescribeContainerGroups API reference: 100).
    retention_keep: int = 100
    #: A ScheduleFailed group is deleted by the service after this long (ECI instance lifecycle documentation: 24 h).
    schedule_failed_ttl_seconds: float = 86400.0
    #: How long a ClientToken returns the original response (an interpretation, docs/emulator.md: 24 h).
    client_token_ttl_seconds: float = 86400.0
    #: Accepted clock skew of Timestamp / x-acs-date (Alibaba Cloud's API error codes,
    #: InvalidTimeStamp.Expired: 15 minutes).
    max_clock_skew_seconds: float = 900.0
    #: Over HTTP, a request (request line, headers and body) must arrive within this many seconds
    #: of its connection being accepted; a slower client is answered ``RequestTimeout`` (408) and
    #: disconnected.  One deadline for the whole request, not a timeout per read: a slow-loris
    #: client that sends a byte every few seconds would otherwise hold a handler thread forever.
    #: It also bounds each write of a response.
    read_timeout_seconds: float = 30.0
    #: The largest request body read; a longer ``Content-Length`` is ``RequestBodyTooLarge``
    #: (413) before a byte of the body is read.  The largest legitimate body is a create with 20
    #: config-file volumes of 60 KiB of Base64 content each (CreateContainerGroup API reference):
    #: 1,228,800 characters, which percent-encoding can triple (``+``, ``/`` and ``=`` become
    #: ``%2B``, ``%2F``, ``%3D``) to 3.5 MiB.  8 MiB leaves as much again for the rest of the spec
    #: and still bounds what one request can make the emulator hold in memory.
    max_body_bytes: int = 8 * 1024 * 1024
    #: API rate limits to enforce, calls per minute per access key and action (ECI Limits
    #: documentation, "API rate limits"); beyond them a call is answered ``Throttling`` (400).
    #: None (the default): not enforced.  See :mod:`.ratelimits` for how a minute is counted.
    rate_limits: Mapping[str, int] | None = None
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if not self.credentials:
            raise ValueError("at least one credential is needed")
        if self.transition_seconds < 0:
            raise ValueError("transition_seconds must not be negative")
        if self.retention_keep < 0:
            raise ValueError("retention_keep must not be negative")
        if not self.read_timeout_seconds > 0:
            raise ValueError("read_timeout_seconds must be positive")
        if self.max_body_bytes < 0:
            raise ValueError("max_body_bytes must not be negative")
        if self.rate_limits is not None:
            # Known actions and whole numbers above 0; the actions not named are not limited.
            checked = parse_rate_limits(self.rate_limits, name="rate_limits")
            object.__setattr__(self, "rate_limits", {a: checked[a] for a in self.rate_limits})

    def credential(self, access_key_id: str) -> Credential | None:
        return next((c for c in self.credentials if c.access_key_id == access_key_id), None)


#: Option names accepted by :func:`config_from_options` (embedded endpoints, the CLI), mapped to
#: (target, field, type).  Short aliases match the CLI flags.
_OPTIONS: dict[str, tuple[str, str, type]] = {
    "transition_seconds": ("config", "transition_seconds", float),
    "retention_seconds": ("config", "retention_seconds", float),
    "retention_keep": ("config", "retention_keep", int),
    "client_token_ttl_seconds": ("config", "client_token_ttl_seconds", float),
    "schedule_failed_ttl_seconds": ("config", "schedule_failed_ttl_seconds", float),
    "max_clock_skew_seconds": ("config", "max_clock_skew_seconds", float),
    "max_body_bytes": ("config", "max_body_bytes", int),
    "throttle_rate": ("faults", "throttle_rate", float),
    "retry_after_ms": ("faults", "retry_after_ms", int),
    "error_5xx_rate": ("faults", "error_5xx_rate", float),
    "latency_seconds": ("faults", "latency_seconds", float),
    "latency": ("faults", "latency_seconds", float),
    "drop_create_response_rate": ("faults", "drop_create_response_rate", float),
    "drop_update_response_rate": ("faults", "drop_update_response_rate", float),
    "malformed_response_rate": ("faults", "malformed_response_rate", float),
    "visibility_delay_seconds": ("faults", "visibility_delay_seconds", float),
    "visibility_delay": ("faults", "visibility_delay_seconds", float),
    "schedule_failed_rate": ("faults", "schedule_failed_rate", float),
    "seed": ("faults", "seed", int),
    "access_key_id": ("credential", "access_key_id", str),
    "access_key_secret": ("credential", "access_key_secret", str),
    "security_token": ("credential", "security_token", str),
}


def config_from_options(db_path: str, options: Mapping[str, str]) -> EmulatorConfig:
    """Build a config from string options (``transition_seconds=0.5&throttle_rate=0.1``).

    Unknown names and malformed values raise :class:`ValueError`: a typo in an endpoint string
    must not silently run the emulator without the fault the test meant to inject.
    """
    config: dict[str, object] = {"db_path": db_path}
    faults: dict[str, object] = {}
    cred: dict[str, str] = {}
    for name, raw in options.items():
        if name == "rate_limits":
            config["rate_limits"] = rate_limits_option(raw, name="emulator option 'rate_limits'")
            continue
        if name not in _OPTIONS:
            known = ", ".join(sorted([*_OPTIONS, "rate_limits"]))
            raise ValueError(f"unknown emulator option {name!r}; known: {known}")
        target, attr, kind = _OPTIONS[name]
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(f"emulator option {name!r} must be {kind.__name__}") from None
        {"config": config, "faults": faults, "credential": cred}[target][attr] = value
    if cred:
        if "access_key_id" not in cred or "access_key_secret" not in cred:
            raise ValueError("access_key_id and access_key_secret must be given together")
        config["credentials"] = (Credential(**cred),)
    config["faults"] = Faults(**faults)  # type: ignore[arg-type]
    return EmulatorConfig(**config)  # type: ignore[arg-type]


def rate_limits_option(raw: str, *, name: str) -> dict[str, int]:
    """Rate limits to enforce from a string: ``documented`` (the documented limits), or
    ``Action=N`` pairs separated by commas, which replace those actions' documented limits
    (``DescribeContainerGroups=120`` enforces 120 Describe calls a minute and the documented
    limits of the other actions)."""
    if raw.strip() == "documented":
        return dict(DOCUMENTED_LIMITS)
    return parse_rate_limits(raw, name=name)
