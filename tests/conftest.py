"""Shared fixtures: a fresh SQLite store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.store import PaperStore, open_store

pytest_plugins = ["tests.web.browser", "tests.postgres"]

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(database_url: str) -> PaperStore:
    """A fresh store of the backend under test (see tests/postgres.py)."""
    return open_store(database_url)
