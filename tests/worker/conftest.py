"""The worker's tests: a store on a SQLite file and a clock the test moves."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from papertide.store.db import create_store_engine, migrate
from tests.clock import ControlledClock


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'papertide.db'}"
    migrate(create_store_engine(url))
    return url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_store_engine(db_url)


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()
