"""Shared fixtures: a fresh SQLite store per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.store import PaperStore, open_store

pytest_plugins = ["tests.web.browser"]

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def store(tmp_path: Path) -> PaperStore:
    return open_store(f"sqlite:///{tmp_path / 'papertide.db'}")
