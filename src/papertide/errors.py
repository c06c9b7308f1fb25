"""One exception tree for the whole library.

Every error papertide raises on purpose derives from :class:`PapertideError` and carries the
HTTP status a web handler should answer with, so the CLI and the web app map errors in one
place each. Foreign errors (HTTP, SMTP, database) are converted where they enter.
"""

from __future__ import annotations


class PapertideError(Exception):
    """Base of every error papertide raises on purpose."""

    status_code: int = 500
    title: str = "Internal error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(PapertideError):
    """The configuration is missing or invalid."""

    title = "Configuration error"


class InvalidInput(PapertideError):
    """The caller gave input we cannot use; the message names what and where."""

    status_code = 400
    title = "Bad request"


class RecordError(InvalidInput):
    """One source record is malformed: names the file/URL, line/record and field."""

    title = "Malformed record"

    def __init__(self, reason: str, *, location: str = "", field: str | None = None) -> None:
        self.reason = reason
        self.location = location
        self.field = field
        where = location
        if field:
            where = f"{where}: field {field!r}" if where else f"field {field!r}"
        super().__init__(f"{where}: {reason}" if where else reason)

    def at(self, location: str) -> RecordError:
        """The same error, placed at ``location`` (a file line, URL entry or record id)."""
        return RecordError(self.reason, location=location, field=self.field)


class QueryError(InvalidInput):
    """A search query cannot be understood."""

    title = "Bad query"


class NotFound(PapertideError):
    """The requested thing does not exist."""

    status_code = 404
    title = "Not found"


class SourceError(PapertideError):
    """A remote source failed (HTTP error, timeout, protocol error)."""

    status_code = 502
    title = "Upstream source failed"


class StoreError(PapertideError):
    """The database failed in a way the caller cannot fix."""

    status_code = 503
    title = "Database unavailable"
