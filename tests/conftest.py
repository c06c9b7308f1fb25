"""Shared fixtures: a fresh store per test (SQLite or PostgreSQL, see tests/postgres.py); a real SMTP server."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.store import PaperStore, open_store
from tests.mail_server import MailServer

pytest_plugins = ["tests.postgres", "tests.web.browser"]

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked slow first, in their collected order otherwise.

    ``make test`` runs two workers that steal from each other's queue when idle (``--dist worksteal``).
    Collected last, the slowest tests (the worker crash test, the API fuzzing, ``serve --workers``:
    each ~0.5-2.5 minutes on a busy machine) ran alone at the end while the other worker idled.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def store(database_url: str) -> PaperStore:
    """A fresh store of the backend under test (see tests/postgres.py)."""
    return open_store(database_url)


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    """A real aiosmtpd server on a free loopback port: ``.messages``, ``.wait_for(n)``, ``.fail_next(code, text)``."""
    with MailServer() as server:
        yield server


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: MailServer) -> Settings:
    """Settings whose mail goes to ``smtp_server`` (plain SMTP, no login)."""
    return load_settings(
        data_dir=tmp_path, smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="none"
    )
