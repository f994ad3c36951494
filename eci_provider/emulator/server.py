"""Serve the emulator over real HTTP on 127.0.0.1 with a threaded wsgiref server.

Two changes to the standard library server matter: the access log is off (wsgiref would print
the request line, query string and all: signatures, STS tokens, registry passwords), and a
:class:`~.faults.DroppedResponse` closes the connection without writing a byte, which is how
"the create committed but the response was lost" looks to a client.
"""

from __future__ import annotations

import socketserver
import sys
import threading
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .config import EmulatorConfig
from .core import Emulator
from .faults import DroppedResponse


class _Handler(ServerHandler):
    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], DroppedResponse):
            self.dropped = True
            self.close()
            return
        super().handle_error()

    def close(self) -> None:
        if getattr(self, "dropped", False):
            # ServerHandler.close would log the request line using a status that was never set.
            SimpleHandler.close(self)
            return
        super().close()


class _RequestHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the app logs one line per request without parameters."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _Handler(self.rfile, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        if getattr(handler, "dropped", False):
            self.close_connection = True


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 refuses connections when a provider drives 20 groups
    # at once; the clients would see resets and retry with backoff.
    request_queue_size = 128

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall without DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)
        self.setup_environ()


class RunningServer:
    """A started server: ``port``, ``url``, ``emulator``, ``shutdown()``."""

    def __init__(self, emulator: Emulator, host: str, port: int) -> None:
        self.emulator = emulator
        self._server = _ThreadingServer((host, port), _RequestHandler)
        self._server.set_app(emulator.wsgi_app)
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="eci-emulator", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def wait(self) -> None:
        """Block until the server stops (the CLI waits here for Ctrl-C)."""
        while self._thread.is_alive():
            self._thread.join(0.5)

    def shutdown(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


def serve(config: EmulatorConfig | Emulator | None = None, port: int = 0, host: str = "127.0.0.1") -> RunningServer:
    """Start serving in a background thread; ``port=0`` picks a free port (see ``.port``)."""
    emulator = config if isinstance(config, Emulator) else Emulator(config)
    return RunningServer(emulator, host, port)
