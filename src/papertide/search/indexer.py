"""The embedding job: vectors for the papers new or changed since the last run, batch by batch.

Each batch is committed (vectors and manifest) before the next is embedded, with the change_seq
it reached, so a killed run resumes where it stopped without losing or duplicating papers.
A changed paper whose title and abstract are unchanged (new categories, a re-imported snapshot)
keeps its vector instead of being embedded again: embedding is the slow part, about 100
abstracts a second on two cores. One whose indexed fields (text, categories, day) are all as
indexed (a new DOI or journal reference) is left as it is, so such changes never grow the index.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from papertide.config import Settings
from papertide.search.embed import Embedder, load_embedder
from papertide.search.paper_filter import day_number
from papertide.search.vectors import ANN_MIN_ROWS, VectorIndex, vectors_dir
from papertide.store.papers import PaperStore, StoredPaper

BATCH_SIZE = 256
# Rows after which a run saves the HNSW graph it is extending: a reader opening the index adds the
# rows the saved graph lacks, which for a long run would take it minutes (1M papers embed in hours).
SAVE_GRAPH_EVERY = 20_000
Progress = Callable[[int, int], None]  # (papers done, papers to do)


@dataclass(slots=True)
class IndexReport:
    """What one run of :func:`index_vectors` did."""

    embedded: int = 0  # papers whose text was embedded
    reused: int = 0  # changed papers whose text was not, so their vector was kept
    unchanged: int = 0  # changed papers whose indexed fields were not, so they were left as they were
    vectors: int = 0  # papers with a vector after the run
    rebuilt_because: str | None = None  # why every vector was discarded first, if it was
    ann: str | None = None  # "built" or "extended" when the HNSW graph was saved
    seconds: float = 0.0


def passage(title: str, abstract: str) -> str:
    """Title and abstract as the one passage a paper is embedded from (the embedder cuts it at its token limit)."""
    title = title.strip()
    if not abstract:
        return title
    return f"{title} {abstract}" if title.endswith((".", "?", "!")) else f"{title}. {abstract}"


def paper_text(paper: StoredPaper) -> str:
    """The passage a stored paper is embedded from."""
    return passage(paper.title, paper.abstract)


def text_digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def index_vectors(
    store: PaperStore,
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    progress: Progress | None = None,
    rebuild: bool = False,
    batch_size: int = BATCH_SIZE,
    ann_min_rows: int = ANN_MIN_ROWS,
) -> IndexReport:
    """Bring the vector index of ``settings`` up to date with ``store``: the one call behind ``papertide index``.

    ``embedder`` defaults to the configured one. ``progress`` is called after every committed
    batch. A model change (or ``rebuild``) re-embeds everything. Once the index holds
    ``ann_min_rows`` papers an HNSW graph is built (minutes at a million) and then extended.
    """
    started = time.perf_counter()
    embedder = embedder or load_embedder(settings.embedder, settings.embed_max_tokens)
    report = IndexReport()
    with VectorIndex.updating(vectors_dir(settings), embedder, rebuild=rebuild) as index:
        report.rebuilt_because = index.rebuilt_because
        total = store.count_changed(index.last_change_seq)
        done = 0
        for batch in _batches(store.iter_papers(index.last_change_seq), batch_size):
            _index_batch(index, embedder, batch, report)
            if index.unsaved_graph_rows >= SAVE_GRAPH_EVERY:
                report.ann = index.update_ann(ann_min_rows)
            done += len(batch)
            if progress is not None:
                progress(done, max(total, done))  # papers changed during the run come round again
        report.ann = index.update_ann(ann_min_rows) or report.ann
        report.vectors = len(index)
    report.seconds = time.perf_counter() - started
    return report


def _batches(stored: Iterator[StoredPaper], size: int) -> Iterator[list[StoredPaper]]:
    """``stored`` in lists of ``size`` (itertools.batched is Python 3.12+)."""
    while batch := list(islice(stored, size)):
        yield batch


def _index_batch(index: VectorIndex, embedder: Embedder, batch: Sequence[StoredPaper], report: IndexReport) -> None:
    texts = [paper_text(paper) for paper in batch]
    digests = [text_digest(text) for text in texts]
    same_text = [index.text_digest_of(paper.pk) == digest for paper, digest in zip(batch, digests, strict=True)]
    todo = [i for i, paper in enumerate(batch) if not (same_text[i] and _same_filter_fields(index, paper))]
    reused = [i for i in todo if same_text[i]]
    fresh = [i for i in todo if not same_text[i]]
    vectors = np.empty((len(batch), index.dim), dtype=np.float32)
    if fresh:
        vectors[fresh] = embedder.embed([texts[i] for i in fresh])
    if reused:
        vectors[reused] = index.vectors_of([batch[i].pk for i in reused])
    index.add(
        [batch[i].pk for i in todo],
        [day_number(batch[i].paper.submitted) for i in todo],
        [batch[i].paper.categories for i in todo],
        [digests[i] for i in todo],
        vectors[todo],
        last_change_seq=batch[-1].change_seq,  # committed even when every paper was left as it was
    )
    report.embedded += len(fresh)
    report.reused += len(reused)
    report.unchanged += len(batch) - len(todo)


def _same_filter_fields(index: VectorIndex, paper: StoredPaper) -> bool:
    """Whether the index holds this (indexed) paper with its current day and categories."""
    row = index.table.row_of(paper.pk)
    return (
        row is not None
        and int(index.table.days[row]) == day_number(paper.paper.submitted)
        and index.table.categories_of(row) == frozenset(paper.paper.categories)
    )
