"""``papertide db``: migrations on either backend, and moving a SQLite installation to PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.errors import InvalidInput
from papertide.store import open_store
from tests.postgres import PostgresForTests
from tests.web.corpus import load_papers


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERTIDE_DATABASE_URL", raising=False)
    return tmp_path / "data"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout


def test_upgrade_migrates_once_then_says_current(data_dir: Path) -> None:
    code, first = run("db", "upgrade")
    assert code == 0 and "schema empty ->" in first
    code, again = run("db", "upgrade")
    assert code == 0 and "current" in again


def test_upgrade_runs_on_postgresql(postgres: PostgresForTests, data_dir: Path) -> None:
    url = postgres.create_database("upgrade_me")
    code, output = run("--database-url", url, "db", "upgrade")
    assert code == 0 and "schema empty ->" in output


def test_migrate_to_copies_everything_and_verifies(postgres: PostgresForTests, data_dir: Path) -> None:
    load_papers(open_store(f"sqlite:///{data_dir / 'papertide.db'}"))
    target = postgres.create_database("moved")
    code, output = run("db", "migrate-to", target, "--json")
    assert code == 0
    reports = {row["table"]: row for row in json.loads(output)}
    assert all(row["matches"] for row in reports.values())
    assert reports["papers"]["target_rows"] == open_store(target).count() > 0


def test_migrate_to_a_database_holding_data_is_refused(postgres: PostgresForTests, data_dir: Path) -> None:
    load_papers(open_store(f"sqlite:///{data_dir / 'papertide.db'}"))
    target = postgres.create_database("occupied")
    load_papers(open_store(target))
    with pytest.raises(InvalidInput, match="already holds data"):
        run("db", "migrate-to", target)
