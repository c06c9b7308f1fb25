"""Access logging: one JSON line per request (method, path, status, duration) for log pipelines.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: it adds no task or
stream copy per request, so logging costs microseconds even under load.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "papertide.access"
# Paths that carry a secret (a sign-in link's token, a digest's confirm, manage or unsubscribe token)
# are logged without it.
_SECRET_PATH_PREFIXES = ("/signin/", "/digest/confirm/", "/digest/manage/", "/digest/unsubscribe/")


def configure_access_log() -> None:
    """Give the access logger a stdout handler printing bare JSON lines, unless one is configured.

    Server programs (``papertide serve``) should turn off uvicorn's own access log so each
    request is logged once.
    """
    logger = logging.getLogger(ACCESS_LOGGER)
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


class AccessLogMiddleware:
    """Logs every HTTP request once its response has been sent (or has failed)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before starting a response

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            if self.logger.isEnabledFor(logging.INFO):
                entry = {
                    "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
                    "method": scope["method"],
                    "path": _loggable(scope["path"]),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                }
                self.logger.info(json.dumps(entry))


def _loggable(path: str) -> str:
    for prefix in _SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            _, slash, rest = path.removeprefix(prefix).partition("/")  # /digest/manage/<token>/alerts
            return f"{prefix}<token>{slash}{rest}"
    return path
