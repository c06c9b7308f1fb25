"""``update_indexes``: the lexical index and the vectors are brought up to date side by side."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.errors import StoreError
from papertide.ingest.pipeline import ingest
from papertide.search.lexical.index import LexicalIndex
from papertide.search.query import parse_query
from papertide.search.semantic.files import IndexBusy, VectorFiles
from papertide.search.semantic.index import vectors_dir
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore
from tests.search.topical_papers import topical_papers


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


def lexical_index(settings: Settings) -> LexicalIndex:
    return LexicalIndex.open(settings.index_dir / "lexical")


def test_both_indexes_catch_up_and_a_second_run_finds_nothing_new(store: PaperStore, settings: Settings) -> None:
    ingest(topical_papers(), store)
    report = update_indexes(store, settings)
    assert report.lexical == 12 and report.vectors is not None and report.vectors.vectors == 12
    assert lexical_index(settings).search(parse_query("graphs"), limit=5).hits
    again = update_indexes(store, settings)
    assert again.lexical == 0 and again.vectors is not None and again.vectors.vectors == 12


def test_a_busy_lexical_index_fails_the_update_after_the_vectors_are_done(
    store: PaperStore, settings: Settings
) -> None:
    ingest(topical_papers(), store)
    holder = lexical_index(settings)._index.writer()  # another process's writer holds tantivy's lock
    with pytest.raises(StoreError, match="lexical index"):
        update_indexes(store, settings)
    del holder
    report = update_indexes(store, settings)
    assert report.lexical == 12 and report.vectors is not None and report.vectors.embedded == 0  # kept from before


def test_a_busy_vector_index_fails_the_update_after_the_lexical_one_is_done(
    store: PaperStore, settings: Settings
) -> None:
    ingest(topical_papers(), store)
    with VectorFiles(vectors_dir(settings)).lock(), pytest.raises(IndexBusy):
        update_indexes(store, settings)
    assert lexical_index(settings).last_seq == store.max_change_seq()  # the lexical side finished anyway
    report = update_indexes(store, settings)
    assert report.lexical == 0 and report.vectors is not None and report.vectors.vectors == 12
