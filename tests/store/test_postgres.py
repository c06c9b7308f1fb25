"""PostgreSQL-specific behaviour, on a real server whatever backend the rest of the suite uses."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from papertide.config import load_settings
from papertide.errors import StoreError
from papertide.store import open_store
from papertide.store.db.engine import normalise_url
from papertide.store.db.schema import papers
from papertide.web.app import create_app
from tests.postgres import PostgresForTests
from tests.store.test_papers import make


def test_libpq_urls_use_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite:///x.db"


def test_concurrent_writers_get_distinct_change_numbers_in_commit_order(postgres: PostgresForTests) -> None:
    store = open_store(postgres.fresh_database(), pool_size=4)
    errors: list[Exception] = []

    def write(start: int) -> None:
        try:
            for batch in range(10):
                store.write_batch([make(f"2401.{start + batch * 10 + i:05d}") for i in range(10)])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n * 1000,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with store.engine.connect() as conn:
        seqs = conn.execute(select(papers.c.change_seq)).scalars().all()
    assert len(seqs) == 400
    assert len(set(seqs)) == 400  # no two papers share a number: an indexer following them misses none


def _backend_pid(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_dropped_connection_is_replaced_before_use(postgres: PostgresForTests) -> None:
    store = open_store(postgres.fresh_database(), pool_size=1)
    store.write_batch([make("2401.00001")])
    pooled = _backend_pid(store)  # the pooled connection now exists
    postgres.execute("SELECT pg_terminate_backend(%s, 10000)", (pooled,))  # waits until that backend is gone
    assert store.get("2401.00001") is not None
    assert _backend_pid(store) != pooled


def test_a_live_pooled_connection_is_kept(postgres: PostgresForTests) -> None:
    store = open_store(postgres.fresh_database(), pool_size=1)
    store.write_batch([make("2401.00001")])
    pooled = _backend_pid(store)
    assert store.get("2401.00001") is not None
    assert _backend_pid(store) == pooled


def test_an_unreachable_database_is_a_503_problem(tmp_path: Path) -> None:
    server = PostgresForTests(tmp_path / "pg")
    url = server.fresh_database()
    settings = load_settings(data_dir=tmp_path / "data", database_url=url, index_follow_s=0)
    store = open_store(url)
    client = TestClient(create_app(settings, store))
    assert client.get("/readyz").status_code == 200
    server.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Traceback" not in response.text
    with pytest.raises(StoreError):
        store.get("2401.00001")


def test_a_test_database_is_dropped_with_connections_still_open(postgres: PostgresForTests) -> None:
    with postgres.database_for_test() as url:
        store = open_store(url, pool_size=1)
        store.write_batch([make("2401.00001")])  # its pool keeps the connection open
        name = store.engine.url.database
    postgres.drop_retired()
    with postgres.admin() as conn:
        assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None
    with pytest.raises(StoreError):
        store.get("2401.00001")


@pytest.mark.parametrize("use", ["write", "read"])
def test_a_test_database_is_handed_on_only_if_no_session_opened_it(postgres: PostgresForTests, use: str) -> None:
    with postgres.database_for_test() as unopened:
        pass
    with postgres.database_for_test() as url:
        assert url == unopened  # never opened: the next test gets the same copy of the template
        store = open_store(url)
        if use == "write":
            store.write_batch([make("2401.00001")])
        else:
            assert store.count() == 0
        store.engine.dispose()
    with postgres.database_for_test() as after:
        assert after != url
        fresh = open_store(after)
        assert fresh.count() == 0
        fresh.engine.dispose()
