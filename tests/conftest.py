import json
import os
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

from emulator_helpers import Api, FakeClock, make_emulator

# Generated specs are large; the time per example is not what these tests measure.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.register_profile("thorough", parent=settings.get_profile("default"), max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def pytest_addoption(parser):  # type: ignore[no-untyped-def]
    parser.addoption(
        "--regen-golden", action="store_true", help="rewrite golden files (tests/data/previews) instead of comparing"
    )


@pytest.fixture
def clock() -> FakeClock:
    """The emulator tests' clock: it moves only when a test tells it to."""
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> Api:
    """An in-process emulator with 1 s lifecycle steps (modules that need others override it)."""
    return Api(make_emulator(clock))


class _Answer(BaseHTTPRequestHandler):
    body = b""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def answering() -> Iterator[Any]:
    """A server that gives every request the same 200 answer (``answering(body)`` → URL)."""
    servers = []

    def start(body: dict[str, Any]) -> str:
        handler = type("Handler", (_Answer,), {"body": json.dumps(body).encode()})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
