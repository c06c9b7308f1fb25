"""Every command that prints a report takes --json (README: "every command that prints a table also takes --json").

The command tree is walked from the typer app itself, so a command added without --json fails here
unless it joins :data:`NO_REPORT` with a reason. The commands cheap to run are run on a small library
(real SQLite, or PostgreSQL under PAPERTIDE_TEST_DATABASE=postgresql) and their output must parse.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import load_settings
from papertide.digest.preferences import Preferences
from papertide.store import open_store
from papertide.store.digest.subscriptions import SubscriptionStore
from tests.test_cli import KAGGLE, WEB_PAPERS
from tests.test_cli_mail import deliver

# Commands that print no report, and why.
NO_REPORT = {
    "serve": "runs the web app until stopped: it logs requests, it has no report to print",
    "export jsonl": "its output is the data itself (JSON lines); the paper count goes to stderr",
}
# Commands with --json that the run below leaves out, and where their JSON is tested instead.
NOT_RUN_HERE = {
    "demo": "loads and embeds the bundled corpus (a minute); tests/test_cli.py runs it",
    "ingest oai": "needs an OAI-PMH server: tests/test_cli.py replays recorded responses",
    "ingest arxiv": "needs the arXiv API: tests/test_cli.py replays recorded responses",
    "ingest hf-daily": "needs Hugging Face: tests/test_cli.py replays recorded responses",
    "db migrate-to": "needs a second, empty database: tests/test_cli_db.py",
    "admin grant": "needs an account: tests/test_cli_admin.py",
    "admin revoke": "needs an account: tests/test_cli_admin.py",
    "backup": "needs pg_dump on PostgreSQL: tests/store/test_backup.py runs it on both backends",
    "restore": "needs an empty target database: tests/store/test_backup.py",
}


def commands() -> Iterator[tuple[str, object]]:
    """Every leaf command of the CLI as ``("digest send", command)``."""

    def walk(command: object, path: tuple[str, ...]) -> Iterator[tuple[str, object]]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield " ".join(path), command
            return
        for name, sub in subcommands.items():
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


def has_json(command: object) -> bool:
    return any("--json" in getattr(param, "opts", ()) for param in command.params)


def test_every_command_that_prints_a_report_takes_json() -> None:
    found = dict(commands())
    assert {"digest send", "digest preview", "status", "worker"} <= found.keys()  # the walk reaches every group
    missing = [path for path, command in found.items() if path not in NO_REPORT and not has_json(command)]
    assert missing == [], f"these commands print a report but take no --json: {missing}"
    assert set(NO_REPORT) | set(NOT_RUN_HERE) <= found.keys(), "the lists name commands that no longer exist"


def test_the_json_of_every_command_cheap_to_run_parses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    for name, value in {
        "PAPERTIDE_DATA_DIR": str(data_dir),
        "PAPERTIDE_WORKER_OAI_SETS": "[]",  # the worker's daily ingest stays off the internet
        "PAPERTIDE_WORKER_HF_DAYS": "0",
        "PAPERTIDE_WORKER_EMBED": "false",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PAPERTIDE_SMTP_HOST", raising=False)  # mail goes to the Maildir
    now = datetime.now(UTC)
    runs = {
        "init": ["init"],
        "db upgrade": ["db", "upgrade"],
        "ingest jsonl": ["ingest", "jsonl", str(WEB_PAPERS)],
        "ingest kaggle": ["ingest", "kaggle", str(KAGGLE)],
        "index": ["index", "--lexical-only"],
        "search": ["search", "learning", "--mode", "lexical"],
        "trending": ["trending"],
        "stats": ["stats"],
        "digest preview": ["digest", "preview", "reader@example.org"],
        "digest send": ["digest", "send", "--to", "reader@example.org"],
        "worker": ["worker", "--once"],
        "status": ["status"],
        "mail list": ["mail", "list"],
        "mail show": ["mail", "show"],
        "admin list": ["admin", "list"],
    }
    with_json = {path for path, command in commands() if has_json(command)}
    assert with_json == set(runs) | set(NOT_RUN_HERE), "run a new command here, or say in NOT_RUN_HERE why not"

    printed = {}
    for path, args in runs.items():
        if path == "digest preview":  # a subscriber to preview and send to, and a message in the Maildir
            subscriptions = SubscriptionStore(open_store(load_settings().resolved_database_url).engine)
            preferences = Preferences.parse({"frequency": "daily", "hour": now.hour}).to_dict()
            subscriptions.activate(subscriptions.get_or_create("reader@example.org", preferences, "nonce").pk)
            deliver(data_dir, "Sign in to papertide")
        result = CliRunner().invoke(app, [*args, "--json"], catch_exceptions=False)
        assert result.exit_code == 0, (path, result.output)
        printed[path] = json.loads(result.stdout)
    assert printed["init"]["papers"] == 0 and printed["db upgrade"]["before"] == printed["db upgrade"]["after"]
    assert printed["stats"]["papers"] == printed["ingest jsonl"]["added"] + printed["ingest kaggle"]["added"]
    assert printed["index"]["lexical"] == printed["stats"]["papers"] and printed["index"]["vectors"] is None
    assert printed["digest preview"]["email"] == "reader@example.org"
    assert set(printed["digest send"]) == {"enqueue", "delivery", "not_due"}
    newest = printed["mail list"][-1]
    assert printed["mail show"]["number"] == newest["number"] and printed["mail show"]["subject"] == newest["subject"]
    assert isinstance(printed["mail show"]["text"], str)
    assert printed["admin list"] == []
