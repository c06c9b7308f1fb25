"""Semantic retrieval over paper vectors: exact numpy search for small corpora, HNSW above a size.

Filters apply inside retrieval, never to a short list afterwards: the rows a filter allows form
a mask that exact search scores alone and the HNSW walk checks at every step (faiss
``IDSelectorBitmap``), so a filter that rules out the nearest papers still returns k allowed
ones. A filter allowing few rows (or a walk that met too few allowed rows) is searched exactly
instead, by a scan of the graph's fp16 vectors. Vectors are tied to the embedder's name and version: opening an
index another model built raises :class:`UnusableVectors`, and :meth:`VectorIndex.updating`
rebuilds it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from papertide.config import Settings
from papertide.search.paper_table import GrowableArray, PaperTable
from papertide.search.query import Filters
from papertide.search.semantic.ann import EF_SEARCH, MAX_EF_SEARCH, HnswIndex
from papertide.search.semantic.files import ROW, Manifest, UnusableVectors, VectorFiles

ANN_MIN_ROWS = 50_000  # below this many papers exact search is fast enough (about 5 ms) and exact
# A filter allowing at most this many rows is scanned exactly rather than walked. Measured at 1M
# (bench/ann_recall.py, search_speed.py): a scan costs ~1.5 ms plus up to 0.25 us an allowed row,
# a filtered walk at its widest (MAX_EF_SEARCH) ~10 ms; they break even near 35k rows.
SCAN_MAX_ROWS = 30_000
# Search width for a paper's own vector or a mean of several (similar papers, recommendations).
# Such queries lie among the papers, where a narrow walk finds nearly all neighbours: recall@10 at
# 1M (bench/ann_recall.py, neighbours row) is 0.961 / 0.972 / 0.981 at ef 64 / 128 / 256, taking
# 0.31 / 0.49 / 0.84 ms; on the search benchmark's corpus 0.999 already at 64. Typed queries,
# which lie off the papers' manifold, need EF_SEARCH.
EF_NEIGHBOURS = 128
_BLOCK = 65_536  # rows scored per matrix product, to bound temporary memory
# Scoring a gathered row costs about 15 times a row of a contiguous scan (measured at 38k rows), so
# exact search gathers the allowed rows only when they are fewer than 1 in 16.
GATHER_BELOW = 16
NO_FILTERS = Filters()


class VectorModel(Protocol):
    """What identifies the vectors an embedder makes
    (every :class:`~papertide.search.semantic.embed.Embedder` has it)."""

    name: str
    version: str
    dim: int


def vectors_dir(settings: Settings) -> Path:
    """Where the vector index of the configured database lives."""
    return settings.index_dir / "vectors"


@dataclass(frozen=True, slots=True)
class VectorHit:
    """A paper found by vector search; ``score`` is the cosine similarity to the query."""

    pk: int
    score: float


@dataclass(frozen=True, slots=True)
class VectorSet:
    """Some papers' vectors gathered once, for callers that score the same few papers many times."""

    pks: list[int]
    vectors: np.ndarray  # one row per pk


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest scores, highest first."""
    if k < len(scores):
        candidates = np.argpartition(-scores, k - 1)[:k]
        return candidates[np.argsort(-scores[candidates], kind="stable")]
    return np.argsort(-scores, kind="stable")


class VectorIndex:
    """The vectors of one index directory, searchable; writable when opened by :meth:`updating`.

    Once an HNSW graph exists, vectors are read from its fp16 copy rather than the float32 log,
    so scores of looked-up vectors agree with the graph's and the log stays out of memory.
    """

    def __init__(
        self, files: VectorFiles, manifest: Manifest, stamp: tuple[int, int], *, writable: bool, map_graph: bool = False
    ) -> None:
        self._files = files
        self._manifest = manifest
        self._stamp = stamp
        self._writable = writable
        rows = files.read_rows(manifest)
        self.table = PaperTable.from_columns(
            manifest.categories, rows["pk"], rows["day"], rows["n_categories"], files.read_category_ids(manifest)
        )
        self._digests = GrowableArray(np.uint64, rows["text_digest"])
        self._vectors = files.map_vectors(manifest)
        self._ann = self._saved_graph(mapped=map_graph and not writable)
        self._ann_saved_rows = 0 if self._ann is None else len(self._ann)
        if self._ann is not None and len(self._ann) < manifest.rows:  # rows committed since the graph was saved
            self._ann.add(self._vectors[len(self._ann) :])
        self.rebuilt_because: str | None = None

    def _saved_graph(self, *, mapped: bool) -> HnswIndex | None:
        """The saved HNSW graph, if any matches the manifest; ``mapped`` unless rows must be added to it."""
        path = self._files.ann_path
        if not path.exists():
            return None
        ann = HnswIndex.load(path, mapped=mapped)
        if ann.mapped and len(ann) < self._manifest.rows:
            ann = HnswIndex.load(path)  # a copy of its own, to add the rows committed since it was saved
        if len(ann) > self._manifest.rows:
            return None  # saved by a writer after this manifest was read: is_stale() says to open again
        return ann

    @classmethod
    def open(cls, directory: Path, model: VectorModel, *, map_graph: bool = False) -> VectorIndex:
        """Open for searching. A directory never indexed gives an empty index; one made by another model raises.

        ``map_graph``: map the HNSW graph's vectors from its file, shared with the node's other processes.
        """
        files = VectorFiles(directory)
        stamp = files.manifest_stamp()
        manifest = files.read_manifest()
        if manifest is None:
            manifest = Manifest(model.name, model.version, model.dim)
        elif not manifest.describes(model.name, model.version):
            raise UnusableVectors(
                f"the vectors in {directory} were made by {manifest.model} {manifest.version}, but the configured "
                f"embedder is {model.name} {model.version}; run `papertide index` to rebuild them"
            )
        return cls(files, manifest, stamp, writable=False, map_graph=map_graph)

    @classmethod
    @contextmanager
    def updating(cls, directory: Path, model: VectorModel, *, rebuild: bool = False) -> Iterator[VectorIndex]:
        """Open for appending under the writer lock, cutting off what a crashed writer left uncommitted.

        Vectors of another model or damaged files are discarded and the index starts empty
        (:attr:`rebuilt_because` says why), as does any index when ``rebuild`` is set.
        """
        files = VectorFiles(directory)
        with files.lock():
            reason = "a rebuild was asked for" if rebuild else None
            manifest = None
            try:
                manifest = files.read_manifest()
                if manifest is not None and not manifest.describes(model.name, model.version):
                    reason = f"the embedder changed from {manifest.model} {manifest.version}"
                if manifest is not None and reason is None:
                    files.cut_uncommitted(manifest)
            except UnusableVectors as exc:
                reason = exc.message
            if manifest is None or reason is not None:
                manifest = files.create(model.name, model.version, model.dim)
            index = cls(files, manifest, files.manifest_stamp(), writable=True)
            index.rebuilt_because = reason
            yield index

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        """How many papers have a vector."""
        return self.table.live_count

    @property
    def dim(self) -> int:
        return self._manifest.dim

    @property
    def last_change_seq(self) -> int:
        """The store's change_seq up to which every paper is indexed."""
        return self._manifest.last_change_seq

    @property
    def uses_ann(self) -> bool:
        return self._ann is not None

    @property
    def unsaved_graph_rows(self) -> int:
        """Rows added to the HNSW graph since it was last saved (readers add them again when they open)."""
        return 0 if self._ann is None else len(self._ann) - self._ann_saved_rows

    def is_stale(self) -> bool:
        """Whether a writer has committed since this index was opened (open it again to see that)."""
        return self._files.manifest_stamp() != self._stamp

    def vector_of(self, pk: int) -> np.ndarray | None:
        """The stored vector of a paper, or None if it has none."""
        row = self.table.row_of(pk)
        return None if row is None else self._vectors_at(np.array([row]))[0]

    def vectors_of(self, pks: Sequence[int]) -> np.ndarray:
        """The stored vectors of those of ``pks`` that have one, in that order."""
        return self._vectors_at(self.table.rows_of(pks))

    def with_vectors(self, pks: Sequence[int]) -> tuple[list[int], np.ndarray]:
        """Those of ``pks`` that have a vector, and their vectors: one gather, not a copy per paper."""
        keys = np.fromiter(pks, dtype=np.int64, count=len(pks))
        rows = self.table.rows_at(keys)
        found = rows >= 0
        return keys[found].tolist(), self._vectors_at(rows[found])

    def subset(self, pks: Sequence[int]) -> VectorSet:
        """:meth:`with_vectors` as a :class:`VectorSet`."""
        return VectorSet(*self.with_vectors(pks))

    def _vectors_at(self, rows: np.ndarray) -> np.ndarray:
        if self._ann is not None:
            return self._ann.vectors(rows)
        return np.asarray(self._vectors[rows])

    def text_digest_of(self, pk: int) -> int | None:
        """The digest of the text a paper's vector was made from, or None if it has none."""
        row = self.table.row_of(pk)
        return None if row is None else int(self._digests.values[row])

    def search(
        self,
        query: np.ndarray,
        k: int,
        filters: Filters = NO_FILTERS,
        *,
        exclude: Sequence[int] = (),
        ef: int = EF_SEARCH,
    ) -> list[VectorHit]:
        """The ``k`` papers most similar to ``query`` that pass ``filters``, best first, leaving out ``exclude`` (pks).

        Fewer than ``k`` come back only when fewer papers pass. ``ef`` is the HNSW search width
        without filters (see :data:`EF_NEIGHBOURS`).
        """
        if k <= 0 or not len(self.table):
            return []
        if exclude and filters.is_empty and self.table.live_count == len(self.table):
            # Leaving out a few papers (a paper's own neighbours) is no filter worth a mask of every row
            # and a walk twice as wide (below): walk unmasked for that many more and drop them.
            left_out = set(exclude)
            return [hit for hit in self.search(query, k + len(left_out), ef=ef) if hit.pk not in left_out][:k]
        query = np.asarray(query, dtype=np.float32)
        allowed = self._allowed(filters, exclude)
        count = len(self) if allowed is None else int(np.count_nonzero(allowed))
        if count == 0:
            return []
        if self._ann is None:
            scores, rows = self._exact(query, k, allowed)
        else:
            scores, rows = self._approximate(query, k, allowed, count, ef)
        return [VectorHit(int(pk), float(score)) for pk, score in zip(self.table.pks[rows], scores, strict=True)]

    def _approximate(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, count: int, ef: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """An HNSW walk, or an exact scan where the filter allows few rows or the walk came back short."""
        assert self._ann is not None
        if allowed is not None:
            if count <= SCAN_MAX_ROWS:
                return self._ann.scan(query, k, allowed)
            # The walk meets allowed rows in proportion to their share, so widen it as the share shrinks;
            # measured at 1M, a filtered walk needs about twice the width per allowed row for the same recall.
            ef = min(math.ceil(2 * ef * len(self.table) / count), MAX_EF_SEARCH)
        scores, rows = self._ann.search(query, k, allowed, ef)
        if len(rows) >= min(k, count):
            return scores, rows
        # A walk among allowed rows clustered away from the query can end short of k (measured at 1M:
        # 'grasping' under cat:stat.ML); the scan then costs ~10 ms where the float32 log took 50-500.
        return self._ann.scan(query, k, allowed)

    def _allowed(self, filters: Filters, exclude: Sequence[int]) -> np.ndarray | None:
        """A mask of the rows a search may return, or None for every row (all live, nothing left out)."""
        if filters.is_empty and not exclude and self.table.live_count == len(self.table):
            return None
        allowed = self.table.mask(filters)
        allowed[self.table.rows_of(exclude)] = False
        return allowed

    def _exact(self, query: np.ndarray, k: int, allowed: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None and np.count_nonzero(allowed) * GATHER_BELOW < len(allowed):
            rows = np.flatnonzero(allowed)
            scores = self._scores(query, rows)
        else:  # scanning every row beats gathering many scattered ones
            rows, scores = None, self._scores(query, None)
            if allowed is not None:
                scores[~allowed] = -np.inf
        top = top_k(scores, k)
        top = top[np.isfinite(scores[top])]
        return scores[top], top if rows is None else rows[top]

    def _scores(self, query: np.ndarray, rows: np.ndarray | None) -> np.ndarray:
        """Similarity of ``query`` to the given rows (all when None), a block at a time."""
        count = len(self._vectors) if rows is None else len(rows)
        scores = np.empty(count, dtype=np.float32)
        for start in range(0, count, _BLOCK):
            block = slice(start, start + _BLOCK)
            scores[block] = (self._vectors[block] if rows is None else self._vectors[rows[block]]) @ query
        return scores

    # -- writing ---------------------------------------------------------------------------

    def add(
        self, pks: Sequence[int], days: Sequence[int], categories: Sequence[Sequence[str]],
        text_digests: Sequence[int], vectors: np.ndarray, *, last_change_seq: int,
    ) -> None:  # fmt: skip
        """Commit vectors of papers indexed up to ``last_change_seq``; a paper's new vector replaces its old one."""
        if not self._writable:
            raise RuntimeError("this vector index was opened for reading; use VectorIndex.updating to write")
        category_counts, category_ids = self.table.encode(categories)
        self.table.append(pks, days, category_counts, category_ids)
        rows = np.empty(len(pks), dtype=ROW)
        rows["pk"], rows["day"], rows["n_categories"] = pks, days, category_counts
        rows["text_digest"] = np.asarray(text_digests, dtype=np.uint64)
        self._manifest = self._files.commit(
            self._manifest, rows, category_ids, vectors, self.table.vocabulary, last_change_seq
        )
        self._digests.extend(rows["text_digest"])
        self._vectors = self._files.map_vectors(self._manifest)
        if self._ann is not None:
            self._ann.add(vectors)

    def update_ann(self, min_rows: int = ANN_MIN_ROWS) -> str | None:
        """Save the HNSW graph: "built" once the index holds ``min_rows`` papers, "extended" with rows
        added since; None when there was nothing to do.
        """
        if self._ann is None:
            if len(self) < min_rows:
                return None
            self._ann = HnswIndex.empty(self._manifest.dim)
            self._ann.add(self._vectors)
            action = "built"
        elif len(self._ann) > self._ann_saved_rows:
            action = "extended"
        else:
            return None
        self._ann.save(self._files.ann_path)
        self._ann_saved_rows = len(self._ann)
        return action
