"""``papertide demo`` end to end on today's date: then a new subscriber's digest, previewed and sent by the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.digest.preferences import Preferences
from papertide.store import open_store
from papertide.store.digest.subscriptions import SubscriptionStore
from tests.mail_server import MailServer
from tests.postgres import fresh_database_url


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_demo_then_a_new_subscribers_digest(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: MailServer
) -> None:
    url = fresh_database_url(request, tmp_path)
    for name, value in {
        "PAPERTIDE_DATA_DIR": str(tmp_path),
        "PAPERTIDE_DATABASE_URL": url,
        "PAPERTIDE_SMTP_HOST": smtp_server.host,
        "PAPERTIDE_SMTP_PORT": str(smtp_server.port),
        "PAPERTIDE_SMTP_SECURITY": "none",
    }.items():
        monkeypatch.setenv(name, value)
    code, out = run("demo", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["added"] == 1271
    assert report["activity"]["listed"] == 60 and report["activity"]["votes"] > 0
    code, out = run("demo")  # again, as every `make run` does: the activity moves, nothing is added
    assert code == 0 and "activity replayed relative to" in out and "60 papers listed" in out
    code, out = run("index", "--json")
    vectors = json.loads(out)["vectors"]
    assert code == 0 and vectors["embedded"] == vectors["shipped"] == 1271  # none embedded by the model itself

    email = "newcomer@example.org"
    subscriptions = SubscriptionStore(open_store(url).engine)
    subscriptions.activate(subscriptions.get_or_create(email, Preferences().to_dict(), "nonce").pk)
    code, out = run("digest", "preview", email)
    assert code == 0 and "Subject:" in out and "No digest" not in out
    code, out = run("digest", "send", "--to", email)
    assert code == 0, out
    assert [message.envelope_to for message in smtp_server.wait_for(1)] == [[email]]
