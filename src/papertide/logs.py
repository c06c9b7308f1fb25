"""Every log line of serve, worker and the CLI: one format (text or JSON lines), a request id, no secrets.

:func:`configure_logging` installs one handler on the root logger, so uvicorn's lines, the access
log and papertide's own loggers all come out alike. The request id of the HTTP request being
served lives in a context variable (:data:`REQUEST_ID`): set by the access log middleware, it is
carried into every line logged while serving that request, on the event loop or on the worker
thread its handler runs on (both copy the context), and into the search, mail and error lines.

Redaction happens in that handler's formatter, on each line as it is written (message, fields and
traceback alike; other handlers, a test's, see the record as logged): the configured secrets (SMTP
password, secret key, metrics token, the database URL's password) are replaced wherever they
appear, and by pattern: email addresses (``a***@example.org``), bearer and API tokens, the tokens
in sign-in, confirm, manage and unsubscribe links, and passwords in URLs. A log file then holds
nothing that signs anyone in or names a subscriber.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from papertide.config import Settings

REQUEST_ID: ContextVar[str | None] = ContextVar("papertide_request_id", default=None)

# Paths whose next segment is a secret: a sign-in link's token, a digest's confirm, manage or unsubscribe token.
SECRET_PATH_PREFIXES = ("/signin/", "/digest/confirm/", "/digest/manage/", "/digest/unsubscribe/")
_SECRET_PATH = re.compile("(" + "|".join(re.escape(p) for p in SECRET_PATH_PREFIXES) + r")[^/\s?#\"'<>]+")
_EMAIL = re.compile(r"([A-Za-z0-9_%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s\"',;]+")
_API_TOKEN = re.compile(r"\bpt_[A-Za-z0-9_-]{8,}")
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]*:)[^@\s/]+@")
_TOKEN_PARAMETER = re.compile(r"(?i)\b((?:token|password|passwd|secret)=)[^&\s\"']+")
REDACTED = "[redacted]"
_OUR_HANDLER = "papertide"  # the name of the handler configure_logging installs (and replaces)


def redact_path(path: str) -> str:
    """A URL path with the secret segment of sign-in and digest links replaced by ``<token>``."""
    return _SECRET_PATH.sub(r"\1<token>", path)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with ``secrets`` and every pattern-recognised secret or address replaced."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    text = _URL_PASSWORD.sub(r"\1***@", text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    text = _API_TOKEN.sub(f"pt_{REDACTED}", text)
    text = _TOKEN_PARAMETER.sub(rf"\1{REDACTED}", text)
    text = redact_path(text)
    return _EMAIL.sub(r"\1***@\2", text)


def configured_secrets(settings: Settings) -> list[str]:
    """The secret values ``settings`` holds, to be redacted wherever they appear (longest first)."""
    values = [settings.smtp_password, settings.secret_key, settings.metrics_token]
    found = [value.get_secret_value() for value in values if value is not None]
    url_password = _URL_PASSWORD.search(settings.database_url or "")
    if url_password:
        found.append(url_password.group(0).removeprefix(url_password.group(1))[:-1])
    return sorted((value for value in found if len(value) >= 4), key=len, reverse=True)


class RequestIdFilter(logging.Filter):
    """Stamps each record with the id of the request being served (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class TextFormatter(logging.Formatter):
    """``2026-12-07 19:30:00,123 INFO papertide.search [req 4f2a...]: message``, redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(request)s: %(message)s")
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        record.request = f" [req {request_id}]" if request_id else ""
        return redact(super().format(record), self.secrets)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, msg, request_id, the record's ``fields`` and any traceback;
    every text in it redacted."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if request_id := getattr(record, "request_id", None):
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        entry = {key: redact(value, self.secrets) if isinstance(value, str) else value for key, value in entry.items()}
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is logged (a test runner swaps it per command)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def log_handler(settings: Settings, handler: logging.Handler | None = None) -> logging.Handler:
    """``handler`` (default: standard error) formatting, stamping and redacting as ``settings`` say."""
    handler = handler or _StderrHandler()
    secrets = configured_secrets(settings)
    handler.setFormatter(JsonFormatter(secrets) if settings.log_format == "json" else TextFormatter(secrets))
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(settings: Settings, level: int = logging.WARNING) -> None:
    """Send every log line to standard error in ``settings.log_format``, at ``level`` and above.

    Replaces the handler an earlier call installed (the CLI configures once for every command,
    then ``serve`` and ``worker`` again at INFO), and leaves other handlers (a test's) alone.
    """
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _OUR_HANDLER]:
        root.removeHandler(old)
    handler = log_handler(settings)
    handler.set_name(_OUR_HANDLER)
    root.addHandler(handler)
    root.setLevel(level)
    # faiss's loader tries its AVX512 and AVX2 builds first and logs each missing one as a
    # ModuleNotFoundError at INFO; the generic build it then loads is the one the wheel ships.
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
