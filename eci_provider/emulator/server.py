"""Serve the emulator over real HTTP on 127.0.0.1 with a threaded wsgiref server.

Changes to the standard library server:

* The access log is off: wsgiref would print the request line, query string and all
  (signatures, STS tokens, registry passwords).
* A :class:`~.faults.DroppedResponse` closes the connection without writing a byte, which is how
  "the create committed but the response was lost" looks to a client.
* The server runs on shared machines, so a client cannot hold a handler thread: the whole
  request must arrive before one deadline (``EmulatorConfig.read_timeout_seconds``), else the
  answer is ``RequestTimeout`` (408) in the API's JSON error shape and the connection closes.
  A client that goes away mid-request is dropped quietly instead of printing a traceback.
* The app reads a body only after checking its declared size (and a V3 caller's signature);
  what it left unread is discarded before the connection closes, so that the client reads the
  answer rather than a connection reset.  Every response says ``Connection: close``.
* What the standard library rejects itself (a request line over 64 KiB: 414; a malformed
  request line or headers: 400, 431, 505) is answered in the same JSON error shape, not HTML.
"""

from __future__ import annotations

import contextlib
import io
import socket
import socketserver
import sys
import threading
import time
from wsgiref.handlers import SimpleHandler
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import json_response
from .config import EmulatorConfig
from .core import Emulator
from .errors import HTTP_ERRORS, error_body, new_request_id, recommend_url
from .faults import DroppedResponse

#: The longest request line accepted, the standard library's limit for a header line; a longer
#: one is ``RequestURITooLong`` (414).
MAX_REQUEST_LINE = 65536

#: Bytes read at a time while discarding what a rejected client still sends.
_CHUNK = 65536


class _DeadlineReader(io.RawIOBase):
    """A socket's input, whose reads fail with :class:`TimeoutError` once ``deadline`` has passed.

    A timeout per ``recv`` alone does not stop a slow-loris client: a byte every few seconds
    keeps each wait short and the thread busy forever.  Each wait here lasts at most until the
    deadline of the whole request.  The socket's own timeout is put back afterwards, because it
    is also the timeout of every write.
    """

    def __init__(self, sock: socket.socket, deadline: float, write_timeout: float) -> None:
        self._sock = sock
        self.deadline = deadline
        self._write_timeout = write_timeout
        self.expired = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
            raise TimeoutError("the request did not arrive before its deadline")
        self._sock.settimeout(left)
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            self.expired = True
            raise
        finally:
            self._sock.settimeout(self._write_timeout)


class _RequestBody:
    """``wsgi.input``: the connection's reader, limited to the declared ``Content-Length``.

    It counts what the app left unread (a body refused for its size or for its caller), which
    the server then discards instead of letting the close reset the connection.
    """

    def __init__(self, stream: io.BufferedIOBase, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int | None = -1) -> bytes:
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._stream.read(wanted) if wanted else b""
        self.remaining -= len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        wanted = self.remaining if size is None or size < 0 else min(size, self.remaining)
        data = self._stream.readline(wanted) if wanted else b""
        self.remaining -= len(data)
        return data


def _declared_length(raw: str | None) -> int:
    """The ``Content-Length`` to hold the body to; 0 when it is absent or not a clean number (the
    app rejects those).  Only its digit count is trusted before ``int()``."""
    if not raw or not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return 0
    return int(raw)


class _Handler(ServerHandler):
    def cleanup_headers(self) -> None:
        """Say ``Connection: close``: the server answers one request per connection."""
        super().cleanup_headers()
        self.headers["Connection"] = "close"

    def handle_error(self) -> None:
        """A dropped response, or a client too slow to take the response (the write timed out),
        ends the connection without a traceback on stderr."""
        if isinstance(sys.exc_info()[1], (DroppedResponse, TimeoutError)):
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
    server: _ThreadingServer

    def setup(self) -> None:
        """Reads go through a :class:`_DeadlineReader`; the socket timeout bounds each write."""
        timeout = self.server.read_timeout
        super().setup()
        self.connection.settimeout(timeout)
        self.rfile.close()  # the buffered reader of socket.makefile; replaced by one with a deadline
        self.reader = _DeadlineReader(self.connection, time.monotonic() + timeout, timeout)
        self.rfile = io.BufferedReader(self.reader)

    def log_message(self, format: str, *args: object) -> None:
        """Silenced: the app logs one line per request without parameters."""

    def handle(self) -> None:
        self.close_connection = True  # one request per connection, as in wsgiref
        try:
            self._handle_request()
        except TimeoutError:
            if self.reader.expired:
                self._answer_early(408)
        except OSError:
            pass  # the client went away; there is nobody to answer

    def _handle_request(self) -> None:
        self.raw_requestline = self.rfile.readline(MAX_REQUEST_LINE + 1)
        if len(self.raw_requestline) > MAX_REQUEST_LINE:
            self.send_error(414)
            return
        if not self.parse_request():
            return
        body = _RequestBody(self.rfile, _declared_length(self.headers.get("Content-Length")))
        handler = _Handler(body, self.wfile, self.get_stderr(), self.get_environ(), multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        if body.remaining and not self.reader.expired:
            self._linger(body.remaining)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The standard library's rejections (request line too long, malformed request line or
        headers, too many headers) in the API's JSON error shape.

        The inherited method answers in HTML, and before the request line is parsed it crashes
        (it logs ``self.requestline``, which does not exist yet).  Its message is not used: it
        quotes the client's request line.
        """
        self._answer_early(code)

    def _answer_early(self, status: int) -> None:
        """Answer ``status`` from the HTTP layer, in the API's JSON error shape."""
        code, message = HTTP_ERRORS.get(status, HTTP_ERRORS[400])
        headers = getattr(self, "headers", None)
        host = headers.get("Host") if headers is not None else None
        request_id = new_request_id()
        body = error_body(request_id, host, code, message, recommend_url(code, request_id))
        status_line, fields, payload = json_response(status, body, request_id, {"Connection": "close"})
        head = "".join(f"{name}: {value}\r\n" for name, value in fields)
        with contextlib.suppress(OSError):  # the client is gone or not reading; it closes either way
            self.wfile.write(f"HTTP/1.0 {status_line}\r\n{head}\r\n".encode("latin-1") + payload)
        self._linger()

    def _linger(self, limit: int | None = None) -> None:
        """Shut the write side, then read and discard what the client still sends: until it
        closes, at most ``limit`` bytes, for at most one more read timeout.

        Closing a socket that has unread input makes the kernel send a reset, and a reset can
        destroy the answer before the client has read it.  The client sees the end of the answer
        (the write side is shut) and closes; what it sent meanwhile is never parsed.
        """
        with contextlib.suppress(OSError):  # includes TimeoutError: the wait is over
            self.connection.shutdown(socket.SHUT_WR)
            self.reader.deadline = time.monotonic() + self.server.read_timeout
            left = limit
            while left is None or left > 0:
                chunk = self.rfile.read1(_CHUNK if left is None else min(_CHUNK, left))
                if not chunk:
                    return
                if left is not None:
                    left -= len(chunk)


class _ThreadingServer(socketserver.ThreadingMixIn, WSGIServer):
    read_timeout: float = EmulatorConfig.read_timeout_seconds
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
        self._server.read_timeout = emulator.config.read_timeout_seconds
        self.host = host
        self.port: int = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="eci-emulator", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def serving(self) -> bool:
        """Whether the server thread still runs (the CLI polls it while it waits for Ctrl-C)."""
        return self._thread.is_alive()

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
