"""The embedding job: vectors for the papers new or changed since the last run, batch by batch.

Each batch is committed (vectors and manifest) before the next is embedded, with the change_seq
it reached, so a killed run resumes where it stopped without losing or duplicating papers.
A changed paper whose title and abstract are unchanged (new categories, a re-imported snapshot)
keeps its vector instead of being embedded again: embedding is the slow part, about 100
abstracts a second on two cores. One whose indexed fields (text, categories, day) are all as
indexed (a new DOI or journal reference) is left as it is, so such changes never grow the index.

Where the embeddings live in the database (PostgreSQL deployments, see
:mod:`papertide.store.papers.vectors`), workers embed with :func:`embed_pending` and every node's
:func:`index_vectors` takes the stored vectors instead of embedding: a new node catches up
without embedding anything, stopping at the first changed paper whose vector is not there yet.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

import numpy as np

from papertide.config import Settings
from papertide.search.paper_table import day_number
from papertide.search.semantic.embed import Embedder, load_embedder, model_key
from papertide.search.semantic.index import ANN_MIN_ROWS, VectorIndex, vectors_dir
from papertide.store.papers.store import PaperStore, StoredPaper
from papertide.store.papers.vectors import ChangedPaper, PaperVectorStore, signed_digest, unsigned_digest

BATCH_SIZE = 256
# Papers a node copies from the database per commit: nothing to embed, so a batch costs a query and
# a commit (fsyncs); at 1M papers 256 a batch spent more time committing than copying.
COPY_BATCH_SIZE = 4096
# Papers a worker claims at once when embedding into the database: about half a second of work on
# two cores, so a killed worker loses little and claims stay short.
CLAIM_SIZE = 64
# Rows after which a run saves the HNSW graph it is extending: a reader opening the index adds the
# rows the saved graph lacks, which for a long run would take it minutes (1M papers embed in hours).
SAVE_GRAPH_EVERY = 20_000
Progress = Callable[[int, int], None]  # (papers done, papers to do)


@dataclass(slots=True)
class IndexReport:
    """What one run of :func:`index_vectors` did."""

    embedded: int = 0  # papers whose text was embedded
    shipped: int = 0  # of those, the demo papers whose vector came from the demo's shipped file instead
    reused: int = 0  # changed papers whose text was not, so their vector was kept
    unchanged: int = 0  # changed papers whose indexed fields were not, so they were left as they were
    copied: int = 0  # papers whose vector came from the database (embedded once by a worker)
    waiting: int = 0  # changed papers whose database vector is not there yet: the next run takes them
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
    batch_size: int | None = None,
    ann_min_rows: int = ANN_MIN_ROWS,
    embed_missing: bool = True,
) -> IndexReport:
    """Bring the vector index of ``settings`` up to date with ``store``: the one call behind ``papertide index``.

    ``embedder`` defaults to the configured one, taking the demo papers' vectors from those shipped
    with the demo when that model made them (:mod:`papertide.search.upkeep.demo_vectors`). ``progress`` is called
    after every committed batch (``batch_size`` papers; by default :data:`BATCH_SIZE`, or
    :data:`COPY_BATCH_SIZE` when the vectors are copied from the database). A model change (or
    ``rebuild``) re-embeds everything. Once the index holds ``ann_min_rows`` papers an HNSW graph
    is built (minutes at a million) and then extended. With the embeddings in the database, papers
    without one are embedded there first (unless ``embed_missing`` is off: a node that leaves it to
    the workers), then copied.
    """
    from papertide.search.upkeep.demo_vectors import with_demo_vectors  # it imports this module

    started = time.perf_counter()
    embedder = embedder or with_demo_vectors(load_embedder(settings.embedder, settings.embed_max_tokens))
    shared = store.vectors if settings.vectors_in_database(store.backend) else None
    report = IndexReport()
    batch_size = batch_size or (BATCH_SIZE if shared is None else COPY_BATCH_SIZE)
    if shared is not None and embed_missing:
        _drain_pending(shared, embedder, report, progress)
    with VectorIndex.updating(vectors_dir(settings), embedder, rebuild=rebuild) as index:
        report.rebuilt_because = index.rebuilt_because
        total = store.count_changed(index.last_change_seq)
        done = 0
        if shared is None:
            changed = _batches(store.iter_papers(index.last_change_seq, activity=False), batch_size)
            steps = (_embed_batch(index, embedder, batch, report) for batch in changed)
        else:
            changed = _changed_batches(shared, model_key(embedder), index.last_change_seq, batch_size)
            steps = (_copy_batch(index, batch, report) for batch in changed)
        for indexed, complete in steps:
            if index.unsaved_graph_rows >= SAVE_GRAPH_EVERY:
                report.ann = index.update_ann(ann_min_rows)
            done += indexed
            if progress is not None:
                progress(done, max(total, done))  # papers changed during the run come round again
            if not complete:
                break
        report.ann = index.update_ann(ann_min_rows) or report.ann
        report.vectors = len(index)
    report.shipped = getattr(embedder, "known_used", 0)
    report.seconds = time.perf_counter() - started
    return report


def _batches(stored: Iterator[StoredPaper], size: int) -> Iterator[list[StoredPaper]]:
    """``stored`` in lists of ``size`` (itertools.batched is Python 3.12+)."""
    while batch := list(islice(stored, size)):
        yield batch


def _changed_batches(shared: PaperVectorStore, model: str, after_seq: int, size: int) -> Iterator[list[ChangedPaper]]:
    while batch := shared.changed_since(model, after_seq, size):
        yield batch
        after_seq = batch[-1].change_seq


@dataclass(frozen=True, slots=True)
class _Entry:
    """What the vector index keeps of a paper besides its vector."""

    pk: int
    change_seq: int
    day: int
    categories: Sequence[str]
    text_digest: int  # of the text its vector is made from (unsigned)


def _embed_batch(
    index: VectorIndex, embedder: Embedder, batch: Sequence[StoredPaper], report: IndexReport
) -> tuple[int, bool]:
    """Index ``batch``, embedding the papers whose text is new; (papers indexed, True)."""
    texts = [paper_text(paper) for paper in batch]
    entries = [
        _Entry(paper.pk, paper.change_seq, day_number(paper.paper.submitted), paper.paper.categories, text_digest(text))
        for paper, text in zip(batch, texts, strict=True)
    ]
    report.embedded += _add(index, entries, lambda fresh: embedder.embed([texts[i] for i in fresh]), report)
    return len(batch), True


def _copy_batch(index: VectorIndex, batch: Sequence[ChangedPaper], report: IndexReport) -> tuple[int, bool]:
    """Index ``batch`` with the vectors stored in the database, up to the first paper whose vector is not
    there yet; (papers indexed, whether that was all of them).

    A vector stored before its paper changed still serves if the text it was made from is the
    paper's text (new categories, a DOI): a node need not wait for a worker to check it.
    """
    usable: list[ChangedPaper] = []
    for paper in batch:
        stored = paper.stored
        if stored is None or (
            paper.text is not None and stored.text_digest != signed_digest(text_digest(passage(*paper.text)))
        ):
            report.waiting += len(batch) - len(usable)
            break
        usable.append(paper)
    if usable:
        entries = [
            _Entry(p.pk, p.change_seq, day_number(p.submitted), p.categories, unsigned_digest(p.stored.text_digest))
            for p in usable
        ]
        report.copied += _add(index, entries, lambda fresh: np.stack([usable[i].stored.vector for i in fresh]), report)
    return len(usable), len(usable) == len(batch)


def _add(
    index: VectorIndex, entries: Sequence[_Entry], vectors_of: Callable[[list[int]], np.ndarray], report: IndexReport
) -> int:
    """Commit ``entries`` to ``index``; ``vectors_of(positions)`` gives the vectors of those whose text is new.

    A paper whose text is unchanged keeps its vector; one whose day and categories are unchanged
    too is left as it is. Returns how many vectors were new.
    """
    same_text = [index.text_digest_of(entry.pk) == entry.text_digest for entry in entries]
    todo = [i for i, entry in enumerate(entries) if not (same_text[i] and _same_filter_fields(index, entry))]
    reused = [i for i in todo if same_text[i]]
    fresh = [i for i in todo if not same_text[i]]
    vectors = np.empty((len(entries), index.dim), dtype=np.float32)
    if fresh:
        vectors[fresh] = vectors_of(fresh)
    if reused:
        vectors[reused] = index.vectors_of([entries[i].pk for i in reused])
    index.add(
        [entries[i].pk for i in todo],
        [entries[i].day for i in todo],
        [entries[i].categories for i in todo],
        [entries[i].text_digest for i in todo],
        vectors[todo],
        last_change_seq=entries[-1].change_seq,  # committed even when every paper was left as it was
    )
    report.reused += len(reused)
    report.unchanged += len(entries) - len(todo)
    return len(fresh)


def embed_pending(vectors: PaperVectorStore, embedder: Embedder, batch_size: int = CLAIM_SIZE) -> tuple[int, int]:
    """A worker's step: embed one claimed batch of papers whose database vector is missing or stale.

    Returns (papers claimed, papers embedded); (0, 0) when nothing is left. A claimed paper whose
    text is unchanged keeps its vector and is only marked as checked.
    """
    with vectors.claim(model_key(embedder), batch_size) as claim:
        if not claim.papers:
            return 0, 0
        texts = [passage(p.title, p.abstract) for p in claim.papers]
        digests = [signed_digest(text_digest(text)) for text in texts]
        fresh = [i for i, p in enumerate(claim.papers) if p.stored_digest != digests[i]]
        embedded = dict(zip(fresh, embedder.embed([texts[i] for i in fresh]), strict=True)) if fresh else {}
        claim.save([(p, digests[i], embedded.get(i)) for i, p in enumerate(claim.papers)])
        return len(claim.papers), len(fresh)


def _drain_pending(
    vectors: PaperVectorStore, embedder: Embedder, report: IndexReport, progress: Progress | None
) -> None:
    """Embed into the database until no paper waits, sharing the work with any worker doing the same."""
    total = vectors.count_pending(model_key(embedder))
    done = 0
    while True:
        claimed, embedded = embed_pending(vectors, embedder)
        if not claimed:
            return
        done += claimed
        report.embedded += embedded
        if progress is not None:
            progress(done, max(total, done))


def _same_filter_fields(index: VectorIndex, entry: _Entry) -> bool:
    """Whether the index holds this (indexed) paper with its current day and categories."""
    row = index.table.row_of(entry.pk)
    return (
        row is not None
        and int(index.table.days[row]) == entry.day
        and index.table.categories_of(row) == frozenset(entry.categories)
    )
