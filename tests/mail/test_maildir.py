"""With no relay configured, mail goes to the Maildir in the data directory, and can be read back."""

from __future__ import annotations

import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.errors import MailError, NotFound
from papertide.mail import Mailer, compose
from papertide.mail.maildir import read_maildir, stored_mail


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


def note(settings: Settings, subject: str, to: str = "reader@example.com"):
    return compose(settings, to=to, subject=subject, text=f"{subject}: https://x.test/?t=1", html="<p>hi</p>")


def test_without_a_relay_mail_lands_in_the_maildir_and_the_log_says_where(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    mailer = Mailer.from_settings(settings)
    assert mailer.destination == f"Maildir {settings.mail_dir}"
    message = note(settings, "Grüße")
    with caplog.at_level(logging.INFO, logger="papertide.mail"):
        mailer.send(message)
    [stored] = read_maildir(settings.mail_dir)
    assert stored.number == 1
    assert stored.message["Subject"] == "Grüße"
    assert stored.message["Message-ID"] == message["Message-ID"]
    assert stored.message.get_body(("plain",)).get_content() == "Grüße: https://x.test/?t=1\n"
    assert (settings.mail_dir / "new" / stored.key).is_file()
    assert stat.S_IMODE(settings.mail_dir.stat().st_mode) == 0o700  # sign-in links are secrets
    [record] = [r for r in caplog.records if r.name == "papertide.mail"]
    assert str(settings.mail_dir) in record.getMessage() and "reader@example.com" in record.getMessage()


def test_messages_are_numbered_oldest_first(settings: Settings) -> None:
    with Mailer.from_settings(settings).connect() as connection:
        for subject in ("first", "second", "third"):
            connection.send(note(settings, subject))
    stored = read_maildir(settings.mail_dir)
    assert [(m.number, m.message["Subject"]) for m in stored] == [(1, "first"), (2, "second"), (3, "third")]
    assert stored[0].delivered <= stored[1].delivered <= stored[2].delivered <= datetime.now(UTC)
    assert stored_mail(settings.mail_dir, 2).message["Subject"] == "second"


def test_asking_for_a_message_that_is_not_there(settings: Settings) -> None:
    assert read_maildir(settings.mail_dir) == []
    with pytest.raises(NotFound, match="is empty"):
        stored_mail(settings.mail_dir, 1)
    Mailer.from_settings(settings).send(note(settings, "only"))
    for number in (0, 2, -1):
        with pytest.raises(NotFound, match=f"no message {number} in the Maildir .*numbered 1 to 1"):
            stored_mail(settings.mail_dir, number)


def test_an_unwritable_maildir_is_a_transient_mail_error(tmp_path: Path) -> None:
    (tmp_path / "data").write_text("a file where the data directory should be")
    settings = load_settings(data_dir=tmp_path / "data")
    with pytest.raises(MailError, match="cannot write to the Maildir") as failure:
        Mailer.from_settings(settings).send(note(settings, "lost?"))
    assert failure.value.transient
