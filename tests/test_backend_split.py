"""The PostgreSQL pass runs every test that can reach a database and leaves the others to SQLite (tests/postgres.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from papertide.config import load_settings
from papertide.errors import StoreError
from papertide.store import open_store
from tests.postgres import NO_DATABASE_URL

ROOT = Path(__file__).resolve().parents[1]


def _collected_on_postgresql(*paths: str) -> tuple[set[str], str]:
    """The test ids the PostgreSQL pass collects from ``paths`` (no server is started to collect), and its output."""
    env = {**os.environ, "PAPERTIDE_TEST_DATABASE": "postgresql"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider", *paths],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return {line for line in done.stdout.splitlines() if "::" in line}, done.stdout


def test_postgresql_pass_keeps_every_test_that_can_reach_a_database() -> None:
    ids, output = _collected_on_postgresql("tests/store/test_papers.py", "tests/search/test_query.py", __file__)
    store_tests = {i for i in ids if i.startswith("tests/store/test_papers.py::")}
    assert "tests/store/test_papers.py::test_insert_then_same_record_changes_nothing" in store_tests  # store
    assert "tests/store/test_papers.py::test_migrations_are_idempotent_and_current" in store_tests  # tmp_path only
    assert f"tests/{Path(__file__).name}::test_a_marked_test_runs_on_postgresql_too" in ids
    assert not any(i.startswith("tests/search/test_query.py::") for i in ids)  # a parser's: no database
    assert f"tests/{Path(__file__).name}::test_a_test_that_cannot_reach_a_database_gets_one_that_fails" not in ids
    assert "tests left to the SQLite pass: none can reach a database" in output


def test_a_test_that_cannot_reach_a_database_gets_one_that_fails() -> None:
    """On SQLite: a test opening a database by means its fixtures do not show fails, rather than skip PostgreSQL."""
    assert load_settings().resolved_database_url == NO_DATABASE_URL
    with pytest.raises(StoreError, match="request_database_url_or_mark_the_test_database"):
        open_store(load_settings().resolved_database_url)


@pytest.mark.database
def test_a_marked_test_runs_on_postgresql_too() -> None:
    assert load_settings().resolved_database_url != NO_DATABASE_URL
