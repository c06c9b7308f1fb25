"""HNSW recall@10 against exact search at 1M vectors, unfiltered and under filters, and the graph's build time.

Every query is a paper title embedded by the production embedder and searched through
:meth:`VectorIndex.search`; the truth is an exact numpy search over the same stored vectors and
the same filter mask. A last row, ``neighbours``, asks for the neighbours of random stored papers
the way the paper page does (:func:`recommend.similar`, at width ``EF_NEIGHBOURS``). Targets:
recall@10 >= 0.95, graph build <= 20 minutes. Uses the cached index of ``bench/corpus.py``
(built on first use)::

    .venv/bin/python bench/ann_recall.py [--rows 1000000] [--queries 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from corpus import FILTERS, percentiles_ms, query_titles, synthetic_index

from papertide.search import recommend
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.files import VectorFiles
from papertide.search.semantic.index import VectorIndex, top_k

K = 10


def exact_top(vectors: np.ndarray, queries: np.ndarray, allowed: np.ndarray, k: int = K) -> list[set[int]]:
    """Rows of the exact top ``k`` of each query among the allowed rows."""
    scores = np.empty((len(queries), len(vectors)), dtype=np.float32)
    for start in range(0, len(vectors), 65_536):
        scores[:, start : start + 65_536] = queries @ vectors[start : start + 65_536].T
    scores[:, ~allowed] = -np.inf
    return [set(top_k(row, k).tolist()) for row in scores]


def neighbour_recall(index: VectorIndex, vectors: np.ndarray, count: int) -> dict:
    """Recall@10 and timing of :func:`recommend.similar` for random papers, against exact search."""
    rows = np.random.default_rng(1).choice(len(vectors), size=count, replace=False)
    everyone = np.ones(len(vectors), dtype=np.bool_)
    recalls, seconds = [], []
    for row, truth in zip(rows, exact_top(vectors, np.asarray(vectors[rows]), everyone, K + 1), strict=True):
        started = time.perf_counter()
        hits = recommend.similar(index, int(index.table.pks[row]), K)
        seconds.append(time.perf_counter() - started)
        found = {index.table.row_of(hit.pk) for hit in hits}
        recalls.append(len(found & (truth - {row})) / K)
    return {"allowed_share": 1.0, "recall_at_10": round(float(np.mean(recalls)), 4)} | percentiles_ms(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    embedder = load_embedder()
    directory, build = synthetic_index(embedder, args.rows)
    started = time.perf_counter()
    index = VectorIndex.open(directory, embedder)
    open_s = time.perf_counter() - started
    files = VectorFiles(directory)
    vectors = files.map_vectors(files.read_manifest())
    queries = embedder.embed(query_titles(args.queries, skip=50_000))  # titles of papers past the cached ones

    results = {}
    for name, filters in FILTERS.items():
        allowed = index.table.mask(filters)
        truth = exact_top(vectors, queries, allowed)
        recalls, seconds = [], []
        for query, expected in zip(queries, truth, strict=True):
            started = time.perf_counter()
            hits = index.search(query, K, filters)
            seconds.append(time.perf_counter() - started)
            found = {index.table.row_of(hit.pk) for hit in hits}
            recalls.append(len(found & expected) / max(1, min(K, len(expected))))
        share = float(allowed.mean())
        results[name] = {"allowed_share": round(share, 4), "recall_at_10": round(float(np.mean(recalls)), 4)}
        results[name] |= percentiles_ms(seconds)
        print(f"{name:>14}: {results[name]}")
    results["neighbours"] = neighbour_recall(index, vectors, args.queries)
    print(f"{'neighbours':>14}: {results['neighbours']}")
    report = {"rows": args.rows, "queries": len(queries), "build": build, "open_s": round(open_s, 2)}
    print(json.dumps(report))
    report["filters"] = results
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
