"""DKIM signatures (RFC 6376) on outgoing mail, made with dkimpy when a key is configured.

The signature covers the bytes as they go over SMTP (CRLF line ends), and is stored as a raw,
pre-folded header so that generating the message again reproduces those bytes: the email
package would otherwise refold or encode a long header and break the signature. Relaxed header
canonicalisation tolerates relays that refold headers; the body is signed "simple", as sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage

import dkim

from papertide.config import Settings
from papertide.errors import ConfigError

# The headers a signature covers, when present. From is required; the List-* headers keep a
# forwarder from swapping the unsubscribe link.
SIGNED_HEADERS = (
    "From", "To", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version", "Content-Type",
    "List-Unsubscribe", "List-Unsubscribe-Post", "List-Id",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class DkimKey:
    domain: str
    selector: str
    private_key: bytes  # PEM

    @classmethod
    def from_settings(cls, settings: Settings) -> DkimKey | None:
        """The configured key; None when DKIM is off; :class:`ConfigError` when half-configured or unreadable."""
        given = {"dkim_domain": settings.dkim_domain, "dkim_selector": settings.dkim_selector,
                 "dkim_key_file": settings.dkim_key_file}  # fmt: skip
        if not any(given.values()):
            return None
        missing = [name for name, value in given.items() if not value]
        if missing:
            raise ConfigError(f"DKIM needs dkim_domain, dkim_selector and dkim_key_file; {', '.join(missing)} unset")
        try:
            pem = settings.dkim_key_file.read_bytes()
        except OSError as exc:
            raise ConfigError(f"dkim_key_file: cannot read {settings.dkim_key_file}: {exc.strerror}") from None
        if b"PRIVATE KEY-----" not in pem:
            raise ConfigError(f"dkim_key_file: {settings.dkim_key_file} is not a PEM private key")
        return cls(settings.dkim_domain, settings.dkim_selector, pem)


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as SMTP carries it (what smtplib's send_message writes)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def sign(message: EmailMessage, key: DkimKey) -> EmailMessage:
    """Sign ``message`` (in place, and returned), replacing an earlier signature; the message must be final."""
    del message["DKIM-Signature"]
    present = [name.encode() for name in SIGNED_HEADERS if name in message]
    try:
        header = dkim.sign(
            wire_bytes(message),
            key.selector.encode(),
            key.domain.encode(),
            key.private_key,
            include_headers=present,
            canonicalize=(b"relaxed", b"simple"),
        )
    except dkim.DKIMException as exc:
        raise ConfigError(f"dkim_key_file: cannot sign with this key: {exc}") from None
    name, _, value = header.decode("ascii").partition(":")
    # dkimpy folds its lines below 78 characters, so the raw value is written back exactly as signed.
    message.set_raw(name, value.strip(" ").removesuffix("\r\n"))
    return message
