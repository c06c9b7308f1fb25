"""Retrieval quality through the production path, on every evaluation collection and on the 87k papers.

Each task (see ``eval_sets.py``: every BEIR folder of ``../shared/data/eval``, and the known-item,
abstract-as-query and prose-question tasks on the 87k conference papers) is ingested into a fresh
store, indexed lexically and embedded with the shipped embedder, and every query goes through
:meth:`SearchEngine.search` in each mode (100 results). Beside papertide's modes the same run
computes the plain baselines of ``baselines.py`` (bm25s, MiniLM exact search, their RRF) on the
same papers and vectors. Reported per task: nDCG@10 and Recall@100 (and for known-item search
the share of titles found first), then the mean over the BEIR collections and over every task.

Two groups are reported apart. The short group is each collection's own queries (a few words to
a sentence). The long group (``--long``, see ``eval_sets.long_tasks``) turns each collection's
judgments into queries of a paragraph or an abstract: a relevant document's text (as it is, inside
a question, or pasted with stray quotes, dashes, TeX and references) finding the query's other
relevant documents, the source itself left out of every ranking. Each group has its own mean.

Document vectors are cached under ``bench/.cache`` by text digest and model version (the 87k
papers' from ``bench/corpus.py embed``), so only a first run embeds (a few minutes for the BEIR
collections, about 50 minutes for the 87k papers on two cores); ``--corpus-size N`` limits the
87k tasks to the first N papers. Absent data is skipped with a message::

    nice -n 5 .venv/bin/python bench/quality.py [--collections scifact,cranfield,medline,npl]
        [--splits test] [--tasks known-item,abstract,prose] [--sample 500] [--known-item-sample 2000]
        [--corpus-size N] [--modes lexical,semantic,hybrid] [--long abstract,paragraph,pasted]
        [--long-sample 200] [--no-baselines] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
from baselines import Bm25Baseline, DenseBaseline, rrf
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

from papertide.config import Settings
from papertide.errors import QueryError
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.engine import MAX_LIMIT, SearchEngine
from papertide.search.lexical.index import LexicalIndex
from papertide.search.semantic.embed import Embedder, load_embedder
from papertide.search.semantic.index import VectorIndex
from papertide.search.upkeep.embedding_job import index_vectors, paper_text, text_digest
from papertide.store import open_store

MODES = ("lexical", "semantic", "hybrid")
BASELINES = ("bm25s", "minilm", "rrf")


class CachedEmbedder:
    """The shipped embedder behind vector caches keyed by text digest; new vectors go to ``write_to``.

    The caches are :class:`VectorIndex` directories, so one made by another model version is
    refused (and, for ``write_to``, rebuilt) rather than silently mixed in. Query vectors are
    remembered for the run, so each mode and baseline embeds a query once.
    """

    def __init__(self, embedder: Embedder, write_to: Path, read_also: Sequence[Path] = ()) -> None:
        self._embedder = embedder
        self.name, self.version, self.dim = embedder.name, embedder.version, embedder.dim
        self._write_to = write_to
        self._cached: dict[int, np.ndarray] = {}
        self._queries: dict[tuple[str, bool], np.ndarray] = {}
        for directory in (*read_also, write_to):
            if directory.exists():
                index = VectorIndex.open(directory, embedder)
                pks = index.table.pks[index.table.live]
                vectors = index.vectors_of(pks)
                self._cached.update(
                    (index.text_digest_of(int(pk)), vector) for pk, vector in zip(pks, vectors, strict=True)
                )
        self.embedded = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        digests = [text_digest(text) for text in texts]
        missing = list(
            {digest: text for digest, text in zip(digests, texts, strict=True) if digest not in self._cached}.items()
        )
        if missing:
            vectors = self._embedder.embed([text for _, text in missing])
            self._save([digest for digest, _ in missing], vectors)
            self._cached.update(zip((digest for digest, _ in missing), vectors, strict=True))
            self.embedded += len(missing)
        return np.stack([self._cached[digest] for digest in digests]) if texts else np.empty((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """The query's vector as papertide makes it (long text in chunks)."""
        key = (text, True)
        if key not in self._queries:
            self._queries[key] = self._embedder.embed_query(text)
        return self._queries[key]

    def embed_plain(self, text: str) -> np.ndarray:
        """The query's vector as the baseline makes it: one pass, cut at the model's token limit."""
        key = (text, False)
        if key not in self._queries:
            self._queries[key] = self._embedder.embed([text])[0]
        return self._queries[key]

    def _save(self, digests: list[int], vectors: np.ndarray) -> None:
        with VectorIndex.updating(self._write_to, self._embedder) as cache:
            first = cache.last_change_seq + 1
            pks = list(range(first, first + len(digests)))
            cache.add(pks, [0] * len(pks), [[]] * len(pks), digests, vectors, last_change_seq=pks[-1])


