"""The app over a SQLite store holding the web tests' papers, indexed for search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings, load_settings
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore, open_store
from papertide.web.app import create_app
from tests.postgres import fresh_database_url, with_migrated_database
from tests.web.corpus import load_papers


@pytest.fixture(scope="session")
def indexed_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    """Shared by the tests that only read: indexing once keeps the suite fast."""
    data_dir = tmp_path_factory.mktemp("library")
    settings = load_settings(data_dir=data_dir, database_url=fresh_database_url(request, data_dir))
    store = open_store(settings.resolved_database_url)
    load_papers(store)
    update_indexes(store, settings)
    return create_app(settings, store)


@pytest.fixture(scope="session")
def client(indexed_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(indexed_app) as test_client:
        yield test_client


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    return load_settings(data_dir=with_migrated_database(request, tmp_path))


@pytest.fixture
def own_store(settings: Settings) -> PaperStore:
    """A store of the papers that one test may change (search indexes are not built)."""
    store = open_store(settings.resolved_database_url)
    load_papers(store)
    return store
