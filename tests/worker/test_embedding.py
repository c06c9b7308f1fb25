"""The worker's shared step: with the vectors in the database it embeds what waits, and only that."""

from __future__ import annotations

from pathlib import Path

from papertide.config import load_settings
from papertide.ingest.pipeline import ingest
from papertide.services import Services
from papertide.store import open_store
from papertide.store.papers.vectors import PaperVectorStore
from papertide.worker.runner import Worker
from tests.postgres import PostgresForTests
from tests.search.topical_papers import topical_papers
from tests.worker.test_daily import NoDigests, no_relay


def test_workers_embed_into_the_database_once(postgres: PostgresForTests, tmp_path: Path) -> None:
    url = postgres.fresh_database()
    store = open_store(url)
    ingest(topical_papers(), store)
    workers = [
        Worker(Services(load_settings(data_dir=tmp_path / n, database_url=url), store), NoDigests(), no_relay)
        for n in "ab"
    ]
    assert workers[0].embed_shared() == 12
    assert workers[1].embed_shared() == 0  # nothing left for the second
    model = f"{workers[0]._embedder.name}@{workers[0]._embedder.version}"
    assert PaperVectorStore(store.engine).count_pending(model) == 0


def test_with_vectors_kept_by_each_node_the_worker_embeds_nothing_into_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lite.db'}"
    store = open_store(url)
    ingest(topical_papers(), store)
    worker = Worker(Services(load_settings(data_dir=tmp_path, database_url=url), store), NoDigests(), no_relay)
    assert worker.embed_shared() == 0
