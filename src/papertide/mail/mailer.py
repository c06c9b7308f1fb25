"""The one sending path: an SMTP relay when ``smtp_host`` is set, the Maildir in the data directory when not."""

from __future__ import annotations

import copy
import ipaddress
import re
from contextlib import AbstractContextManager
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Protocol

from papertide.config import Settings
from papertide.errors import ConfigError, InvalidInput, MailError
from papertide.mail.dkim import DkimKey, sign, wire_bytes
from papertide.mail.maildir import MaildirTransport
from papertide.mail.smtp import SmtpTransport
from papertide.metrics import MAIL_FAILED, MAIL_SENT


class Transport(Protocol):
    """A way out for messages (the relay, the Maildir); ``close`` ends an SMTP conversation.

    ``wire`` is the finished message as SMTP carries it (CRLF line ends), passed on unchanged.
    """

    where: str

    def send(self, wire: bytes, message_id: str, sender: str, recipients: tuple[str, ...]) -> None: ...

    def close(self) -> None: ...


class Connection(AbstractContextManager):
    """Many messages over one connection: ``with mailer.connect() as conn: conn.send(message)``.

    Not shared between threads; a failed message raises :class:`MailError` and the connection stays
    usable for the next one (it reconnects if the relay dropped it).
    """

    def __init__(self, transport: Transport, dkim_key: DkimKey | None = None) -> None:
        self._transport = transport
        self._dkim_key = dkim_key
        self.where = transport.where

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its To/Cc/Bcc recipients, DKIM-signed when a key is configured.

        :class:`MailError` if it was not taken.
        """
        sender, recipients = envelope(message)
        if "Bcc" in message:  # a recipient, never a header that travels (as smtplib's send_message does it)
            message = copy.copy(message)
            del message["Bcc"]
        if self._dkim_key is not None:
            sign(message, self._dkim_key)
        self._send(wire_bytes(message), message["Message-ID"], sender, recipients)

    def send_wire(self, wire: bytes) -> None:
        """Deliver a finished message exactly as these bytes (a stored, already signed digest): nothing is
        signed, encoded or folded again, so a DKIM signature in them stays valid. :class:`MailError` if it
        was not taken."""
        wire = _BARE_LF.sub(b"\r\n", wire)  # SMTP carries CRLF; bytes made with it (wire_bytes) are unchanged
        # compat32 leaves the headers as text: the addresses are all the envelope needs, at a tenth of the cost
        head = wire[: end + 2] if (end := wire.find(b"\r\n\r\n")) >= 0 else wire  # the body is not needed
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
        senders = [address for _, address in getaddresses(headers.get_all("From", []))]
        recipients = [
            address for _, address in getaddresses([v for f in _RECIPIENT_FIELDS for v in headers.get_all(f, [])])
        ]
        self._send(wire, headers["Message-ID"], *_checked_envelope(senders, recipients))

    def _send(self, wire: bytes, message_id: str, sender: str, recipients: tuple[str, ...]) -> None:
        """Hand the message to the transport, counting it as sent or failed."""
        transport = type(self._transport).__name__.removesuffix("Transport").lower()  # smtp, maildir
        try:
            self._transport.send(wire, message_id, sender, recipients)
        except MailError:
            MAIL_FAILED.labels(transport).inc()
            raise
        MAIL_SENT.labels(transport).inc()

    def close(self) -> None:
        self._transport.close()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Mailer:
    """Sends messages made by :func:`papertide.mail.compose`; cheap to make, safe to share between threads.

    ``send`` opens a connection per message (sign-in links); ``connect`` keeps one open for a batch
    (digests).
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._dkim_key = DkimKey.from_settings(settings)  # read once; a bad key is a ConfigError here

    @classmethod
    def from_settings(cls, settings: Settings) -> Mailer:
        """A mailer for ``settings``, refusing a relay login that would travel unencrypted to another host."""
        if settings.smtp_host and settings.smtp_username:
            if settings.smtp_password is None:
                raise ConfigError("smtp_username is set but smtp_password is not")
            if not (settings.smtp_username + settings.smtp_password.get_secret_value()).isascii():
                raise ConfigError("smtp_username and smtp_password must be ASCII (a limit of Python's smtplib)")
            if settings.smtp_security == "none" and not _is_loopback(settings.smtp_host):
                raise ConfigError(
                    f"smtp_username with smtp_security=none would send the password to {settings.smtp_host} "
                    "unencrypted: use starttls or ssl"
                )
        return cls(settings)

    @property
    def destination(self) -> str:
        """Where messages go, for logs and status pages: the relay or the Maildir."""
        return self._transport().where

    def connect(self) -> Connection:
        """A connection for many messages (opened lazily at the first one); use it as a context manager."""
        return Connection(self._transport(), self._dkim_key)

    def send(self, message: EmailMessage) -> None:
        """Deliver one message over a connection of its own."""
        with self.connect() as connection:
            connection.send(message)

    def _transport(self) -> Transport:
        if self._settings.smtp_host:
            return SmtpTransport(self._settings)
        return MaildirTransport(self._settings.mail_dir)


def envelope(message: EmailMessage) -> tuple[str, tuple[str, ...]]:
    """The SMTP envelope of a message: the From address, and every To, Cc and Bcc address."""
    senders = [address.addr_spec for address in message["From"].addresses] if message["From"] else []
    recipients = [
        address.addr_spec for field in _RECIPIENT_FIELDS if message[field] for address in message[field].addresses
    ]
    return _checked_envelope(senders, recipients)


_RECIPIENT_FIELDS = ("To", "Cc", "Bcc")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def _checked_envelope(senders: list[str], recipients: list[str]) -> tuple[str, tuple[str, ...]]:
    if len(senders) != 1:
        raise InvalidInput("message: exactly one From address is needed")
    if not recipients:
        raise InvalidInput("message: no recipient (To, Cc or Bcc)")
    return senders[0], tuple(recipients)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
