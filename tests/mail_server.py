"""A real SMTP server (aiosmtpd) for the tests: it records what it receives and can be told to refuse.

In process, it is the ``smtp_server`` fixture (tests/conftest.py)::

    server.wait_for(1)[0]["Subject"]           # messages parsed with email.policy.default
    server.fail_next(451, "try again later")   # the next RCPT gets this reply (stage="mail"/"data" too)
    server.refuse("gone@example.org")          # every RCPT to that address gets 550

In another process, for tests that kill the sender but not the server::

    python -m tests.mail_server --port 0 --out DIR

prints ``listening on HOST:PORT`` once it accepts connections, writes each accepted message into DIR
as one file (written under a temporary name, then renamed: never half a file), and stops on SIGTERM.
:func:`read_out_dir` reads them back.
"""

from __future__ import annotations

import argparse
import email
import os
import signal
import ssl
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

ENVELOPE_FROM = b"X-Envelope-From: "
ENVELOPE_TO = b"X-Envelope-To: "


class ReceivedMessage(EmailMessage):
    """A message as the server parsed it, with its SMTP envelope and exactly the bytes that arrived."""

    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    login: str | None  # the user name it was sent under, if the client logged in
    tls: bool  # whether it arrived over TLS (STARTTLS or implicit)
    peer: tuple[str, int] | None  # the client's address and port: one connection, one peer


def parse_received(raw: bytes, envelope_from: str, envelope_to: list[str]) -> ReceivedMessage:
    message = email.message_from_bytes(raw, _class=ReceivedMessage, policy=policy.default)
    message.envelope_from, message.envelope_to, message.raw = envelope_from, list(envelope_to), raw
    message.login, message.tls, message.peer = None, False, None
    return message


@dataclass(frozen=True)
class _Failure:
    stage: str
    reply: str


class _Recorder:
    """The aiosmtpd handler: answers failures when told to, records every message it accepts."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.messages: list[ReceivedMessage] = []
        self.changed = threading.Condition()
        self.failures: deque[_Failure] = deque()
        self.refused: dict[str, str] = {}
        self.count = 0

    def _failure(self, stage: str) -> str | None:
        with self.changed:
            if self.failures and self.failures[0].stage == stage:
                return self.failures.popleft().reply
        return None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if failure := self._failure("mail"):
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        failure = self._failure("rcpt") or self.refused.get(address.lower())
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if failure := self._failure("data"):
            return failure
        raw = envelope.original_content
        message = parse_received(raw, envelope.mail_from, envelope.rcpt_tos)
        message.login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        message.tls = server.transport.get_extra_info("ssl_object") is not None
        message.peer = session.peer
        with self.changed:
            self.count += 1
            if self.out is not None:
                _write_atomically(self.out, self.count, envelope.mail_from, envelope.rcpt_tos, raw)
            self.messages.append(message)
            self.changed.notify_all()
        return "250 Message accepted for delivery"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Listening on port 0 lets the OS pick a free port; learn which before the first connection.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class MailServer:
    """An aiosmtpd server on a loopback port, in a thread of this process.

    ``tls_context`` offers STARTTLS (``require_starttls`` insists on it), ``ssl_context`` makes it an
    implicit-TLS (SMTPS) server, ``login=(user, password)`` requires that login.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        out: Path | None = None,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        login: tuple[str, str] | None = None,
    ) -> None:
        self._recorder = _Recorder(out)
        options: dict = {"server_hostname": "mail.test"}  # else aiosmtpd looks its name up in DNS
        if tls_context is not None:
            options |= {"tls_context": tls_context, "require_starttls": require_starttls}
        if login is not None:
            options |= {
                "authenticator": _authenticator(*login),
                "auth_required": True,
                "auth_require_tls": ssl_context is None,  # over SMTPS the whole connection is encrypted
            }
        self._controller = _Controller(self._recorder, hostname=host, port=port, ssl_context=ssl_context, **options)
        self.host = host

    def start(self) -> MailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._controller.port

    @property
    def messages(self) -> list[ReceivedMessage]:
        """Every message accepted so far, in arrival order."""
        with self._recorder.changed:
            return list(self._recorder.messages)

    def wait_for(self, count: int, timeout: float = 5) -> list[ReceivedMessage]:
        """The messages, once at least ``count`` have arrived; AssertionError after ``timeout`` seconds."""
        with self._recorder.changed:
            arrived = self._recorder.changed.wait_for(lambda: len(self._recorder.messages) >= count, timeout)
            if not arrived:
                raise AssertionError(f"expected {count} messages, the SMTP server got {len(self._recorder.messages)}")
            return list(self._recorder.messages)

    def fail_next(self, code: int, text: str, *, stage: str = "rcpt", times: int = 1) -> None:
        """Answer the next ``times`` MAIL, RCPT or DATA commands (``stage``) with ``code text``."""
        if stage not in ("mail", "rcpt", "data"):
            raise ValueError(f"stage must be mail, rcpt or data, not {stage!r}")
        with self._recorder.changed:
            self._recorder.failures.extend(_Failure(stage, f"{code} {text}") for _ in range(times))

    def refuse(self, address: str, code: int = 550, text: str = "5.1.1 mailbox unavailable") -> None:
        """Refuse every RCPT to ``address`` from now on (a bouncing mailbox)."""
        with self._recorder.changed:
            self._recorder.refused[address.lower()] = f"{code} {text}"


def _authenticator(user: str, password: str):
    def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == (user.encode(), password.encode())
        # handled=False: aiosmtpd itself answers 235 or 535; auth_data becomes session.auth_data
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    return authenticate


def _write_atomically(out: Path, number: int, mail_from: str, rcpt_tos: list[str], raw: bytes) -> None:
    name = f"{time.time_ns()}-{number:06d}.eml"
    temporary = out / f".{name}.tmp"
    with temporary.open("wb") as handle:
        handle.write(ENVELOPE_FROM + mail_from.encode() + b"\r\n")
        handle.write(ENVELOPE_TO + ", ".join(rcpt_tos).encode() + b"\r\n")
        handle.write(raw)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.rename(out / name)


def read_out_dir(out: Path) -> list[ReceivedMessage]:
    """The messages a ``--out`` server wrote, in arrival order."""
    messages = []
    for path in sorted(out.glob("*.eml"), key=lambda p: tuple(int(part) for part in p.stem.split("-"))):
        from_line, to_line, raw = path.read_bytes().split(b"\r\n", 2)
        envelope_to = to_line.removeprefix(ENVELOPE_TO).decode()
        messages.append(parse_received(raw, from_line.removeprefix(ENVELOPE_FROM).decode(), envelope_to.split(", ")))
    return messages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A recording SMTP server for papertide's tests.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--out", type=Path, required=True, help="directory that receives one file per message")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    with MailServer(host=args.host, port=args.port, out=args.out) as server:
        print(f"listening on {server.host}:{server.port}", flush=True)
        stop.wait()
    sys.exit(0)


if __name__ == "__main__":
    main()
