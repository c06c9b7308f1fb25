"""Building a message: one multipart/alternative shape for every mail papertide sends.

Sign-in links, subscription confirmations and digests all come out of :func:`compose`, so the
headers (From, Reply-To, Date, Message-ID) and their encoding are decided in one place.
"""

from __future__ import annotations

import re
import secrets
from binascii import b2a_qp
from collections.abc import Mapping
from datetime import UTC, datetime
from email import policy
from email.header import Header
from email.headerregistry import Address, HeaderRegistry
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr, make_msgid
from functools import lru_cache
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


# How the message is built, and why not with EmailMessage's own setters: its header registry parses
# every value it is given in pure Python, and set_content encodes quoted-printable in pure Python
# too, 1.7 ms of every digest with the wire bytes. Here each header is written once in its final
# form (addresses by formataddr, non-ASCII text as RFC 2047 encoded words by email.header.Header,
# both of the email package), bodies are encoded by binascii's C encoder, and the email package's
# generator writes the result: 0.5 ms. The values are checked first (papertide.mail.addresses), so
# nothing a caller gives can start a header of its own.
#
# ASCII values of the caller's headers are kept raw, broken only between their comma-separated
# items: encoded words would hide a List-Unsubscribe URL with a long signed token from every mail
# client. RFC 5322 allows lines up to 998 characters, and refold_source="none" writes raw values
# as they are.
#
# The generator still parses a few headers of every part (Content-Type, for the boundary and the
# charset). The stdlib's HeaderRegistry builds a new class for every header it parses (type() per
# call); this one makes each class once, and keeps the parsed values that recur in every message:
# header objects are immutable, so they can be shared.
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
_LINE_LIMIT = 998  # RFC 5322 2.1.1: longer lines need a transfer encoding
_FOLD_AT = 76
_BOUNDARY = "=_papertide-alternative"


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
    subject = check_header_value(subject, field="subject").strip()
    if not subject:
        raise InvalidInput("subject: must not be empty")
    fields = [
        ("From", _configured_mailbox(settings.mail_from, "mail_from")),
        ("To", _mailbox(parse_address(to, field="to"))),
    ]
    if settings.mail_reply_to:
        fields.append(("Reply-To", _configured_mailbox(settings.mail_reply_to, "mail_reply_to")))
    fields += [
        ("Subject", _text_header("Subject", subject)),
        ("Date", format_datetime(date.astimezone(UTC) if date else datetime.now(UTC))),
        ("Message-ID", _message_id(settings, message_id)),
    ]
    for name, value in (headers or {}).items():
        check_header_name(name)
        if name.lower() in _OWN_HEADERS:
            raise InvalidInput(f"header {name!r} is set by compose() and cannot be given in headers")
        check_header_value(value, field=f"header {name}")
        if value.isascii():
            fields.append((name, ",\n ".join(item.strip() for item in value.split(","))))
        else:
            fields.append((name, _text_header(name, value)))
    parts = [_text_part("plain", text), _text_part("html", html)]
    message = EmailMessage(policy=_POLICY)
    for name, value in fields:
        message.set_raw(name, value)
    message.set_raw("MIME-Version", "1.0")
    message.set_raw("Content-Type", f'multipart/alternative; boundary="{_boundary(text, html)}"')
    message.set_payload(parts)
    return message


def _mailbox(address: Address) -> str:
    """``Name <user@host>``, the name quoted or encoded as RFC 2047 words where it needs to be."""
    return formataddr((address.display_name, address.addr_spec), charset="utf-8")


@lru_cache(maxsize=16)
def _configured_mailbox(value: str, setting: str) -> str:
    """A sender address from the settings, parsed once rather than for every message."""
    return _mailbox(parse_address(value, field=setting))


@lru_cache(maxsize=256)
def _text_header(name: str, value: str) -> str:
    """``value`` folded at whitespace, non-ASCII text as RFC 2047 encoded words (kept: a day's digests
    share a few subjects, and encoding one costs more than the rest of the headers)."""
    charset = "us-ascii" if value.isascii() else "utf-8"
    return Header(value, charset, maxlinelen=_FOLD_AT, header_name=name).encode(linesep="\n")


def _text_part(subtype: str, body: str) -> MIMEPart:
    """A UTF-8 text part: 7bit when it is ASCII in short lines, else quoted-printable (7-bit clean for any relay)."""
    part = MIMEPart(policy=_POLICY)
    part.set_raw("Content-Type", f'text/{subtype}; charset="utf-8"')
    body = body if body.endswith("\n") else body + "\n"  # a part ends with a line break, as set_content's do
    if body.isascii() and all(len(line) <= _LINE_LIMIT for line in body.splitlines()):
        part.set_raw("Content-Transfer-Encoding", "7bit")
        part.set_payload(body)
    else:
        part.set_raw("Content-Transfer-Encoding", "quoted-printable")
        part.set_payload(b2a_qp(body.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _boundary(*bodies: str) -> str:
    """A part boundary that no body holds (RFC 2046 5.1.1): the same one each time when it can be, so
    the multipart's parsed Content-Type is shared like the parts' (and no quoted-printable body can
    hold "=_")."""
    boundary = _BOUNDARY
    while any(boundary in body for body in bodies):
        boundary = f"=_papertide-{secrets.token_hex(12)}"
    return boundary


def message_domain(settings: Settings) -> str:
    """The domain that names this papertide: the base URL's host, or else the From address's domain.

    Used in Message-IDs and as the name papertide gives itself when it greets a relay (EHLO).
    """
    host = urlsplit(settings.base_url or "").hostname or ""
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


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True
