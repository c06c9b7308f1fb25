"""Choosing the hybrid fusion by the mean over every collection, never by one.

Each query of each task (see ``eval_sets.py``) gets its production pool once, from
:meth:`SearchEngine.candidates`: the lexical and the semantic top 100 (``--depth``), every
candidate scored by both (BM25 0 where it matches no word), with the query's vector, the
candidates' vectors and the number of words BM25 scores the query by. Each candidate fusion
below ranks the same pools, and the table gives nDCG@10 and Recall@100 per task beside the mean
over the BEIR collections and over every task, then the known-item task's share of titles found
first. ``papertide`` is what :func:`papertide.search.hybrid.fuse` does now::

    nice -n 5 .venv/bin/python bench/fusion.py [--collections ...] [--tasks known-item,abstract,prose]
        [--sample 500] [--known-item-sample 2000] [--depth 100] [--corpus-size N]
        [--long abstract,paragraph,pasted] [--long-sample 200] [--json out.json]

The long-query tasks (``eval_sets.long_tasks``) have their own mean, ``mean, long``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from corpus import CACHE, REAL
from eval_sets import (
    CORPUS_TASKS,
    LONG_KINDS,
    Task,
    beir_papers,
    beir_task,
    conference_papers,
    corpus_available,
    corpus_tasks,
    eval_folders,
    long_tasks,
)
from quality import CachedEmbedder, build_engine, ndcg_at, recall_at

from papertide.search.engine import POOL_DEPTH, SearchEngine
from papertide.search.hybrid import Candidates, fuse
from papertide.search.query import parse_query
from papertide.search.semantic.embed import load_embedder

Fusion = Callable[[Candidates], list[int]]


def _order(keys: list[int], fused: np.ndarray) -> list[int]:
    return [keys[i] for i in np.argsort(-fused, kind="stable")]


def _arrays(pool: Candidates, cosine: dict[int, float] | None = None) -> tuple[list[int], np.ndarray, np.ndarray]:
    cosine = pool.cosine if cosine is None else cosine
    keys = list(dict.fromkeys([*pool.bm25, *cosine]))
    floor = min(cosine.values(), default=0.0)
    return keys, np.array([pool.bm25.get(k, 0.0) for k in keys]), np.array([cosine.get(k, floor) for k in keys])


def min_max(x: np.ndarray) -> np.ndarray:
    spread = x.max() - x.min()
    return (x - x.min()) / spread if spread > 0 else np.zeros_like(x)


def z_score(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std() if x.std() > 0 else np.zeros_like(x)


def three_sigma(x: np.ndarray) -> np.ndarray:
    """Distribution-based score fusion (Qdrant's DBSF): mean - 3 std to mean + 3 std mapped to 0..1."""
    low, high = x.mean() - 3 * x.std(), x.mean() + 3 * x.std()
    return (x - low) / (high - low) if high > low else np.zeros_like(x)


def max_scaled(x: np.ndarray, floor: float) -> np.ndarray:
    """Theoretical min-max (Bruch et al. 2023): from the score's lowest possible value to the pool's highest."""
    spread = x.max() - floor
    return (x - floor) / spread if spread > 0 else np.zeros_like(x)


def _ranks(x: np.ndarray) -> np.ndarray:
    ranks = np.empty(len(x))
    ranks[np.argsort(-x, kind="stable")] = np.arange(len(x))
    return ranks


def _reciprocal_ranks(lexical: np.ndarray, semantic: np.ndarray, k: int, weight: float = 0.5) -> np.ndarray:
    return weight / (k + 1 + _ranks(lexical)) * (lexical > 0) + (1 - weight) / (k + 1 + _ranks(semantic))


Share = float | Callable[[int], float]  # a fixed lexical share, or one by the query's scored words


def by_length(at_9: float, per_doubling: float, floor: float = 0.2) -> Callable[[int], float]:
    """A lexical share that falls by ``per_doubling`` each time the query's scored words double (``floor``..0.7)."""
    return lambda words: float(np.clip(at_9 + per_doubling * np.log2(max(1, words) / 9), floor, 0.7))


def _normalised(normalise: str, lexical: np.ndarray, semantic: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if normalise == "minmax":
        return min_max(lexical), min_max(semantic)
    if normalise == "z":
        return z_score(lexical), z_score(semantic)
    if normalise == "3sigma":
        return three_sigma(lexical), three_sigma(semantic)
    if normalise == "log":  # min-max of log(1 + BM25): a few very high BM25 scores flatten the rest less
        return min_max(np.log1p(lexical)), min_max(semantic)
    return max_scaled(lexical, 0.0), max_scaled(semantic, -1.0)  # theoretical: BM25 from 0, cosine from -1


def convex(normalise: str, share: Share, rrf_term: float = 0.0, feedback: tuple[int, float] | None = None) -> Fusion:
    """``share`` x normalised BM25 + the rest x normalised cosine (+ ``rrf_term`` x min-max of RRF k 60).

    ``feedback`` = (k, weight): then the query vector moves toward the mean vector of the first
    ``k`` papers (that mean at unit length, times ``weight``), the cosines are computed again over
    the pool and the pool is fused again.
    """

    def fused(pool: Candidates, cosine: dict[int, float] | None = None) -> tuple[list[int], np.ndarray]:
        keys, lexical, semantic = _arrays(pool, cosine)
        weight = share(pool.words) if callable(share) else share
        lexical_n, semantic_n = _normalised(normalise, lexical, semantic)
        scores = weight * lexical_n + (1 - weight) * semantic_n
        if rrf_term:
            scores = scores + rrf_term * min_max(_reciprocal_ranks(lexical, semantic, 60))
        return keys, scores

    def fusion(pool: Candidates) -> list[int]:
        ranked = _order(*fused(pool))
        if feedback is None or not pool.vectors.pks:
            return ranked
        k, weight = feedback
        rows = [pool.vectors.pks.index(pk) for pk in ranked[:k] if pk in pool.vectors.pks]
        if not rows:
            return ranked
        mean = pool.vectors.vectors[rows].astype(np.float32).mean(axis=0)
        query = pool.query + weight * mean / np.linalg.norm(mean)
        query /= np.linalg.norm(query)
        return _order(*fused(pool, dict(zip(pool.vectors.pks, (pool.vectors.vectors @ query).tolist(), strict=True))))

    return fusion


def rrf(k: int, weight: float = 0.5) -> Fusion:
    def fusion(pool: Candidates) -> list[int]:
        keys, lexical, semantic = _arrays(pool)
        return _order(keys, _reciprocal_ranks(lexical, semantic, k, weight))

    return fusion


def production(pool: Candidates) -> list[int]:
    return [pk for pk, _ in fuse(pool)]


_WEIGHTS = (0.35, 0.4, 0.45, 0.5, 0.55)
FUSIONS: dict[str, Fusion] = {
    "papertide": production,
    **{f"rrf k={k}": rrf(k) for k in (10, 30, 60)},
    **{f"minmax w={w}": convex("minmax", w) for w in _WEIGHTS},
    **{f"z w={w}": convex("z", w) for w in (0.4, 0.45, 0.5)},
    **{f"3sigma w={w}": convex("3sigma", w) for w in (0.4, 0.45, 0.5)},
    **{f"tmm w={w}": convex("tmm", w) for w in (0.5, 0.6)},
    "log w=0.5": convex("log", 0.5),
    **{f"mm.45+{a}rrf": convex("minmax", 0.45, rrf_term=a) for a in (0.1, 0.2)},
    **{f"len {w}{s:+}": convex("minmax", by_length(w, s)) for w in (0.45, 0.475, 0.5) for s in (-0.1, -0.15)},
    "len z .475-0.1": convex("z", by_length(0.475, -0.1)),
    **{f"mm.45 fb1 {b}": convex("minmax", 0.45, feedback=(1, b)) for b in (0.5,)},
    **{
        f"len fb{k} {b}": convex("minmax", by_length(0.475, -0.1), feedback=(k, b))
        for k in (1, 2, 3)
        for b in (0.25, 0.5, 0.75, 1.0)
    },
    # Long queries (issue 25): the share's floor, with and without the first hit's feedback.
    **{
        f"floor {f} fb{k}": convex("minmax", by_length(0.475, -0.1, f), feedback=(k, 0.5) if k else None)
        for f in (0.3, 0.35, 0.4, 0.45)
        for k in (0, 1)
    },
}


def pools(engine: SearchEngine, task: Task, depth: int) -> dict[str, tuple[Candidates, dict[str, int]]]:
    """Each judged query's pool and its judgments (keyed by paper id)."""
    vectors = engine.vectors
    assert vectors is not None
    return {
        query_id: (engine.candidates(parse_query(task.queries[query_id]), vectors, depth), relevant)
        for query_id, relevant in task.qrels.items()
    }


def score(fusion: Fusion, task_pools: dict, paper_id: dict[int, str], task: Task) -> dict[str, float]:
    ndcg, recall, first = [], [], []
    for query_id, (pool, relevant) in task_pools.items():
        # A required phrase no paper holds: an empty pool.
        ranked = [paper_id[pk] for pk in fusion(pool)] if pool.cosine or pool.bm25 else []
        left_out = task.exclude.get(query_id, frozenset())
        ranked = [doc for doc in ranked if doc not in left_out]
        ndcg.append(ndcg_at(ranked, relevant))
        recall.append(recall_at(ranked, relevant))
        first.append(bool(ranked) and ranked[0] in relevant)
    return {
        "ndcg@10": round(float(np.mean(ndcg)), 4),
        "recall@100": round(float(np.mean(recall)), 4),
        "found_first": round(float(np.mean(first)), 4),
    }


def _scores(engine: SearchEngine, task: Task, depth: int) -> dict[str, dict]:
    paper_id = {paper.pk: paper.paper_id for paper in engine.store.iter_papers(chunk=10_000)}
    task_pools = pools(engine, task, depth)
    return {name: score(fusion, task_pools, paper_id, task) for name, fusion in FUSIONS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", help="BEIR folders, comma-separated (default: all; empty: none)")
    parser.add_argument("--tasks", default=",".join(CORPUS_TASKS), help="87k tasks, comma-separated (empty: none)")
    parser.add_argument("--sample", type=int, default=500, help="queries per 87k task")
    parser.add_argument("--known-item-sample", type=int, default=2000, help="titles searched for")
    parser.add_argument("--depth", type=int, default=POOL_DEPTH, help="candidates per retriever")
    parser.add_argument("--corpus-size", type=int, help="use only the first N conference papers")
    parser.add_argument("--long", default=",".join(LONG_KINDS), help="long-query kinds (empty: none)")
    parser.add_argument("--long-sample", type=int, default=200, help="queries per long-query task")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    kinds = tuple(kind for kind in args.long.split(",") if kind)
    names = None if args.collections is None else [n for n in args.collections.split(",") if n]
    embedder = load_embedder()
    results: dict[str, dict] = {}
    collections, long = [], []
    with tempfile.TemporaryDirectory(prefix="papertide-fusion-") as work:
        for folder in eval_folders():
            if names is not None and folder.name not in names:
                continue
            papers = beir_papers(folder)
            task = beir_task(folder)
            extra = long_tasks(folder, papers, kinds, args.long_sample) if kinds else []
            print(f"{folder.name}: building the store and indexes", flush=True)
            cached = CachedEmbedder(embedder, CACHE / f"{folder.name}-vectors")
            engine = build_engine(papers, Path(work) / folder.name, cached)
            if task is not None:
                results[task.name] = _scores(engine, task, args.depth)
                collections.append(task.name)
            for long_task in extra:
                results[long_task.name] = _scores(engine, long_task, args.depth)
                long.append(long_task.name)
        corpus_names = tuple(t for t in args.tasks.split(",") if t)
        if corpus_names and corpus_available():
            papers = conference_papers(args.corpus_size)
            print(f"87k tasks over {len(papers)} papers: building the store and indexes", flush=True)
            cached = CachedEmbedder(embedder, CACHE / "known-item-vectors", read_also=[REAL])
            engine = build_engine(papers, Path(work) / "conference", cached)
            for task in corpus_tasks(papers, args.sample, corpus_names):
                if task.name == "known-item" and args.known_item_sample != args.sample:
                    task = corpus_tasks(papers, args.known_item_sample, ("known-item",))[0]
                results[f"87k {task.name}"] = _scores(engine, task, args.depth)
    report = {"tasks": results, "means": {}}
    if collections:
        report["means"]["mean, collections"] = _mean(results, collections)
    if long:
        report["means"]["mean, long"] = _mean(results, long)
    if len(results) > len(collections) + len(long) and collections:
        report["means"]["mean, all tasks"] = _mean(results, [name for name in results if name not in long])
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def _mean(results: dict[str, dict], tasks: list[str]) -> dict:
    return {
        name: {m: round(float(np.mean([results[t][name][m] for t in tasks])), 4) for m in ("ndcg@10", "recall@100")}
        for name in FUSIONS
    }


def print_table(report: dict) -> None:
    columns = {**report["tasks"], **report["means"]}
    for metric in ("ndcg@10", "recall@100"):
        print(f"\n{metric:<16}" + "".join(f"{name[:16]:>17}" for name in columns))
        for fusion in FUSIONS:
            print(f"{fusion:<16}" + "".join(f"{columns[name][fusion][metric]:>17.4f}" for name in columns))
    for name, by_fusion in report["tasks"].items():
        if name.endswith("known-item"):
            print(f"\n{name}, found first (recall@1):")
            for fusion, result in by_fusion.items():
                print(f"{fusion:<16}{result['found_first']:>8.4f}")


if __name__ == "__main__":
    sys.exit(main())
