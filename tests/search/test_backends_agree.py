"""The same corpus searched on SQLite and on PostgreSQL gives the same results in the same order."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.config import load_settings
from papertide.search.engine import SearchEngine
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from tests.postgres import PostgresForTests
from tests.web.corpus import load_papers

QUERIES = [
    "transformer attention", '"mixture of experts"', "author:Jiang", "cat:cs.CL language model", "video generation",
    "contrastive loss batch size -memory", "year:2024 diffusion", "",
]  # fmt: skip


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_results_are_the_same_on_both_backends(postgres: PostgresForTests, tmp_path: Path, mode: str) -> None:
    engines = []
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'lite.db'}"), ("postgresql", postgres.fresh_database())):
        store = open_store(url)
        load_papers(store)
        settings = load_settings(data_dir=tmp_path / name, database_url=url)
        update_indexes(store, settings)  # PostgreSQL: embedded into the database, then copied
        engines.append(SearchEngine.open(settings, store))
    for query in QUERIES:
        lite, pg = (engine.search(query, mode=mode, limit=20) for engine in engines)
        assert [(h.paper.paper_id, round(h.score, 5)) for h in lite.results] == [
            (h.paper.paper_id, round(h.score, 5)) for h in pg.results
        ], query
        assert lite.total == pg.total
