"""`papertide digest send`, `papertide worker --once` and `papertide status` on a library with one subscriber."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import load_settings
from papertide.digest.preferences import Preferences
from papertide.ingest import ingest
from papertide.store import open_store
from papertide.store.digest import SubscriptionStore
from papertide.store.papers import PaperStore
from tests.digest.conftest import paper
from tests.mail_server import MailServer


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: MailServer) -> Path:
    """A daily subscriber whose delivery hour was this hour, papers that arrived before it, mail to the server."""
    for name, value in {
        "PAPERTIDE_DATA_DIR": str(tmp_path),
        "PAPERTIDE_SMTP_HOST": smtp_server.host,
        "PAPERTIDE_SMTP_PORT": str(smtp_server.port),
        "PAPERTIDE_SMTP_SECURITY": "none",
        "PAPERTIDE_WORKER_OAI_SETS": "[]",  # the worker's daily ingest stays off the internet
        "PAPERTIDE_WORKER_HF_DAYS": "0",
        "PAPERTIDE_WORKER_INGEST_HOUR_UTC": "0",  # whatever the hour the test runs at
        "PAPERTIDE_WORKER_EMBED": "false",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    engine = open_store(settings.resolved_database_url).engine
    now = datetime.now(UTC)
    arrived = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    fresh = paper(1, "Fresh results", submitted=arrived - timedelta(days=1))
    ingest([fresh], PaperStore(engine, clock=lambda: arrived))
    subscriptions = SubscriptionStore(engine, clock=lambda: arrived - timedelta(days=2))
    preferences = Preferences.parse({"frequency": "daily", "hour": now.hour})
    subscriptions.activate(subscriptions.get_or_create("reader@example.org", preferences.to_dict(), "nonce").pk)
    return tmp_path


def run(*args: str, exit_code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == exit_code, result.output
    return result.output


def test_digest_send_twice_sends_once(data_dir: Path, smtp_server: MailServer) -> None:
    first = run("digest", "send")
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["reader@example.org"]
    assert "1 new paper for you" in smtp_server.messages[0]["Subject"]
    assert "digest send" in first

    run("digest", "send")
    run("digest", "send", "--to", "reader@example.org")
    assert len(smtp_server.messages) == 1  # the period was sent: nothing goes twice

    status = json.loads(run("status", "--json"))
    assert status["outbox"] | {"oldest_due": None} == {
        "pending": 0, "sending": 0, "sent": 1, "failed": 0, "skipped": 0, "oldest_due": None,
    }  # fmt: skip
    assert [w["step"] for w in status["workers"]] == [None, None, None]
    assert not any(w["alive"] for w in status["workers"])  # each `digest send` recorded that it ended


def test_digest_send_to_one_address_whatever_the_hour(data_dir: Path, smtp_server: MailServer) -> None:
    run("digest", "send", "--to", "READER@example.org")
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["reader@example.org"]


def test_digest_send_refuses_bad_input_and_sends_nothing(data_dir: Path, smtp_server: MailServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "digest", "send", "--to", "nobody@example.org"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1
    assert "error: no active digest subscription for 'nobody@example.org'" in done.stderr
    assert "Traceback" not in done.stderr
    assert "expected a date YYYY-MM-DD" in run("digest", "send", "--date", "2026-13-01", exit_code=2)
    assert smtp_server.messages == []


def test_worker_once_runs_the_schedule_and_status_shows_it(data_dir: Path, smtp_server: MailServer) -> None:
    printed = run("worker", "--once")
    assert "index (seq:" in printed and "digests (tick:" in printed
    assert len(smtp_server.wait_for(1)) == 1

    status = json.loads(run("status", "--json"))
    jobs = {job["name"]: job for job in status["jobs"]}
    assert {name: job["state"] for name, job in jobs.items()} == {
        "ingest": "done", "index": "done", "trending": "done", "digests": "done", "upkeep": "done",
    }  # fmt: skip
    assert jobs["digests"]["detail"]["enqueued"] == 1
    table = run("status")
    assert "digest outbox" in table and "sent" in table


def test_worker_once_without_network_warns_once_per_source_and_logs_no_import_errors(tmp_path: Path) -> None:
    closed = MailServer().start()  # a port nothing listens on once it stops
    refused = f"http://127.0.0.1:{closed.port}/oai2"
    closed.stop()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")} | {
        "PAPERTIDE_DATA_DIR": str(tmp_path),
        "PAPERTIDE_WORKER_OAI_URL": refused,
        "PAPERTIDE_WORKER_HF_URL": "http://nonexistent.invalid/api/daily_papers",
        "PAPERTIDE_WORKER_INGEST_HOUR_UTC": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "worker", "--once"], capture_output=True, text=True, env=env, timeout=300
    )

    assert done.returncode == 0, done.stderr
    assert "ingest (" in done.stdout and "index (seq:" in done.stdout and "digests (tick:" in done.stdout
    assert "ModuleNotFoundError" not in done.stderr and "faiss.loader" not in done.stderr  # faiss's build probing
    warnings = [line for line in done.stderr.splitlines() if " WARNING " in line or " ERROR " in line]
    assert len(warnings) == 2, done.stderr
    assert "refused the connection" in warnings[0] and "PAPERTIDE_WORKER_OAI_SETS=[]" in warnings[0]
    assert "does not resolve" in warnings[1] and "PAPERTIDE_WORKER_HF_DAYS=0" in warnings[1]
