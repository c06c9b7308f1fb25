"""Replaying recorded responses: a real local HTTP server, a fake clock, and fixture loaders.

Sources talk to the server through the real :class:`HttpClient` over real sockets, so retries,
timeouts and truncated bodies are exercised the way they happen in production.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

FIXTURES = Path(__file__).parent.parent / "fixtures"


@dataclass
class Reply:
    """One canned answer. ``delay`` stalls before answering; ``truncate`` promises more than it sends."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False


Responder = Callable[[dict[str, str]], Reply]


@dataclass
class Request:
    path: str
    query: dict[str, str]
    headers: dict[str, str]


class RecordedServer:
    """Routes by path to a fixed reply, a sequence of replies (the last repeats) or a function of the query."""

    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.requests: list[Request] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def route(self, path: str, *replies: Reply, respond: Responder | None = None) -> str:
        """Serve ``path``; returns its full URL."""
        if respond is None:
            queue = list(replies)

            def respond(query: dict[str, str]) -> Reply:
                return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = respond
        return self.url + path

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(server: RecordedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            server.requests.append(Request(parts.path, query, dict(self.headers)))
            respond = server.routes.get(parts.path)
            reply = respond(query) if respond else Reply(b"no such route", status=404)
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body) + (100 if reply.truncate else 0)))
            if reply.truncate:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            try:
                self.wfile.write(reply.body)
            except OSError:  # the client gave up waiting (timeout tests)
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    return Handler


class FakeTime:
    """A monotonic clock that only moves when the client sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def fixture_bytes(*parts: str) -> bytes:
    return FIXTURES.joinpath(*parts).read_bytes()


def arxiv_api_reply(name: str) -> Reply:
    """A recorded arXiv API exchange (``url``, ``status_code``, ``body``) as the server's reply.

    The recorder stored the UTF-8 body decoded as Latin-1 (``Wübben`` reads ``WÃ¼bben``), so
    encoding it back to Latin-1 restores the exact bytes arXiv sent.
    """
    recorded = json.loads(FIXTURES.joinpath("arxiv-api", name).read_text(encoding="utf-8"))
    return Reply(
        recorded["body"].encode("latin-1"),
        status=recorded["status_code"],
        headers={"Content-Type": "application/atom+xml; charset=utf-8"},
    )
