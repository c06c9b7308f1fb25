"""The HTTP/1.1 protocol papertide serves: uvicorn's httptools protocol, with its limits stated and its
refusals in the API's own form.

uvicorn reads the request line and headers itself, before the app sees anything, and refuses what
it cannot parse with a bare text/plain "Invalid HTTP request received.". Its httptools parser cannot
take a URL over 65,535 bytes (its URL parser counts in 16 bits), and sets no bound at all on the
headers. Here both limits are checked as the bytes arrive, so memory stays bounded and the limit is
a documented one; every refusal at this layer is an RFC 9457 problem+json document: 414 for a URL
over :data:`MAX_URL_BYTES`, 431 for a request head (request line and headers) over
:data:`MAX_HEAD_BYTES`, 400 for anything else the parser refuses. The connection closes after it,
once the client stops sending or after :data:`DRAIN_S`.
"""

from __future__ import annotations

import asyncio
from http import HTTPStatus

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from papertide.web.kit.problems import PROBLEM_MEDIA_TYPE
from papertide.web.kit.schemas import Problem

MAX_URL_BYTES = 65_535  # the most httptools' URL parser takes; the API reference and README state it
MAX_HEAD_BYTES = 128 * 1024  # the request line and every header together
# How long a refused request's remaining bytes are read and dropped: closing a socket with unread data
# resets the connection, and the client would lose the refusal it was sent.
DRAIN_S = 5.0
LONG_TEXT_HINT = "send long search texts in a request body: POST /api/v1/search (JSON), or the search page's form"

_HEAD_TOO_LARGE = f"the request line and headers have more than {MAX_HEAD_BYTES:,} bytes, the most this server reads"


class _Refused(Exception):
    """Raised from a parser callback to stop the parser; the protocol's refusal says why."""


class PapertideHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with bounded URLs and heads, refusing with problem+json."""

    _refusal: tuple[HTTPStatus, str] | None = None
    _reading_head = True  # until this message's headers are complete
    _head_received = 0  # bytes received while reading this head: bounds what the parser holds
    _head_bytes = 0  # this head's URL and headers as parsed: the limit, exactly
    _draining = False  # refused: what still arrives is dropped until the connection closes

    def data_received(self, data: bytes) -> None:
        if self._draining:
            return
        if self._reading_head:
            self._head_received += len(data)  # all of it is head: the head did not end before this chunk
        super().data_received(data)
        if self._reading_head and self._head_received > MAX_HEAD_BYTES and not self._draining:
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, _HEAD_TOO_LARGE)
            self.send_400_response("")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._refuse(
                HTTPStatus.REQUEST_URI_TOO_LONG,
                f"the URL has more than {MAX_URL_BYTES:,} bytes, the most this server reads; {LONG_TEXT_HINT}",
            )
            raise _Refused
        self._count_head(len(url))

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_head(len(name) + len(value) + 4)  # with ": " and the line break
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_head, self._head_received = False, 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading_head = True

    def _count_head(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._refuse(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, _HEAD_TOO_LARGE)
            raise _Refused

    def _refuse(self, status: HTTPStatus, detail: str) -> None:
        self._refusal = (status, detail)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request it cannot read, as problem+json (``msg`` is its text/plain one)."""
        status, detail = self._refusal or (
            HTTPStatus.BAD_REQUEST,
            "the request is not valid HTTP/1.1, so this server cannot read it",
        )
        path = getattr(self, "url", b"").split(b"?", 1)[0][:2048].decode("ascii", "replace")
        problem = Problem(type="about:blank", title=status.phrase, status=status, detail=detail, instance=path)
        body = problem.model_dump_json(exclude_none=True).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head.append(name + b": " + value + b"\r\n")
        head.append(f"content-type: {PROBLEM_MEDIA_TYPE}\r\ncontent-length: {len(body)}\r\n".encode())
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        asyncio.get_running_loop().call_later(DRAIN_S, self.transport.close)
