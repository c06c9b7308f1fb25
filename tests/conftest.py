"""Shared fixtures: a fresh SQLite store per test."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from papertide.store import PaperStore, open_store

pytest_plugins = ["tests.web.browser"]

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    """Give each test run a temporary directory of its own.

    pytest's default, /tmp/pytest-of-<user>, keeps the newest three runs and deletes older ones
    even while they still run: with CI or several checkouts testing at once on one machine,
    tests lost their files (and their PostgreSQL server) mid-run.
    """
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="papertide-tests-")
        config._papertide_basetemp = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    created = getattr(config, "_papertide_basetemp", None)
    if created:
        shutil.rmtree(created, ignore_errors=True)


@pytest.fixture
def store(tmp_path: Path) -> PaperStore:
    return open_store(f"sqlite:///{tmp_path / 'papertide.db'}")