def build_engine(papers: Iterable[Paper], data_dir: Path, embedder: CachedEmbedder | None) -> SearchEngine:
    """A store, lexical index and (given an embedder) vector index in ``data_dir``, built as ``papertide`` does."""
    settings = Settings(data_dir=data_dir)
    store = open_store(settings.resolved_database_url)
    summary = ingest(papers, store, batch_size=5000)
    started = time.perf_counter()
    LexicalIndex.open(settings.index_dir / "lexical").update_from(store)
    lexical_s = time.perf_counter() - started
    rejected = f", {summary.rejected} rejected (no text at all)" if summary.rejected else ""
    print(f"  {summary.added} papers{rejected}; lexical index {lexical_s:.1f} s", flush=True)
    if embedder is not None:
        started = time.perf_counter()
        index_vectors(store, settings, embedder, batch_size=2048)
        seconds = time.perf_counter() - started
        print(f"  vectors {seconds:.1f} s ({embedder.embedded} embedded now, the rest cached)", flush=True)
    engine = SearchEngine.open(settings, store)
    if embedder is not None:
        engine.embedder = embedder  # queries embedded once per run, whatever the mode
    return engine


# -- metrics ---------------------------------------------------------------------------------


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """nDCG@k with linear gains, as BEIR's pytrec_eval computes it."""
    dcg = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(gain / math.log2(rank + 2) for rank, gain in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 100) -> float:
    positive = {doc for doc, gain in relevant.items() if gain > 0}
    return len(positive & set(ranked[:k])) / len(positive) if positive else 0.0


def ranked_ids(engine: SearchEngine, text: str, mode: str, limit: int = MAX_LIMIT) -> list[str] | None:
    """Paper ids the engine returns, or None when it refuses the query."""
    try:
        return [result.paper.paper_id for result in engine.search(text, mode=mode, limit=limit).results]
    except QueryError:
        return None


def scores(rankings: dict[str, list[str] | None], task: Task, seconds: float) -> dict:
    ndcg, recall, first, refused, empty = [], [], [], 0, 0
    for query_id, relevant in task.qrels.items():
        ranked = rankings[query_id]
        refused += ranked is None
        empty += ranked == []
        if ranked and (left_out := task.exclude.get(query_id)):
            ranked = [doc for doc in ranked if doc not in left_out]
        ndcg.append(ndcg_at(ranked or [], relevant))
        recall.append(recall_at(ranked or [], relevant))
        first.append(bool(ranked) and ranked[0] in relevant)
    return {
        "ndcg@10": round(float(np.mean(ndcg)), 4),
        "recall@100": round(float(np.mean(recall)), 4),
        "found_first": round(float(np.mean(first)), 4),
        "refused": refused,
        "empty": empty,
        "ms_per_query": round(1000 * seconds / max(1, len(rankings)), 2),
    }


# -- running a task ----------------------------------------------------------------------------


