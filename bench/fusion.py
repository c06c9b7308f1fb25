"""Choosing the hybrid fusion by the mean over every collection, never by one.

Each query of each task (see ``eval_sets.py``) gets its production pool once, from
:meth:`SearchEngine.candidates`: the lexical and the semantic top 100, every candidate scored by
both (BM25 0 where it matches no word). Each candidate fusion below ranks the same pools, and
the table gives nDCG@10 and Recall@100 per task beside the mean over the BEIR collections and
over every task. ``papertide`` is what :func:`papertide.search.hybrid.fuse` does now::

    nice -n 5 .venv/bin/python bench/fusion.py [--collections ...] [--tasks known-item,abstract,prose]
        [--sample 500] [--corpus-size N] [--json out.json]
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
from eval_sets import CORPUS_TASKS, Task, beir_task, conference_papers, corpus_available, corpus_tasks, eval_folders
from quality import CachedEmbedder, build_engine, ndcg_at, recall_at

from papertide.search.embed import load_embedder
from papertide.search.engine import SearchEngine
from papertide.search.hybrid import fuse
from papertide.search.query import parse_query

Pool = tuple[dict[str, float], dict[str, float]]  # bm25, cosine of the same candidates, by paper id
Fusion = Callable[[dict[str, float], dict[str, float]], list[str]]


def _order(keys: list[str], fused: np.ndarray) -> list[str]:
    return [keys[i] for i in np.argsort(-fused, kind="stable")]


def _arrays(bm25: dict[str, float], cosine: dict[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    keys = list(cosine)
    return keys, np.array([bm25.get(k, 0.0) for k in keys]), np.array([cosine[k] for k in keys])


def min_max(x: np.ndarray) -> np.ndarray:
    spread = x.max() - x.min()
    return (x - x.min()) / spread if spread > 0 else np.zeros_like(x)


def z_score(x: np.ndarray) -> np.ndarray:
    return (x - x.mean()) / x.std() if x.std() > 0 else np.zeros_like(x)


def max_scaled(x: np.ndarray, floor: float) -> np.ndarray:
    """Theoretical min-max (Bruch et al. 2023): from the score's lowest possible value to the pool's highest."""
    spread = x.max() - floor
    return (x - floor) / spread if spread > 0 else np.zeros_like(x)


def convex(normalise: str, weight: float) -> Fusion:
    def fusion(bm25: dict[str, float], cosine: dict[str, float]) -> list[str]:
        keys, lexical, semantic = _arrays(bm25, cosine)
        if normalise == "minmax":
            lexical, semantic = min_max(lexical), min_max(semantic)
        elif normalise == "z":
            lexical, semantic = z_score(lexical), z_score(semantic)
        elif normalise == "log":  # min-max of log(1 + BM25): a few very high BM25 scores flatten the rest less
            lexical, semantic = min_max(np.log1p(lexical)), min_max(semantic)
        else:  # theoretical: BM25 from 0, cosine from -1
            lexical, semantic = max_scaled(lexical, 0.0), max_scaled(semantic, -1.0)
        return _order(keys, weight * lexical + (1 - weight) * semantic)

    return fusion


def rrf(k: int, weight: float = 0.5) -> Fusion:
    def fusion(bm25: dict[str, float], cosine: dict[str, float]) -> list[str]:
        keys, lexical, semantic = _arrays(bm25, cosine)
        lexical_rank = np.empty(len(keys))
        lexical_rank[np.argsort(-lexical, kind="stable")] = np.arange(len(keys))
        semantic_rank = np.empty(len(keys))
        semantic_rank[np.argsort(-semantic, kind="stable")] = np.arange(len(keys))
        fused = weight / (k + 1 + lexical_rank) * (lexical > 0) + (1 - weight) / (k + 1 + semantic_rank)
        return _order(keys, fused)

    return fusion


def production(bm25: dict[str, float], cosine: dict[str, float]) -> list[str]:
    return [pk for pk, _ in fuse(bm25, cosine)]


_WEIGHTS = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7)
FUSIONS: dict[str, Fusion] = {
    "papertide": production,
    **{f"rrf k={k}": rrf(k) for k in (10, 30, 60)},
    **{f"minmax w={w}": convex("minmax", w) for w in _WEIGHTS},
    **{f"z w={w}": convex("z", w) for w in _WEIGHTS},
    **{f"tmm w={w}": convex("tmm", w) for w in _WEIGHTS},
    **{f"log w={w}": convex("log", w) for w in (0.4, 0.45, 0.5)},
}


def pools(engine: SearchEngine, task: Task) -> dict[str, tuple[Pool, dict[str, int]]]:
    """Each judged query's pool, keyed by paper id, and its judgments."""
    vectors = engine.vectors
    assert vectors is not None
    paper_id = {paper.pk: paper.paper_id for paper in engine.store.iter_papers(chunk=10_000)}
    found = {}
    for query_id, relevant in task.qrels.items():
        pool = engine.candidates(parse_query(task.queries[query_id]), vectors)
        bm25 = {paper_id[pk]: score for pk, score in pool.bm25.items()}
        cosine = {paper_id[pk]: score for pk, score in pool.cosine.items()}
        found[query_id] = ((bm25, cosine), relevant)
    return found


