"""In-process emulators behind ``httpx`` transports (the client's ``embedded:PATH`` endpoint).

Emulators are cached per (database path, options) so that every client of a process talks to
the same one: the Pulumi provider creates a client per RPC and serves several RPCs at once.
State lives in SQLite, so processes sharing a database file also share groups (faults are per
process).
"""

from __future__ import annotations

import os
import threading
from urllib.parse import parse_qsl

import httpx

from .config import config_from_options
from .core import Emulator
from .faults import DroppedResponse

_cache: dict[tuple[str, tuple[tuple[str, str], ...]], Emulator] = {}
_lock = threading.Lock()


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``PATH`` or ``PATH?opt=value&...`` → (absolute path or ``:memory:``, options)."""
    path, _, query = spec.partition("?")
    if not path:
        raise ValueError("an embedded emulator needs a database path (or :memory:)")
    if path != ":memory:":
        path = os.path.abspath(path)
    options: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)):
        if key in options:
            raise ValueError(f"emulator option {key!r} is given twice")
        options[key] = value
    return path, options


def embedded_emulator(spec: str) -> Emulator:
    """The process-wide emulator for ``spec`` (created on first use)."""
    path, options = parse_spec(spec)
    key = (path, tuple(sorted(options.items())))
    with _lock:
        emulator = _cache.get(key)
        if emulator is None:
            emulator = Emulator(config_from_options(path, options))
            _cache[key] = emulator
        return emulator


def clear_embedded_cache() -> None:
    """Close and forget every cached emulator (tests)."""
    with _lock:
        for emulator in _cache.values():
            emulator.close()
        _cache.clear()


class EmbeddedTransport(httpx.BaseTransport):
    """``httpx.WSGITransport`` that turns a dropped response into :class:`httpx.ReadError`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._inner = httpx.WSGITransport(app=emulator.wsgi_app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return self._inner.handle_request(request)
        except DroppedResponse:
            raise httpx.ReadError("the server closed the connection without a response", request=request) from None


def embedded_transport(spec: str) -> httpx.BaseTransport:
    """A transport to the embedded emulator named by ``spec`` (``PATH[?options]``)."""
    return EmbeddedTransport(embedded_emulator(spec))
