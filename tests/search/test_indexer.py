"""The embedding job, with the real embedder on a tiny corpus: incremental, resumable, model-aware."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from papertide.config import Settings, load_settings
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.query import Filters
from papertide.search.semantic.ann import HnswIndex
from papertide.search.semantic.embed import Embedder, load_embedder
from papertide.search.semantic.files import UnusableVectors, VectorFiles
from papertide.search.semantic.index import VectorIndex, vectors_dir
from papertide.search.upkeep import embedding_job as indexer
from papertide.search.upkeep.embedding_job import index_vectors, passage
from papertide.store import PaperStore
from tests.search.topical_papers import topic_of, topical_papers


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Each node embeds for itself (the default on SQLite); test_shared_vectors.py covers the database's vectors."""
    return load_settings(data_dir=tmp_path, vectors_in_db=False)


def open_index(settings: Settings, embedder: Embedder) -> VectorIndex:
    return VectorIndex.open(vectors_dir(settings), embedder)


def test_every_paper_is_embedded_once_and_searchable(store: PaperStore, settings: Settings, embedder) -> None:
    ingest(topical_papers(), store)
    seen: list[tuple[int, int]] = []
    report = index_vectors(store, settings, embedder, progress=lambda done, total: seen.append((done, total)))
    assert (report.embedded, report.reused, report.vectors, report.rebuilt_because) == (12, 0, 12, None)
    assert seen == [(12, 12)]
    index = open_index(settings, embedder)
    assert index.last_change_seq == store.max_change_seq()
    hits = index.search(embedder.embed_query("message passing on graphs"), 4)
    assert {topic_of(p.paper_id) for p in store.get_many([hit.pk for hit in hits])} == {"graphs"}
    again = index_vectors(store, settings, embedder)
    assert (again.embedded, again.vectors) == (0, 12)


def test_the_text_embedded_is_title_then_abstract(store: PaperStore) -> None:
    ingest(topical_papers()[:1], store)
    paper = store.get("2401.00001")
    assert passage(paper.title, paper.abstract) == f"{paper.title}. {paper.abstract}"
    assert passage("Why? ", paper.abstract) == f"Why? {paper.abstract}"
    assert passage("Untitled no more", "") == "Untitled no more"


@pytest.fixture
def indexed(store: PaperStore, settings: Settings, embedder) -> list[Paper]:
    """The topical papers, stored and embedded."""
    papers = topical_papers()
    ingest(papers, store)
    index_vectors(store, settings, embedder)
    return papers


def test_a_changed_text_replaces_the_vector_and_a_metadata_change_reuses_it(
    indexed: list[Paper], store: PaperStore, settings: Settings, embedder
) -> None:
    papers = indexed
    pk = store.get(papers[0].id).pk
    rewritten = replace(papers[0], version=2, abstract="We entangle superconducting qubits in a quantum processor.")
    assert ingest([rewritten], store).updated == 1
    report = index_vectors(store, settings, embedder)
    assert (report.embedded, report.reused, report.vectors) == (1, 0, 12)
    stored = store.get(papers[0].id)
    expected = embedder.embed([passage(stored.title, stored.abstract)])[0]
    assert np.allclose(open_index(settings, embedder).vector_of(pk), expected, atol=1e-6)

    assert ingest([replace(rewritten, doi="10.1/x", categories=["quant-ph"])], store).updated == 1
    report = index_vectors(store, settings, embedder)
    assert (report.embedded, report.reused, report.vectors) == (0, 1, 12)
    index = open_index(settings, embedder)
    assert np.allclose(index.vector_of(pk), expected, atol=1e-6)
    assert pk in index.table.allowed_pks(Filters(categories_include=("quant-ph",))).tolist()
    assert pk not in index.table.allowed_pks(Filters(categories_include=("cs.LG",))).tolist()


def test_a_change_to_fields_the_index_does_not_hold_leaves_it_as_it_was(
    indexed: list[Paper], store: PaperStore, settings: Settings, embedder
) -> None:
    rows_before = len(open_index(settings, embedder).table)
    assert ingest([replace(indexed[0], doi="10.1/y", journal_ref="J. Tests 1 (2026)")], store).updated == 1
    report = index_vectors(store, settings, embedder)
    assert (report.embedded, report.reused, report.unchanged, report.vectors) == (0, 0, 1, 12)
    index = open_index(settings, embedder)
    assert len(index.table) == rows_before and index.last_change_seq == store.max_change_seq()
    assert index_vectors(store, settings, embedder).unchanged == 0  # and the next run has nothing to look at


def test_a_killed_run_resumes_after_its_last_batch(store: PaperStore, settings: Settings, embedder) -> None:
    ingest(topical_papers(), store)

    def killed(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        index_vectors(store, settings, embedder, progress=killed, batch_size=5)
    assert len(open_index(settings, embedder)) == 5
    report = index_vectors(store, settings, embedder, batch_size=5)
    assert (report.embedded, report.vectors) == (7, 12)
    index = open_index(settings, embedder)
    assert sorted(index.table.pks.tolist()) == sorted(p.pk for p in store.iter_papers())  # no duplicate rows


def test_a_model_change_re_embeds_everything(store: PaperStore, settings: Settings, embedder) -> None:
    ingest(topical_papers(), store)
    index_vectors(store, settings, embedder)
    shorter = load_embedder(max_tokens=128)
    assert shorter.version != embedder.version
    report = index_vectors(store, settings, shorter)
    assert report.rebuilt_because and embedder.version in report.rebuilt_because
    assert (report.embedded, report.vectors) == (12, 12)
    with pytest.raises(UnusableVectors):
        open_index(settings, embedder)


def test_the_graph_is_built_at_the_threshold_then_extended(store: PaperStore, settings: Settings, embedder) -> None:
    papers = topical_papers()
    ingest(papers[:8], store)
    assert index_vectors(store, settings, embedder, ann_min_rows=10).ann is None
    ingest(papers[8:10], store)
    assert index_vectors(store, settings, embedder, ann_min_rows=10).ann == "built"
    ingest(papers[10:], store)
    assert index_vectors(store, settings, embedder, ann_min_rows=10).ann == "extended"
    index = open_index(settings, embedder)
    assert index.uses_ann and len(index) == 12


def test_a_long_run_saves_the_graph_as_it_goes(
    store: PaperStore, settings: Settings, embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    papers = topical_papers()
    ingest(papers[:4], store)
    assert index_vectors(store, settings, embedder, ann_min_rows=1).ann == "built"
    ingest(papers[4:], store)
    monkeypatch.setattr(indexer, "SAVE_GRAPH_EVERY", 2)
    graph = VectorFiles(vectors_dir(settings)).ann_path
    saved_while_running = []

    def progress(done: int, total: int) -> None:
        if done < total:
            saved_while_running.append(len(HnswIndex.load(graph)))

    report = index_vectors(store, settings, embedder, ann_min_rows=1, batch_size=2, progress=progress)
    assert report.ann == "extended" and saved_while_running == [6, 8, 10]
    assert len(HnswIndex.load(graph)) == 12
