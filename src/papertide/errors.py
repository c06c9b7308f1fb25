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
        """The same error (of the same class), placed at ``location`` (a file line, URL entry or record id)."""
        return type(self)(self.reason, location=location, field=self.field)


class TooLarge(InvalidInput):
    """The upload is larger than the configured limit (bytes or entries); nothing of it was used."""

    status_code = 413
    title = "Too large"


class RecordTooLarge(RecordError, TooLarge):
    """A record, or a value in it, would exceed a size limit; the message names where and the limit (413)."""

    title = "Too large"


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


class SourceUnreachable(SourceError):
    """A source's host name does not resolve or its host refuses the connection: a machine without
    network, or a wrong URL. Retrying within seconds would not help, so it is not retried."""


class StoreError(PapertideError):
    """The database failed in a way the caller cannot fix."""

    status_code = 503
    title = "Database unavailable"


class NotReady(PapertideError):
    """This node cannot serve yet (its search indexes are still catching up with the database)."""

    status_code = 503
    title = "Not ready"


class Unauthorized(PapertideError):
    """The request needs a signed-in account or an API token, and has neither (or a bad one)."""

    status_code = 401
    title = "Sign-in required"


class Forbidden(PapertideError):
    """The request is refused as it stands, e.g. a form without a valid CSRF token."""

    status_code = 403
    title = "Forbidden"


class Gone(PapertideError):
    """The thing existed but is no longer usable, e.g. an expired or already used sign-in link."""

    status_code = 410
    title = "Gone"


class Conflict(PapertideError):
    """The request clashes with what is stored, e.g. a collection name already in use."""

    status_code = 409
    title = "Conflict"


class TooManyRequests(PapertideError):
    """A rate limit was reached; ``retry_after_s`` says when the caller may try again."""

    status_code = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, int(retry_after_s))


class MailError(PapertideError):
    """A message could not be handed to the mail relay; ``transient`` failures may succeed later.

    ``smtp_code`` is the relay's reply code when it answered; ``recipients`` names the addresses the
    failure is about (refused at RCPT, or the message's recipients when DATA was rejected), and is
    empty when the relay, the connection or the login failed: no fault of any recipient's.
    """

    status_code = 502
    title = "Mail delivery failed"

    def __init__(
        self, message: str, *, transient: bool, smtp_code: int | None = None, recipients: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.smtp_code = smtp_code
        self.recipients = recipients
