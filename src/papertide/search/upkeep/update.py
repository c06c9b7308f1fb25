"""One call that brings every search index up to date with the store (``papertide index``)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from papertide.config import Settings
from papertide.search.lexical.index import LexicalIndex
from papertide.search.upkeep.embedding_job import IndexReport, Progress, index_vectors
from papertide.store.papers.store import PaperStore


@dataclass(slots=True)
class IndexingReport:
    lexical: int
    vectors: IndexReport | None

    def describe(self) -> str:
        text = f"lexical index: {self.lexical} papers (re)indexed"
        if self.vectors is not None:
            v = self.vectors
            rate = f" ({v.embedded / v.seconds:.1f}/s)" if v.embedded and v.seconds else ""
            shipped = f" ({v.shipped} of them from the demo's shipped vectors)" if v.shipped else ""
            text += f"; vectors: {v.embedded} embedded{shipped}{rate}, {v.reused} reused, {v.unchanged} unchanged"
            if v.copied or v.waiting:
                text += f", {v.copied} from the database, {v.waiting} waiting for a worker to embed them"
            text += f", {v.vectors} in all"
            if v.rebuilt_because:
                text += f"; rebuilt because {v.rebuilt_because}"
            if v.ann:
                text += f"; ANN graph {v.ann}"
        return text


def update_indexes(
    store: PaperStore,
    settings: Settings,
    *,
    embed: bool = True,
    rebuild: bool = False,
    progress: Progress | None = None,
    embed_missing: bool = True,
) -> IndexingReport:
    """Index what changed since the last run: the lexical index and the embeddings side by side.

    They share nothing but the store. Lexical indexing is Python text analysis, on one core;
    embedding and building the HNSW graph run native threads that release the GIL, and copying
    vectors waits on the database. A new node over a million papers so catches up in about the
    longer of the two rather than their sum. ``embed_missing`` off: with the embeddings in the
    database, copy only what workers stored.
    """
    lexical = LexicalIndex.open(settings.index_dir / "lexical")
    if not embed:
        return IndexingReport(lexical.update_from(store), None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="papertide-lexical") as pool:
        lexical_done = pool.submit(lexical.update_from, store)
        vectors = index_vectors(store, settings, progress=progress, rebuild=rebuild, embed_missing=embed_missing)
        return IndexingReport(lexical_done.result(), vectors)
