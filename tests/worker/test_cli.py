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
from papertide.digest.enqueue import ALREADY, SUSPENDED
from papertide.digest.preferences import Preferences
from papertide.errors import InvalidInput
from papertide.ingest.pipeline import ingest
from papertide.store import open_store
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.store.papers.store import PaperStore
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


@pytest.mark.slow  # run first (tests/conftest.py)
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
        "ingest": "done", "index": "done", "trending": "done", "digests": "done", "discussion-mail": "done",
        "upkeep": "done",
    }  # fmt: skip
    assert jobs["digests"]["detail"]["enqueued"] == 1
    table = run("status")
    assert "digest outbox" in table and "sent" in table


@pytest.mark.slow  # run first (tests/conftest.py)
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


def subscriptions_of(data_dir: Path) -> SubscriptionStore:
    return SubscriptionStore(open_store(load_settings().resolved_database_url).engine)


def set_preferences(data_dir: Path, **changes: object) -> None:
    subscriptions = subscriptions_of(data_dir)
    reader = subscriptions.by_email("reader@example.org")
    subscriptions.set_preferences(reader.pk, Preferences.parse(reader.preferences | changes).to_dict())


def test_digest_send_reports_enqueueing_and_delivery_apart_and_says_why_nothing_went(
    data_dir: Path, smtp_server: MailServer
) -> None:
    set_preferences(data_dir, categories=["math.GT"])  # the paper that arrived is cs.LG
    report = json.loads(run("digest", "send", "--json"))
    assert report["enqueue"] | {"reasons": None} == {
        "due": 1, "enqueued": 0, "skipped": 1, "suspended": 0, "already": 0, "errors": 0, "reasons": None,
    }  # fmt: skip
    assert report["delivery"] == {"sent": 0, "skipped": 0, "retried": 0, "failed": 0, "lost": 0, "relay_down": False}
    [(reason, count)] = report["enqueue"]["reasons"].items()
    assert count == 1
    assert reason.startswith("nothing new for them between ")
    assert "the one new paper is not in their categories" in reason
    assert report["not_due"] == {}
    assert smtp_server.messages == []

    again = run("digest", "send")  # the skip was recorded: nobody is due now
    assert "digest send: enqueued" in again and "digest send: delivered" in again
    assert "No digest was due:" in again
    assert "1 × their latest digest was already sent or skipped: the next comes at their next delivery hour" in again
    assert json.loads(run("digest", "send", "--json"))["not_due"] == {
        "their latest digest was already sent or skipped: the next comes at their next delivery hour": 1
    }


def test_digest_send_names_a_pause(data_dir: Path, smtp_server: MailServer) -> None:
    until = (datetime.now(UTC) + timedelta(days=3)).date()
    set_preferences(data_dir, paused_until=until.isoformat())
    report = json.loads(run("digest", "send", "--json"))
    assert report["enqueue"]["due"] == 0 and report["not_due"] == {f"paused until {until}": 1}
    assert f"1 × paused until {until}" in run("digest", "send")
    refused = CliRunner().invoke(app, ["digest", "send", "--to", "reader@example.org"])
    assert isinstance(refused.exception, InvalidInput)
    assert f"the digest is paused until {until}" in refused.exception.message
    assert smtp_server.messages == []


def test_digest_send_names_a_suspended_address(data_dir: Path, smtp_server: MailServer) -> None:
    engine = open_store(load_settings().resolved_database_url).engine
    bounces = BounceStore(engine, policy=BouncePolicy(threshold=1.0))  # one hard bounce suspends
    bounces.record("reader@example.org", hard=True, reason="550 no such user")
    printed = run("digest", "send")
    assert "Not sent:" in printed and f"1 × {SUSPENDED}" in printed
    # The suspension was recorded in the outbox for this period: a second run says so.
    report = json.loads(run("digest", "send", "--json"))
    assert report["enqueue"]["already"] == 1 and report["enqueue"]["enqueued"] == 0
    assert report["enqueue"]["reasons"] == {ALREADY: 1}
    assert smtp_server.messages == []


def test_worker_once_prints_its_report_as_json(data_dir: Path, smtp_server: MailServer) -> None:
    report = json.loads(run("worker", "--once", "--json"))
    jobs = {job["name"]: job for job in report["jobs"]}
    assert jobs["digests"]["ok"] and jobs["digests"]["detail"]["enqueued"] == 1
    assert len(smtp_server.wait_for(1)) == 1
    assert "only a single tick prints a report: add --once" in run("worker", "--json", exit_code=2)