def run_task(task: Task, engine: SearchEngine, cached: CachedEmbedder | None, modes: Sequence[str], baselines: bool):
    """Every mode and baseline over the task's queries: ``{system: scores}``."""
    results = {}
    for mode in modes:
        started = time.perf_counter()
        rankings = {qid: ranked_ids(engine, task.queries[qid], mode) for qid in task.qrels}
        results[mode] = scores(rankings, task, time.perf_counter() - started)
    if baselines:
        results.update(baseline_scores(task, engine, cached))
    return results


def baseline_scores(task: Task, engine: SearchEngine, cached: CachedEmbedder | None) -> dict:
    stored = list(engine.store.iter_papers(chunk=10_000))
    ids = [paper.paper_id for paper in stored]
    started = time.perf_counter()
    bm25 = Bm25Baseline(ids, [task.baseline_text(paper.paper) for paper in stored])
    index_s = time.perf_counter() - started
    lexical = {qid: bm25.search(task.queries[qid]) for qid in task.qrels}
    results = {"bm25s": scores(lexical, task, time.perf_counter() - started - index_s)}
    if cached is not None:
        dense = DenseBaseline(ids, cached.embed([paper_text(paper) for paper in stored]))
        started = time.perf_counter()
        semantic = {qid: dense.search(cached.embed_plain(task.queries[qid])) for qid in task.qrels}
        results["minilm"] = scores(semantic, task, time.perf_counter() - started)
        fused = {qid: rrf(lexical[qid] or [], semantic[qid]) for qid in task.qrels}
        results["rrf"] = scores(fused, task, 0.0)
    return results


def beir(
    names: Sequence[str] | None, splits: Sequence[str], args: argparse.Namespace, embedder, work: Path
) -> tuple[dict, dict]:
    """The short-query results (each split's own queries) and the long-query ones (``eval_sets.long_tasks``)."""
    short, long = {}, {}
    folders = [folder for folder in eval_folders() if names is None or folder.name in names]
    if not folders:
        print("evaluation collections skipped: none found under ../shared/data/eval")
    for folder in folders:
        papers = beir_papers(folder)
        tasks = [task for split in splits if (task := beir_task(folder, split)) is not None]
        extra = long_tasks(folder, papers, tuple(args.long), args.long_sample) if args.long else []
        if not (tasks or extra):
            continue
        print(f"{folder.name}: building the store and indexes", flush=True)
        cached = CachedEmbedder(embedder, CACHE / f"{folder.name}-vectors") if _semantic(args) else None
        engine = build_engine(papers, work / folder.name, cached)
        for task, results in [*((task, short) for task in tasks), *((task, long) for task in extra)]:
            results[task.name] = run_task(task, engine, cached, args.modes, args.baselines)
            print_task(task.name, results[task.name])
    return short, long


def conference(names: Sequence[str], args: argparse.Namespace, embedder, work: Path) -> dict:
    if not names:
        return {}
    if not corpus_available():
        print("87k tasks skipped: ../shared/data/corpora is absent")
        return {}
    papers = conference_papers(args.corpus_size)
    print(f"87k tasks over {len(papers)} conference papers: building the store and indexes", flush=True)
    cached = CachedEmbedder(embedder, CACHE / "known-item-vectors", read_also=[REAL]) if _semantic(args) else None
    engine = build_engine(papers, work / "conference", cached)
    results = {}
    for task in corpus_tasks(papers, args.sample, tuple(names)):
        if task.name == "known-item" and args.known_item_sample != args.sample:
            task = corpus_tasks(papers, args.known_item_sample, ("known-item",))[0]
        label = f"87k {task.name}"
        results[label] = run_task(task, engine, cached, args.modes, args.baselines)
        print_task(label, results[label])
    return results


def _semantic(args: argparse.Namespace) -> bool:
    """Whether anything needs vectors (with ``--modes lexical`` the baselines are bm25s alone)."""
    return any(mode != "lexical" for mode in args.modes)


# -- reporting ---------------------------------------------------------------------------------


