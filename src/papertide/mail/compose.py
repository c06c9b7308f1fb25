"""Building a message: one multipart/alternative shape for every mail papertide sends.

Sign-in links, subscription confirmations and digests all come out of :func:`compose`, so the
headers (From, Reply-To, Date, Message-ID) and their encoding are decided in one place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from ipaddress import ip_address
from urllib.parse import urlsplit

from papertide.config import Settings
from papertide.errors import InvalidInput
from papertide.mail.addresses import check_header_name, check_header_value, parse_address

# Headers compose() writes itself; a caller's ``headers`` may not replace them.
_OWN_HEADERS = frozenset(
    {"from", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version", "sender"}
)
_MESSAGE_ID_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}")  # dot-atom text, as in RFC 5322


# The email package folds a header with a token longer than a line (a List-Unsubscribe URL with a
# signed token) into RFC 2047 encoded words, which no mail client reads as a URL. ASCII values of
# the caller's headers are therefore kept raw, broken only between their comma-separated items,
# and this policy writes raw headers as they are (RFC 5322 allows lines up to 998 characters).
#
# The stdlib's HeaderRegistry builds a new class for every header it parses (type() per call) and
# parses each value in pure Python: two thirds of composing a digest. This one makes each class
# once, and keeps the parsed headers that recur in every message (MIME-Version, the parts'
# Content-Type, Reply-To, List-Unsubscribe-Post): header objects are immutable, so they can be shared.
class _HeaderClasses(HeaderRegistry):
    KEPT = 256  # the first values seen: every message repeats its recurring ones from the first on

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}
        self._parsed: dict[tuple[str, str], object] = {}

    def __getitem__(self, name: str) -> type:
        made = self._made.get(name.lower())
        if made is None:
            made = self._made[name.lower()] = super().__getitem__(name)
        return made

    def __call__(self, name: str, value: object) -> object:
        if not isinstance(value, str):
            return super().__call__(name, value)
        key = (name.lower(), value)
        parsed = self._parsed.get(key)
        if parsed is None:
            parsed = super().__call__(name, value)
            if len(self._parsed) < self.KEPT:
                self._parsed[key] = parsed
        return parsed


_POLICY = policy.default.clone(refold_source="none", header_factory=_HeaderClasses())


def compose(
    settings: Settings,
    *,
    to: str | Address,
    subject: str,
    text: str,
    html: str,
    headers: Mapping[str, str] | None = None,
    message_id: str | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message (the plain-text part first, then HTML) from ``settings.mail_from``.

    ``headers`` adds fields such as ``List-Unsubscribe``; ``message_id`` is the unique part of the
    Message-ID (``<message_id@domain>``), for a caller that must give a retried message the same id
    (a digest keyed by subscriber and period); ``date`` is "now" from the caller's clock. Every
    address and header value is checked: bad input raises :class:`InvalidInput` naming the field.
    """
    message = EmailMessage(policy=_POLICY)
    message["From"] = parse_address(settings.mail_from, field="mail_from")
    message["To"] = parse_address(to, field="to")
    if settings.mail_reply_to:
        message["Reply-To"] = parse_address(settings.mail_reply_to, field="mail_reply_to")
    subject = check_header_value(subject, field="subject").strip()
    if not subject:
        raise InvalidInput("subject: must not be empty")
    message["Subject"] = subject
    message["Date"] = format_datetime(date.astimezone(UTC) if date else datetime.now(UTC))
    message["Message-ID"] = _message_id(settings, message_id)
    for name, value in (headers or {}).items():
        check_header_name(name)
        if name.lower() in _OWN_HEADERS:
            raise InvalidInput(f"header {name!r} is set by compose() and cannot be given in headers")
        check_header_value(value, field=f"header {name}")
        if value.isascii():
            message.set_raw(name, ",\r\n ".join(item.strip() for item in value.split(",")))
        else:
            message[name] = value
    message.set_content(text, cte=_transfer_encoding(text))
    message.add_alternative(html, subtype="html", cte=_transfer_encoding(html))
    for part in message.iter_parts():
        del part["MIME-Version"]  # add_alternative copies it into the parts; it belongs on the message only
    return message


def message_domain(settings: Settings) -> str:
    """The domain that names this papertide: the base URL's host, or else the From address's domain.

    Used in Message-IDs and as the name papertide gives itself when it greets a relay (EHLO).
    """
    host = urlsplit(settings.base_url).hostname or ""
    if "." in host and not _is_ip(host):
        return host
    return parse_address(settings.mail_from, field="mail_from").domain


def _message_id(settings: Settings, unique: str | None) -> str:
    domain = message_domain(settings)
    if unique is None:
        return make_msgid(domain=domain)
    if not _MESSAGE_ID_PART.fullmatch(unique) or ".." in unique or unique.startswith(".") or unique.endswith("."):
        raise InvalidInput(
            f"message_id: {unique!r} is not usable in a Message-ID (letters, digits, . - _ and the like)"
        )
    return f"<{unique}@{domain}>"


def _transfer_encoding(body: str) -> str | None:
    """Quoted-printable for non-ASCII text, so the message stays 7-bit clean for any relay; else the default."""
    return None if body.isascii() else "quoted-printable"


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True