def score(fusion: Fusion, task_pools: dict) -> dict[str, float]:
    ndcg, recall = [], []
    for (bm25, cosine), relevant in task_pools.values():
        ranked = fusion(bm25, cosine) if cosine else []  # a required phrase no paper holds: an empty pool
        ndcg.append(ndcg_at(ranked, relevant))
        recall.append(recall_at(ranked, relevant))
    return {"ndcg@10": round(float(np.mean(ndcg)), 4), "recall@100": round(float(np.mean(recall)), 4)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", help="BEIR folders, comma-separated (default: all; empty: none)")
    parser.add_argument("--tasks", default=",".join(CORPUS_TASKS), help="87k tasks, comma-separated (empty: none)")
    parser.add_argument("--sample", type=int, default=500, help="queries per 87k task")
    parser.add_argument("--corpus-size", type=int, help="use only the first N conference papers")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    names = None if args.collections is None else [n for n in args.collections.split(",") if n]
    embedder = load_embedder()
    results: dict[str, dict] = {}
    collections = []
    with tempfile.TemporaryDirectory(prefix="papertide-fusion-") as work:
        for folder in eval_folders():
            if names is not None and folder.name not in names:
                continue
            task = beir_task(folder)
            if task is None:
                continue
            print(f"{task.name}: building the store and indexes", flush=True)
            cached = CachedEmbedder(embedder, CACHE / f"{folder.name}-vectors")
            engine = build_engine(task.papers, Path(work) / folder.name, cached)
            task_pools = pools(engine, task)
            results[task.name] = {name: score(fusion, task_pools) for name, fusion in FUSIONS.items()}
            collections.append(task.name)
        corpus_names = tuple(t for t in args.tasks.split(",") if t)
        if corpus_names and corpus_available():
            papers = conference_papers(args.corpus_size)
            print(f"87k tasks over {len(papers)} papers: building the store and indexes", flush=True)
            cached = CachedEmbedder(embedder, CACHE / "known-item-vectors", read_also=[REAL])
            engine = build_engine(papers, Path(work) / "conference", cached)
            for task in corpus_tasks(papers, args.sample, corpus_names):
                task_pools = pools(engine, task)
                results[f"87k {task.name}"] = {name: score(fusion, task_pools) for name, fusion in FUSIONS.items()}
    report = {"tasks": results, "means": {}}
    if collections:
        report["means"]["mean, collections"] = _mean(results, collections)
    if len(results) > len(collections) and collections:
        report["means"]["mean, all tasks"] = _mean(results, list(results))
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
        print(f"\n{metric:<14}" + "".join(f"{name[:16]:>17}" for name in columns))
        for fusion in FUSIONS:
            print(f"{fusion:<14}" + "".join(f"{columns[name][fusion][metric]:>17.4f}" for name in columns))


if __name__ == "__main__":
    sys.exit(main())
