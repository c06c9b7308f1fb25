"""The Maildir that receives every message when no SMTP relay is configured, and reading it back.

A Maildir (Python's :mod:`mailbox`) needs no server and no locking: each message is written to
``tmp/`` and then linked into ``new/``, so a reader never sees half a message. ``papertide mail
list`` / ``mail show`` read it, so the demo's sign-in links work without any mail set up.
"""

from __future__ import annotations

import email
import logging
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from papertide.errors import MailError, NotFound

log = logging.getLogger("papertide.mail")


class MaildirTransport:
    """Delivery into the Maildir at ``path`` (created, mode 0700, at the first message)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = f"Maildir {path}"
        self._box: mailbox.Maildir | None = None

    def send(self, wire: bytes, message_id: str, sender: str, recipients: tuple[str, ...]) -> None:
        try:
            if self._box is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._box = mailbox.Maildir(self.path, create=True)
            key = self._box.add(wire.replace(b"\r\n", b"\n"))  # Maildir files end lines the Unix way
        except OSError as exc:
            raise MailError(f"cannot write to the {self.where}: {exc}", transient=True) from exc
        log.info(
            "mail %s to %s delivered to the %s as %s (no smtp_host is set; `papertide mail list` shows it)",
            message_id, ", ".join(recipients), self.where, key,
        )  # fmt: skip

    def close(self) -> None:
        self._box = None


@dataclass(frozen=True, slots=True)
class StoredMail:
    """One message in the Maildir, numbered by delivery order from 1 (the oldest)."""

    number: int
    key: str
    delivered: datetime
    message: EmailMessage


def read_maildir(path: Path) -> list[StoredMail]:
    """Every message in the Maildir at ``path``, oldest first; none if nothing was ever delivered there."""
    try:
        box = mailbox.Maildir(path, create=False)
    except mailbox.NoSuchMailboxError:
        return []
    found = []
    for key in box.iterkeys():
        try:
            delivered = datetime.fromtimestamp(box.get_message(key).get_date(), UTC)
            parsed = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
        except KeyError:  # removed by someone else since the listing
            continue
        found.append((delivered, key, parsed))
    found.sort(key=lambda item: (item[0], item[1]))
    return [StoredMail(n, key, delivered, message) for n, (delivered, key, message) in enumerate(found, 1)]


def stored_mail(path: Path, number: int | None = None) -> StoredMail:
    """Message ``number`` as :func:`read_maildir` numbers them (None: the newest); else :class:`NotFound`."""
    messages = read_maildir(path)
    if not messages:
        which = "" if number is None else f" {number}"
        raise NotFound(f"no message{which} to show: the Maildir {path} is empty")
    if number is None:
        return messages[-1]
    if not 1 <= number <= len(messages):
        raise NotFound(f"no message {number} in the Maildir {path}: messages are numbered 1 to {len(messages)}")
    return messages[number - 1]
