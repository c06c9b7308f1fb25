"""Delivery to a real SMTP server (aiosmtpd): one or many messages, TLS and login, and every way it fails."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.errors import ConfigError, InvalidInput, MailError
from papertide.mail import Mailer, compose
from tests.mail.conftest import Certificate
from tests.mail_server import MailServer


def note(settings: Settings, to: str = "reader@example.com", subject: str = "Hello"):
    return compose(settings, to=to, subject=subject, text="Hello", html="<p>Hello</p>")


def test_send_hands_the_message_to_the_relay(mail_settings: Settings, smtp_server: MailServer) -> None:
    mailer = Mailer.from_settings(mail_settings)
    assert mailer.destination == f"SMTP relay 127.0.0.1:{smtp_server.port}"
    mailer.send(note(mail_settings))
    [received] = smtp_server.wait_for(1)
    assert received["Subject"] == "Hello"
    assert received.envelope_from == "papertide@localhost"
    assert received.envelope_to == ["reader@example.com"]
    assert received.tls is False and received.login is None


def test_many_messages_over_one_connection(mail_settings: Settings, smtp_server: MailServer) -> None:
    with Mailer.from_settings(mail_settings).connect() as connection:
        for n in range(3):
            connection.send(note(mail_settings, to=f"reader{n}@example.com", subject=f"Digest {n}"))
    received = smtp_server.wait_for(3)
    assert [m["Subject"] for m in received] == ["Digest 0", "Digest 1", "Digest 2"]
    assert [m.envelope_to for m in received] == [[f"reader{n}@example.com"] for n in range(3)]
    assert len({m.peer for m in received}) == 1  # one client port: one connection


def test_cc_and_bcc_are_recipients_and_bcc_is_not_transmitted(mail_settings: Settings, smtp_server: MailServer) -> None:
    message = note(mail_settings)
    message["Cc"] = "copy@example.com"
    message["Bcc"] = "hidden@example.com"
    Mailer.from_settings(mail_settings).send(message)
    [received] = smtp_server.wait_for(1)
    assert received.envelope_to == ["reader@example.com", "copy@example.com", "hidden@example.com"]
    assert "Bcc" not in received and b"hidden@" not in received.raw


def test_a_message_without_recipients_is_refused(mail_settings: Settings) -> None:
    message = note(mail_settings)
    del message["To"]
    with pytest.raises(InvalidInput, match="no recipient"):
        Mailer.from_settings(mail_settings).send(message)


@pytest.mark.parametrize(
    ("stage", "code", "transient", "about_recipient"),
    [
        ("rcpt", 450, True, True),  # mailbox busy: a soft bounce
        ("rcpt", 550, False, True),  # no such mailbox: a hard bounce
        ("data", 451, True, True),
        ("data", 554, False, True),  # content rejected
        ("mail", 451, True, False),  # the relay refused our sender: no recipient's fault
        ("mail", 553, False, False),
    ],
)
def test_replies_4xx_are_transient_5xx_permanent(
    mail_settings: Settings, smtp_server: MailServer, stage: str, code: int, transient: bool, about_recipient: bool
) -> None:
    smtp_server.fail_next(code, "the server says no", stage=stage)
    with pytest.raises(MailError) as failure:
        Mailer.from_settings(mail_settings).send(note(mail_settings))
    error = failure.value
    assert error.transient is transient
    assert error.smtp_code == code
    assert error.recipients == (("reader@example.com",) if about_recipient else ())
    assert f"{code} the server says no" in error.message and str(smtp_server.port) in error.message
    assert error.status_code == 502
    assert smtp_server.messages == []


def test_a_refused_message_leaves_the_connection_usable(mail_settings: Settings, smtp_server: MailServer) -> None:
    smtp_server.refuse("gone@example.com")
    with Mailer.from_settings(mail_settings).connect() as connection:
        connection.send(note(mail_settings, subject="first"))
        with pytest.raises(MailError, match=r"gone@example\.com: 550") as failure:
            connection.send(note(mail_settings, to="gone@example.com"))
        connection.send(note(mail_settings, subject="third"))
    assert failure.value.recipients == ("gone@example.com",) and not failure.value.transient
    received = smtp_server.wait_for(2)
    assert [m["Subject"] for m in received] == ["first", "third"]
    assert received[0].peer == received[1].peer


def test_a_partly_refused_message_says_who_got_it(mail_settings: Settings, smtp_server: MailServer) -> None:
    smtp_server.refuse("gone@example.com")
    message = note(mail_settings)
    message["Cc"] = "gone@example.com"
    with pytest.raises(MailError) as failure:
        Mailer.from_settings(mail_settings).send(message)
    assert failure.value.recipients == ("gone@example.com",)
    assert "accepted the message for reader@example.com" in failure.value.message
    assert smtp_server.wait_for(1)[0].envelope_to == ["reader@example.com"]


def test_after_421_the_next_message_opens_a_new_connection(mail_settings: Settings, smtp_server: MailServer) -> None:
    smtp_server.fail_next(421, "4.3.2 shutting down")
    with Mailer.from_settings(mail_settings).connect() as connection:
        with pytest.raises(MailError) as failure:
            connection.send(note(mail_settings, subject="first"))
        connection.send(note(mail_settings, subject="second"))
    assert failure.value.transient and failure.value.smtp_code == 421
    assert [m["Subject"] for m in smtp_server.wait_for(1)] == ["second"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def relay_settings(tmp_path: Path, port: int, **changes) -> Settings:
    return load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", **changes)


def test_a_refused_connection_is_transient(tmp_path: Path) -> None:
    settings = relay_settings(tmp_path, free_port())
    with pytest.raises(MailError, match=r"cannot reach SMTP relay 127\.0\.0\.1") as failure:
        Mailer.from_settings(settings).send(note(settings))
    assert failure.value.transient and failure.value.smtp_code is None and failure.value.recipients == ()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word (a hung relay)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_a_relay_that_never_answers_times_out_as_transient(tmp_path: Path, silent_server: int) -> None:
    settings = relay_settings(tmp_path, silent_server, smtp_timeout_s=0.3)
    with pytest.raises(MailError, match=r"did not answer within 0\.3 s") as failure:
        Mailer.from_settings(settings).send(note(settings))
    assert failure.value.transient


def test_a_relay_that_went_away_mid_batch_is_transient(tmp_path: Path) -> None:
    server = MailServer().start()
    settings = relay_settings(tmp_path, server.port)
    with Mailer.from_settings(settings).connect() as connection:
        connection.send(note(settings))
        server.stop()
        with pytest.raises(MailError) as failure:
            connection.send(note(settings))
    assert failure.value.transient and failure.value.recipients == ()


# -- TLS and login ------------------------------------------------------------------------------------

USER, PASSWORD = "papertide", "s3cret password"


def tls_settings(tmp_path: Path, server: MailServer, certificate: Certificate, **changes) -> Settings:
    options = {"smtp_ca_file": certificate.cert, "smtp_username": USER, "smtp_password": PASSWORD} | changes
    return load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=server.port, **options)


def test_starttls_and_login(tmp_path: Path, certificate: Certificate) -> None:
    context = certificate.server_context()
    with MailServer(tls_context=context, require_starttls=True, login=(USER, PASSWORD)) as server:
        settings = tls_settings(tmp_path, server, certificate, smtp_security="starttls")
        Mailer.from_settings(settings).send(note(settings))
        [received] = server.wait_for(1)
    assert received.tls and received.login == USER


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd: SMTPS is all TLS
def test_implicit_tls_and_login(tmp_path: Path, certificate: Certificate) -> None:
    with MailServer(ssl_context=certificate.server_context(), login=(USER, PASSWORD)) as server:
        settings = tls_settings(tmp_path, server, certificate, smtp_security="ssl")
        Mailer.from_settings(settings).send(note(settings))
        [received] = server.wait_for(1)
    assert received.tls and received.login == USER


def test_a_wrong_password_is_a_permanent_error_of_no_recipient(tmp_path: Path, certificate: Certificate) -> None:
    with MailServer(tls_context=certificate.server_context(), login=(USER, PASSWORD)) as server:
        settings = tls_settings(tmp_path, server, certificate, smtp_security="starttls", smtp_password="wrong")
        with pytest.raises(MailError, match="refused the login: 535") as failure:
            Mailer.from_settings(settings).send(note(settings))
        assert server.messages == []
    assert not failure.value.transient and failure.value.smtp_code == 535 and failure.value.recipients == ()


def test_an_untrusted_certificate_is_refused(tmp_path: Path, certificate: Certificate) -> None:
    with MailServer(tls_context=certificate.server_context(), login=(USER, PASSWORD)) as server:
        settings = tls_settings(tmp_path, server, certificate, smtp_security="starttls", smtp_ca_file=None)
        with pytest.raises(MailError, match="TLS certificate is not trusted") as failure:
            Mailer.from_settings(settings).send(note(settings))
        assert server.messages == []
    assert not failure.value.transient


def test_starttls_required_but_not_offered(tmp_path: Path, smtp_server: MailServer, certificate: Certificate) -> None:
    settings = tls_settings(tmp_path, smtp_server, certificate, smtp_security="starttls", smtp_username=None)
    with pytest.raises(MailError, match="STARTTLS") as failure:
        Mailer.from_settings(settings).send(note(settings))
    assert not failure.value.transient and smtp_server.messages == []


def test_login_settings_are_checked_before_anything_is_sent(tmp_path: Path) -> None:
    cleartext = load_settings(
        data_dir=tmp_path, smtp_host="mail.example.org", smtp_security="none", smtp_username=USER, smtp_password="x"
    )
    with pytest.raises(ConfigError, match="unencrypted"):
        Mailer.from_settings(cleartext)
    with pytest.raises(ConfigError, match="smtp_password is not"):
        Mailer.from_settings(load_settings(data_dir=tmp_path, smtp_host="mail.example.org", smtp_username=USER))
    with pytest.raises(ConfigError, match="must be ASCII"):
        Mailer.from_settings(
            load_settings(data_dir=tmp_path, smtp_host="mail.example.org", smtp_username=USER, smtp_password="pässword")
        )
