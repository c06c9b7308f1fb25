"""`papertide mail list|show`: reading the Maildir that receives mail when no relay is configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from papertide.config import load_settings
from papertide.mail import Mailer, compose
from tests.test_cli import run

LINK = "http://127.0.0.1:8000/signin/" + "t0ken" * 20 + "?next=%2Fpapers%2F2410.17243"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    for name in ("PAPERTIDE_DATABASE_URL", "PAPERTIDE_SMTP_HOST"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "data"


def deliver(data_dir: Path, *subjects: str) -> None:
    settings = load_settings(data_dir=data_dir)
    with Mailer.from_settings(settings).connect() as connection:
        for n, subject in enumerate(subjects):
            text = f"Sign in to papertide:\n\n{LINK}\n\nThe link works for 15 minutes.\n"
            connection.send(
                compose(settings, to=f"Reader {n} <reader{n}@example.com>", subject=subject, text=text, html="<p/>")
            )


def papertide(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    env.pop("PAPERTIDE_SMTP_HOST", None)
    return subprocess.run(
        [sys.executable, "-m", "papertide", *args], capture_output=True, text=True, env=env, timeout=60
    )


def test_mail_list_numbers_messages_oldest_first(data_dir: Path) -> None:
    deliver(data_dir, "Sign in to papertide", "Grüße aus papertide", "Your digest")
    code, out, _ = run("mail", "list")
    assert code == 0
    assert "3 messages in" in out
    for text in ("Sign in to papertide", "Grüße aus papertide", "Your digest", "reader2@example.com"):
        assert text in out
    assert out.index("Sign in to papertide") < out.index("Your digest")

    code, out, _ = run("mail", "list", "--json")
    listed = json.loads(out)
    assert [m["number"] for m in listed] == [1, 2, 3]
    assert listed[1]["subject"] == "Grüße aus papertide"
    assert listed[1]["to"] == "Reader 1 <reader1@example.com>"
    assert listed[0]["delivered"] <= listed[2]["delivered"]

    code, out, _ = run("mail", "list", "-n", "2", "--json")
    assert [m["number"] for m in json.loads(out)] == [2, 3]


def test_mail_show_prints_headers_and_the_whole_link(data_dir: Path) -> None:
    deliver(data_dir, "first", "second")
    code, out, _ = run("mail", "show", "1")
    assert code == 0
    assert "Subject: first" in out and "To: Reader 0 <reader0@example.com>" in out and "Message-ID: <" in out
    assert LINK in out.splitlines()  # on a line of its own, never wrapped, so it can be copied
    assert "The link works for 15 minutes." in out
    code, out, _ = run("mail", "show")
    assert code == 0 and "Subject: second" in out


def test_an_empty_maildir(data_dir: Path) -> None:
    code, out, _ = run("mail", "list")
    assert code == 0 and "no mail in" in out
    assert json.loads(run("mail", "list", "--json")[1]) == []
    done = papertide(data_dir, "mail", "show")
    assert done.returncode == 1
    assert "error: no message to show: the Maildir" in done.stderr and "is empty" in done.stderr


def test_a_bad_message_number_is_a_clean_error(data_dir: Path) -> None:
    deliver(data_dir, "only")
    for number in ("2", "0"):
        done = papertide(data_dir, "mail", "show", number)
        assert done.returncode == 1
        assert f"error: no message {number} in the Maildir" in done.stderr
        assert "numbered 1 to 1" in done.stderr and "Traceback" not in done.stderr
        assert done.stdout == ""
    done = papertide(data_dir, "mail", "show", "two")
    assert done.returncode == 2 and "valid integer" in done.stderr  # a usage error, like every bad argument


def test_with_a_relay_set_the_commands_say_new_mail_goes_elsewhere(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERTIDE_SMTP_HOST", "mail.example.org")
    code, _, err = run("mail", "list")
    assert code == 0 and "new mail goes to mail.example.org" in err
