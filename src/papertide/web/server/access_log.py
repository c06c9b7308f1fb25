"""Every request, once: its id, one access log line (method, path, status, duration) and its metrics.

The request id comes from an incoming ``X-Request-ID`` when it is sane (a proxy's or a load
balancer's, up to 64 letters, digits, ``-``, ``_``, ``.``), else is made here; it is echoed in the
response's ``X-Request-ID`` and set in :data:`papertide.logs.REQUEST_ID` for the request's whole
course, so the search, mail and error lines logged while serving it carry it too.

Metrics count by route template (``/papers/{paper_id}``), never by raw path: one series per route,
however many papers are asked for.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: it adds no task or
stream copy per request, so this costs microseconds even under load.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.logs import REQUEST_ID, redact_path
from papertide.metrics import HTTP_REQUESTS, HTTP_SECONDS

ACCESS_LOGGER = "papertide.access"
REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # the route label of requests no route took (404s of unknown paths)


def enable_access_log() -> None:
    """Log requests at INFO whatever the root logger's level (the CLI's is WARNING): a server's access log is on."""
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)


class AccessLogMiddleware:
    """Gives every HTTP request an id, then logs and counts it once its response has been sent (or has failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500  # what the client gets if the app raises before starting a response

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_and_record)
        finally:
            try:
                self._record(scope, status, time.perf_counter() - started)
            finally:
                REQUEST_ID.reset(token)

    def _record(self, scope: Scope, status: int, duration_s: float) -> None:
        known = scope["method"] if scope["method"] in _METHODS else "other"
        route = route_template(scope)
        HTTP_REQUESTS.labels(known, route, str(status)).inc()
        HTTP_SECONDS.labels(known, route).observe(duration_s)
        if self.logger.isEnabledFor(logging.INFO):
            method, path, ms = scope["method"], redact_path(scope["path"]), round(duration_s * 1000, 2)
            fields = {"method": method, "path": path, "status": status, "duration_ms": ms}
            self.logger.info("%s %s %s %.1f ms", method, path, status, ms, extra={"fields": fields})


def route_template(scope: Scope) -> str:
    """The template of the route that took the request, as routed (the router records it in the scope)."""
    route = scope.get("route")
    if route is not None:
        return getattr(route, "path_format", None) or route.path
    if scope.get("root_path") and scope.get("endpoint") is not None:  # a mount: /static
        return scope["root_path"] + "/{path}"
    return UNMATCHED


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER and _SANE_REQUEST_ID.fullmatch(value):
            return value.decode()
    return uuid.uuid4().hex