def means(results: dict[str, dict], tasks: Sequence[str]) -> dict:
    """Each system's mean nDCG@10 and Recall@100 over ``tasks`` (those that ran it)."""
    systems = [system for system in (*BASELINES, *MODES) if all(system in results[task] for task in tasks)]
    return {
        system: {
            metric: round(float(np.mean([results[task][system][metric] for task in tasks])), 4)
            for metric in ("ndcg@10", "recall@100")
        }
        for system in systems
    }


def print_task(name: str, by_system: dict) -> None:
    line = "  ".join(
        f"{system} {r['ndcg@10']:.3f}/{r['recall@100']:.3f}" for system, r in by_system.items() if "ndcg@10" in r
    )
    print(f"  {name}: nDCG@10/R@100  {line}", flush=True)


def long_means(results: dict[str, dict]) -> dict:
    """The long group's mean per collection (over its kinds) and over every long task."""
    collections = dict.fromkeys(name.split(" ")[0] for name in results)
    rows = {
        f"{collection} (mean of kinds)": means(results, [n for n in results if n.split(" ")[0] == collection])
        for collection in collections
    }
    rows[f"mean, long ({len(results)} tasks)"] = means(results, list(results))
    return rows


def print_tables(report: dict) -> None:
    for group, rows in (("short", {**report["tasks"], **report["means"]}), ("long", report.get("long", {}))):
        if not rows:
            continue
        systems = [s for s in (*BASELINES, *MODES) if any(s in r for r in rows.values())]
        for metric in ("ndcg@10", "recall@100"):
            print(f"\n{group + ' ' + metric:<30}" + "".join(f"{system:>9}" for system in systems))
            for name, by_system in rows.items():
                cells = "".join(f"{by_system[s][metric]:>9.4f}" if s in by_system else f"{'':>9}" for s in systems)
                print(f"{name:<30}{cells}")
    results = report["tasks"]
    for name, by_system in results.items():
        if name.endswith("known-item"):
            found = "  ".join(f"{s} {r['found_first']:.4f}" for s, r in by_system.items())
            print(f"\n{name}: found first (recall@1)  {found}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collections", help="BEIR folders to run, comma-separated (default: all; empty: none)")
    parser.add_argument("--splits", default="test", help="qrels splits, comma-separated (SciFact also has train)")
    parser.add_argument("--tasks", default=",".join(CORPUS_TASKS), help="87k tasks, comma-separated (empty: none)")
    parser.add_argument("--sample", type=int, default=500, help="queries per 87k task")
    parser.add_argument("--known-item-sample", type=int, default=2000, help="titles searched for")
    parser.add_argument("--corpus-size", type=int, help="use only the first N conference papers")
    parser.add_argument("--modes", default=",".join(MODES), help="search modes, comma-separated")
    parser.add_argument("--long", default=",".join(LONG_KINDS), help="long-query kinds per collection (empty: none)")
    parser.add_argument("--long-sample", type=int, default=200, help="queries per long-query task")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.modes = [mode for mode in args.modes.split(",") if mode]
    args.long = [kind for kind in args.long.split(",") if kind]
    collections = None if args.collections is None else [name for name in args.collections.split(",") if name]
    embedder = load_embedder()
    report: dict = {"embedder": embedder.version}
    with tempfile.TemporaryDirectory(prefix="papertide-quality-") as work:
        splits = [split for split in args.splits.split(",") if split]
        collection_results, long_results = (
            beir(collections, splits, args, embedder, Path(work)) if collections != [] else ({}, {})
        )
        corpus_results = conference([t for t in args.tasks.split(",") if t], args, embedder, Path(work))
    report["tasks"] = {**collection_results, **corpus_results}
    report["means"] = {}
    test_collections = [name for name in collection_results if "/" not in name]
    if test_collections:
        report["means"]["mean, short (collections)"] = means(report["tasks"], test_collections)
    if test_collections and corpus_results:
        report["means"]["mean, all tasks"] = means(report["tasks"], [*test_collections, *corpus_results])
    if long_results:
        report["long"] = {**long_results, **long_means(long_results)}
    print_tables(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
