"""Approximate nearest neighbours: a faiss HNSW graph over fp16-quantised vectors.

Parameters measured by bench/ann_recall.py at 1M x 384 (vectors mixed from real embeddings):
M=16 with efConstruction=40 reached only recall@10 0.95 at efSearch=1024; M=32 with
efConstruction=80 builds in 3-6 minutes on two shared cores and reaches 0.97 at efSearch=256
(0.7 ms a query). Ids in the graph are row numbers of the vector log (rows are added in order
and never removed), so the caller maps rows to papers and hides superseded rows with a mask.

The graph's fp16 copy of the vectors also serves exact search (:meth:`HnswIndex.scan`) and
vector lookups (:meth:`HnswIndex.vectors`), so a process searching a large index never pages
in the float32 vector log: at 1M papers that keeps 1.5 GB out of memory. A reader may map that
copy from the saved file instead of reading it (0.77 GB at 1M): the processes of one node then
share its pages, and opening the graph takes 0.06 s instead of 0.9. Walks that visit many nodes
(a filtered search) have a slower tail over mapped pages, so only a node serving from several
processes maps it (``Settings.map_vector_graph``).
"""

from __future__ import annotations

import os
from pathlib import Path

import faiss
import numpy as np

M = 32  # graph neighbours per node
EF_CONSTRUCTION = 80
EF_SEARCH = 256
MAX_EF_SEARCH = 4096
_ADD_CHUNK = 65_536  # rows added per faiss call, to bound the float32 copies of a memory-mapped log


class HnswIndex:
    """An HNSW graph whose ids are row numbers ``0..len-1``."""

    def __init__(self, index: faiss.Index, *, mapped: bool = False) -> None:
        self._index = index
        self.mapped = mapped  # the vectors are a read-only view of the saved file: the graph cannot grow

    @classmethod
    def empty(cls, dim: int) -> HnswIndex:
        index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_fp16, M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = EF_CONSTRUCTION
        index.is_trained = True  # fp16 quantisation has nothing to learn
        return cls(index)

    @classmethod
    def load(cls, path: Path, *, mapped: bool = False) -> HnswIndex:
        """Read the graph from ``path``; ``mapped``: map its vectors from the file rather than copy them.

        A mapping stays valid when :meth:`save` replaces the file, which is renamed over, never rewritten.
        """
        if mapped:
            return cls(faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC), mapped=True)
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write the graph atomically: readers see the old file or the new one, never half of one."""
        partial = path.with_name(path.name + ".partial")
        faiss.write_index(self._index, str(partial))
        os.replace(partial, path)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def add(self, vectors: np.ndarray) -> None:
        """Add rows ``len(self)..len(self)+len(vectors)-1``."""
        if self.mapped:  # faiss would abort the process
            raise ValueError("a graph whose vectors are mapped from its file cannot grow; load a copy")
        for start in range(0, len(vectors), _ADD_CHUNK):
            self._index.add(np.ascontiguousarray(vectors[start : start + _ADD_CHUNK], dtype=np.float32))

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, ef: int = EF_SEARCH
    ) -> tuple[np.ndarray, np.ndarray]:
        """Scores and rows of the ``k`` best rows, best first; only rows ``allowed`` (a bool mask) when given.

        Fewer than ``k`` come back when the graph walk meets fewer allowed rows.
        """
        params = faiss.SearchParametersHNSW(efSearch=max(k, min(ef, MAX_EF_SEARCH)))
        return self._search(self._index, query, k, allowed, params)

    def scan(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`search` made exact: every allowed row's fp16 vector is scored. Measured at 1M rows:
        about 1.5 ms plus up to 0.25 us an allowed row (less when the allowed rows are bunched).
        """
        storage = faiss.downcast_index(self._index.storage)
        return self._search(storage, query, k, allowed, faiss.SearchParameters())

    @staticmethod
    def _search(
        index: faiss.Index, query: np.ndarray, k: int, allowed: np.ndarray | None, params: faiss.SearchParameters
    ) -> tuple[np.ndarray, np.ndarray]:
        if allowed is not None:
            bits = np.packbits(allowed, bitorder="little")  # a local, so it outlives the search below
            selector = faiss.IDSelectorBitmap(len(bits), faiss.swig_ptr(bits))  # n counts bytes
            params.sel = selector
        scores, rows = index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k, params=params)
        found = rows[0] >= 0
        return scores[0][found], rows[0][found]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of ``rows`` as the graph stores them (fp16, returned as float32).

        Gathered from a view of the stored codes (IEEE half floats), taken anew on each call as
        :meth:`add` may move them: faiss's ``reconstruct_batch`` decodes row by row, 0.3 ms for
        a hybrid search's ~200 candidates at 1M where the gather takes a tenth of that.
        """
        rows = np.asarray(rows, dtype=np.int64)
        storage = faiss.downcast_index(self._index.storage)
        codes = faiss.rev_swig_ptr(storage.codes.data(), storage.codes.size())
        return codes.view(np.float16).reshape(-1, self.dim)[rows].astype(np.float32)
