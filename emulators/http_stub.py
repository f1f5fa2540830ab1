"""A small local HTTP service for webhooks in tests, benchmarks and the demo.

Routes answer with a fixed status and JSON body, or with a sequence of them
(a job that reports RUNNING twice, then SUCCESS). Every request is recorded.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["HttpStub", "Reply", "Request"]


@dataclass(frozen=True)
class Reply:
    """One answer: status, JSON body, extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    """One request the stub received."""

    method: str
    path: str
    body: Any
    headers: dict[str, str]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self) -> None:
        # Without TCP_NODELAY every keep-alive request waits ~40 ms (Nagle + delayed ACK).
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


class HttpStub:
    """A threaded HTTP server on a free port of 127.0.0.1.

    Example:
        >>> with HttpStub() as stub:
        ...     stub.route("POST", "/deploy", Reply(200, {"id": 1}))
        ...     stub.url("/deploy")
    """

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], list[Reply]] = {}
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw.decode(errors="replace")
                path = self.path.split("?", 1)[0]
                reply = stub._next(self.command, path)
                with stub._lock:
                    stub.requests.append(Request(self.command, path, body, dict(self.headers)))
                data = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """``http://127.0.0.1:PORT/path``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, method: str, path: str, *replies: Reply) -> None:
        """Answer ``method path`` with ``replies`` in turn (the last one repeats)."""
        with self._lock:
            self._routes[(method.upper(), path)] = list(replies) or [Reply()]

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Requests received, optionally only one method and path."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path)
            ]

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            replies: Sequence[Reply] | None = self._routes.get((method, path))
            if replies is None:
                replies = self._routes.get(("*", path))
            if not replies:
                return Reply(200, {"ok": True})
            reply = replies[0]
            if len(replies) > 1:
                self._routes[(method, path) if (method, path) in self._routes else ("*", path)] = (
                    list(replies[1:])
                )
            return reply

    def start(self) -> HttpStub:
        """Start serving (in a daemon thread)."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> HttpStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
