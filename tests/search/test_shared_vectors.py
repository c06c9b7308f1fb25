"""Embeddings in the database: workers embed each paper once, nodes copy them and never embed."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import delete

from papertide.config import load_settings
from papertide.ingest.pipeline import ingest
from papertide.search.semantic.embed import Embedder, load_embedder
from papertide.search.semantic.index import VectorIndex, vectors_dir
from papertide.search.upkeep.embedding_job import embed_pending, index_vectors, paper_text
from papertide.store import PaperStore, open_store
from papertide.store.db.schema import paper_vectors
from papertide.store.papers.vectors import PaperVectorStore
from tests.postgres import PostgresForTests
from tests.search.topical_papers import topic_of, topical_papers


class CountingEmbedder:
    """The real embedder, counting the texts it embeds (optionally slowly, to make workers overlap)."""

    def __init__(self, inner: Embedder, delay_s: float = 0.0, refuse: bool = False) -> None:
        self._inner, self._delay, self._refuse = inner, delay_s, refuse
        self.texts: list[str] = []
        self._lock = threading.Lock()

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def embed(self, texts):
        assert not self._refuse, "a node with the vectors in the database must not embed"
        time.sleep(self._delay)
        with self._lock:
            self.texts.extend(texts)
        return self._inner.embed(texts)


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder()


def drain(vectors: PaperVectorStore, embedder, batch_size: int = 64) -> tuple[int, int]:
    claimed = embedded = 0
    while True:
        c, e = embed_pending(vectors, embedder, batch_size)
        if not c:
            return claimed, embedded
        claimed, embedded = claimed + c, embedded + e


def node_settings(tmp_path: Path, name: str):
    return load_settings(data_dir=tmp_path / name, vectors_in_db=True)


def test_a_worker_embeds_once_and_a_node_copies_without_embedding(store: PaperStore, tmp_path: Path, embedder) -> None:
    ingest(topical_papers(), store)
    worker = CountingEmbedder(embedder)
    vectors = PaperVectorStore(store.engine)
    assert vectors.count_pending(f"{embedder.name}@{embedder.version}") == 12
    assert drain(vectors, worker) == (12, 12)
    assert drain(vectors, worker) == (0, 0)
    assert len(worker.texts) == 12
    node = node_settings(tmp_path, "node")
    report = index_vectors(store, node, CountingEmbedder(embedder, refuse=True), embed_missing=False)
    assert (report.copied, report.embedded, report.waiting, report.vectors) == (12, 0, 0, 12)
    index = VectorIndex.open(vectors_dir(node), embedder)
    hits = index.search(embedder.embed_query("message passing on graphs"), 4)
    assert {topic_of(p.paper_id) for p in store.get_many([hit.pk for hit in hits])} == {"graphs"}


def test_stored_vectors_read_back_exactly_in_change_order(store: PaperStore) -> None:
    ingest(topical_papers(), store)
    vectors = PaperVectorStore(store.engine)
    rng = np.random.default_rng(0)
    with vectors.claim("model@1", 3) as claim:
        saved = {p.pk: rng.normal(size=384).astype(np.float32) for p in claim.papers}
        claim.save([(p, -7, saved[p.pk]) for p in claim.papers])
    in_order = sorted(store.iter_papers(), key=lambda p: p.change_seq)
    changed = vectors.changed_since("model@1", 0, 100)
    assert [p.pk for p in changed] == [p.pk for p in in_order]
    for paper, stored in zip(changed, in_order, strict=True):
        assert (paper.change_seq, paper.submitted) == (stored.change_seq, stored.paper.submitted)
        assert paper.categories == stored.paper.categories
        assert paper.text is None  # current or missing: no text to compare
        if paper.pk not in saved:  # a paper without a vector
            assert paper.stored is None
            continue
        assert paper.stored.text_digest == -7 and paper.stored.vector.dtype == np.float32
        np.testing.assert_array_equal(paper.stored.vector, saved[paper.pk])
    assert all(paper.stored is None for paper in vectors.changed_since("other@1", 0, 100))
    page = vectors.changed_since("model@1", in_order[3].change_seq, 2)
    assert [p.pk for p in page] == [p.pk for p in in_order[4:6]]


def test_claims_go_on_from_where_the_last_reached_and_look_behind_before_giving_up(store: PaperStore, embedder) -> None:
    ingest(topical_papers(), store)
    vectors = PaperVectorStore(store.engine)
    model = f"{embedder.name}@{embedder.version}"
    assert embed_pending(vectors, embedder, batch_size=5) == (5, 5)
    in_order = sorted(store.iter_papers(), key=lambda p: p.change_seq)
    with store.engine.begin() as conn:  # the first paper's vector lost: pending again, behind the mark
        conn.execute(delete(paper_vectors).where(paper_vectors.c.paper_pk == in_order[0].pk))
    with vectors.claim(model, 3) as claim:
        assert [p.pk for p in claim.papers] == [p.pk for p in in_order[5:8]]  # not the first: past the mark
        claim.save([])  # released unembedded: pending again, behind the mark too
    assert drain(vectors, embedder) == (8, 8)  # 4 past the mark, then the 3 released and the first one
    assert vectors.count_pending(model) == 0
    assert all(paper.stored is not None for paper in vectors.changed_since(model, 0, 100))


def test_a_node_stops_at_the_first_paper_not_yet_embedded(store: PaperStore, tmp_path: Path, embedder) -> None:
    ingest(topical_papers(), store)
    vectors = PaperVectorStore(store.engine)
    embed_pending(vectors, embedder, batch_size=5)  # the five oldest changes only
    node = node_settings(tmp_path, "node")
    refusing = CountingEmbedder(embedder, refuse=True)
    first = index_vectors(store, node, refusing, embed_missing=False)
    assert (first.copied, first.waiting) == (5, 7)
    stamp = VectorIndex.open(vectors_dir(node), embedder).last_change_seq
    assert stamp == sorted(p.change_seq for p in store.iter_papers())[4]
    drain(vectors, embedder)
    second = index_vectors(store, node, refusing, embed_missing=False)
    assert (second.copied, second.waiting, second.vectors) == (7, 0, 12)


def test_index_embeds_what_is_missing_into_the_database_first(store: PaperStore, tmp_path: Path, embedder) -> None:
    ingest(topical_papers(), store)
    counting = CountingEmbedder(embedder)
    report = index_vectors(store, node_settings(tmp_path, "single"), counting)
    assert (report.embedded, report.copied, report.vectors) == (12, 12, 12)
    assert PaperVectorStore(store.engine).count_pending(f"{embedder.name}@{embedder.version}") == 0
    other = index_vectors(store, node_settings(tmp_path, "second"), CountingEmbedder(embedder, refuse=True))
    assert (other.embedded, other.copied) == (0, 12)  # a second node embeds nothing


def test_a_new_text_is_embedded_again_and_new_metadata_only_rechecked(store: PaperStore, embedder) -> None:
    papers = topical_papers()
    ingest(papers, store)
    vectors = PaperVectorStore(store.engine)
    drain(vectors, embedder)
    ingest([replace(papers[0], abstract=papers[0].abstract + " Revised."), replace(papers[1], doi="10.1/x")], store)
    counting = CountingEmbedder(embedder)
    assert drain(vectors, counting) == (2, 1)
    assert len(counting.texts) == 1 and counting.texts[0].endswith("Revised.")


def test_a_node_copies_a_vector_older_than_its_paper_only_while_the_text_is_the_same(
    store: PaperStore, tmp_path: Path, embedder
) -> None:
    papers = topical_papers()
    ingest(papers, store)
    vectors = PaperVectorStore(store.engine)
    drain(vectors, embedder)
    node, refusing = node_settings(tmp_path, "node"), CountingEmbedder(embedder, refuse=True)
    index_vectors(store, node, refusing, embed_missing=False)
    new_doi, new_text = papers[0].id, papers[1].id
    ingest([replace(papers[0], doi="10.1/x"), replace(papers[1], abstract=papers[1].abstract + " Revised.")], store)
    changed = {p.pk: p for p in vectors.changed_since(f"{embedder.name}@{embedder.version}", 0, 100)}
    for paper_id in (new_doi, new_text):  # no worker has checked either since: their text comes to be compared
        pk = store.get(paper_id).pk
        assert changed[pk].text == (store.get(paper_id).title, store.get(paper_id).abstract)
    report = index_vectors(store, node, refusing, embed_missing=False)
    assert (report.copied, report.waiting) == (0, 1)  # the DOI's paper went through; the new text waits
    assert report.unchanged == 1
    drain(vectors, embedder)
    report = index_vectors(store, node, refusing, embed_missing=False)
    assert (report.copied, report.waiting) == (1, 0)
    index = VectorIndex.open(vectors_dir(node), embedder)
    revised = index.vector_of(store.get(new_text).pk)
    expected = embedder.embed([paper_text(store.get(new_text))])[0]
    assert float(revised @ expected) > 0.99


def test_concurrent_workers_never_embed_a_paper_twice(postgres: PostgresForTests, embedder) -> None:
    store = open_store(postgres.fresh_database(), pool_size=4)
    ingest(topical_papers(), store)
    vectors = PaperVectorStore(store.engine)
    workers = [CountingEmbedder(embedder, delay_s=0.2) for _ in range(3)]
    threads = [threading.Thread(target=drain, args=(vectors, w, 2)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    embedded = [text for w in workers for text in w.texts]
    assert len(embedded) == 12 and len(set(embedded)) == 12
    assert sum(1 for w in workers if w.texts) >= 2  # the work was shared, not serialised behind one worker
    assert vectors.count_pending(f"{embedder.name}@{embedder.version}") == 0
