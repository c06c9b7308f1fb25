"""papertide beside LanceDB over the same papers and the same vectors, timed in one run (issue 27).

The 87,691 conference papers as built by search_speed.py (``bench/.cache/search-87k``: store,
tantivy index, vectors with their HNSW graph) and a LanceDB table of the same papers (title +
abstract as one text column with LanceDB's own full-text index, and the very vectors papertide
holds, with an ``IVF_HNSW_SQ`` index), built once under ``bench/.cache/lancedb-87k``. Every
timed call embeds its query with the shipped model (papertide's query-embedding cache is off), so
the embedding is inside both sides' times.

- papertide: ``SearchEngine.search`` end to end in each mode (top 20 hydrated from SQLite,
  highlighted), and the lexical retriever alone plus hydrating its 20 papers (the issue's
  "retriever + hydration" that a lexical search should stay within 2x of);
- LanceDB: hybrid (vector + FTS, its default RRF reranker), vector search (indexed, and flat), FTS;
  ids only, which is less work than papertide's pages;
- recall@10 of each vector search against exact search over the same vectors (numpy).

Query classes as search_speed.py makes them: ``common`` (1-2 very common words), ``topic`` (2-4
title words), ``long`` (5-6 title words), ``sentence`` (20-25 words of an abstract)::

    .venv/bin/python bench/peers.py [--queries 100] [--rounds 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import search_speed
from corpus import CACHE, corpus_or_exit

from papertide.search.engine import SearchEngine
from papertide.search.query import parse_query
from papertide.store import PaperStore, open_store

if TYPE_CHECKING:
    from lancedb.table import Table

CLASSES = ("common", "topic", "long", "sentence")
TABLE = "papers"
LANCE_DIR = CACHE / "lancedb-87k"
# LanceDB's vector index: HNSW inside IVF partitions with scalar-quantised vectors, its closest to papertide's.
LANCE_INDEX = {"metric": "cosine", "index_type": "IVF_HNSW_SQ"}


def lance_table(engine: SearchEngine, store: PaperStore) -> Table:
    """The LanceDB table of the store's papers and their vectors (built once; minutes)."""
    import lancedb
    import pyarrow as pa

    db = lancedb.connect(str(LANCE_DIR))
    if TABLE in db.list_tables().tables:
        return db.open_table(TABLE)
    print(f"building the LanceDB table in {LANCE_DIR} (once)", flush=True)
    vectors = engine.vectors
    assert vectors is not None
    started = time.perf_counter()
    pks, texts = [], []
    for paper in store.iter_papers(chunk=10_000, activity=False):
        pks.append(paper.pk)
        texts.append(f"{paper.paper.title} {paper.paper.abstract}")
    found, rows = vectors.with_vectors(pks)
    text_of = dict(zip(pks, texts, strict=True))
    flat = pa.array(np.asarray(rows, dtype=np.float32).ravel())
    data = pa.table({
        "pk": pa.array(found, pa.int64()),
        "text": pa.array([text_of[pk] for pk in found]),
        "vector": pa.FixedSizeListArray.from_arrays(flat, rows.shape[1]),
    })  # fmt: skip
    table = db.create_table(TABLE, data)
    table.create_fts_index("text")
    table.create_index(**LANCE_INDEX)
    print(f"  built in {time.perf_counter() - started:.1f} s ({len(found)} rows)", flush=True)
    return table


def timed(calls: list[Callable[[], object]], rounds: int) -> dict[str, float]:
    return search_speed.percentiles(search_speed.timed_calls(calls, rounds))


def recall_at_10(found: list[list[int]], scores: np.ndarray, row_of: dict[int, int]) -> float:
    """Share of the 10 found that score at least the exact 10th best: many papers share a vector (the
    copies that borrow one where too few are embedded), so any of a tied group is as right as another."""
    tenth = -np.sort(-scores, axis=1)[:, 9]
    found_scores = [scores[q, [row_of[pk] for pk in pks[:10]]] for q, pks in enumerate(found)]
    shares = [float(np.sum(s >= t - 1e-6)) / 10 for s, t in zip(found_scores, tenth, strict=True)]
    return round(statistics.mean(shares), 4)


def measure(args: argparse.Namespace) -> dict:
    titles, abstracts = [], []
    for record in search_speed.records():
        titles.append(record["title"])
        abstracts.append(" ".join((record.get("abstract") or "").split()))
    settings, facts = search_speed.build("87k", len(titles))
    store = open_store(settings.resolved_database_url)
    engine = SearchEngine.open(settings, store)  # the build's settings keep no query embeddings
    vectors, embedder = engine.vectors, engine.embedder
    assert vectors is not None and embedder is not None
    table = lance_table(engine, store)
    mix = search_speed.query_mix(titles, abstracts, args.queries)
    every_pk = np.asarray(vectors.table.pks)
    everything = vectors.vectors_of(every_pk.tolist()).astype(np.float32)
    row_of = {int(pk): row for row, pk in enumerate(every_pk)}
    report: dict = {"papers": facts["papers"], "latency_ms": {}, "recall_at_10": {}}

    def lexical_retriever_and_hydration(text: str) -> None:
        hits = engine.lexical.search(parse_query(text), limit=20)
        store.get_many([pk for pk, _ in hits.hits])

    def lance(text: str, kind: str) -> list[int]:
        if kind == "fts":
            query = table.search(text, query_type="fts")
        else:
            vector = embedder.embed_query(text)
            if kind == "hybrid":
                query = table.search(query_type="hybrid").vector(vector).text(text)
            else:
                query = table.search(vector)
                if kind == "vector flat":
                    query = query.bypass_vector_index()
        return query.select(["pk"]).limit(20).to_arrow()["pk"].to_pylist()

    for cls in CLASSES:
        texts = mix[cls]
        lat = report["latency_ms"]
        for mode in ("lexical", "semantic", "hybrid"):
            calls = [lambda t=t, m=mode: engine.search(t, mode=m) for t in texts]
            lat[f"{cls}/papertide {mode}"] = timed(calls, args.rounds)
        lat[f"{cls}/papertide lexical retriever + hydration"] = timed(
            [lambda t=t: lexical_retriever_and_hydration(t) for t in texts], args.rounds
        )
        lat[f"{cls}/papertide semantic retriever"] = timed(
            [lambda t=t: vectors.search(embedder.embed_query(t), 20) for t in texts], args.rounds
        )
        for kind in ("hybrid", "vector", "vector flat", "fts"):
            lat[f"{cls}/LanceDB {kind}"] = timed([lambda t=t, k=kind: lance(t, k) for t in texts], args.rounds)
        # Recall of each vector search against exact search over the same vectors.
        queries = np.vstack([embedder.embed_query(t) for t in texts])
        scores = queries @ everything.T
        ours = [[hit.pk for hit in vectors.search(q, 10)] for q in queries]
        lancedb = [lance(t, "vector")[:10] for t in texts]
        report["recall_at_10"][cls] = {
            "papertide": recall_at_10(ours, scores, row_of), "LanceDB": recall_at_10(lancedb, scores, row_of)
        }
    return report


def print_report(report: dict) -> None:
    print(f"\n{report['papers']} papers; p50 / p95 / p99 ms")
    for key, numbers in report["latency_ms"].items():
        print(f"  {key:<52} {numbers['p50']:>8} {numbers['p95']:>8} {numbers['p99']:>8}")
    print("recall@10 against exact search:", json.dumps(report["recall_at_10"]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="queries per class")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    corpus_or_exit()
    report = measure(args)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
