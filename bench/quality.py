"""Retrieval quality through the production path: SciFact nDCG@10 / Recall@100, and known-item search.

SciFact (BEIR format, ``../shared/data/eval/scifact``) is ingested into a fresh store as papers
``scifact:<_id>``, indexed lexically and embedded with the shipped embedder (vectors are cached
under ``bench/.cache`` by text digest and model version, so only the first run pays ~3 minutes),
and every query goes through :meth:`SearchEngine.search` in each mode. Known-item search types
each sampled title of the 87k conference papers (``../shared/data/corpora``) and counts how often
that paper comes first (a paper with the very same title counts too: some titles repeat).
Its vectors come from ``bench/corpus.py embed``'s cache where it has them and are embedded
otherwise (about 50 minutes for all on two cores); ``--known-item-corpus N`` limits the corpus
to its first N papers, and with ``--modes lexical`` nothing is embedded. Data that is
absent is skipped with a message; nothing from it is copied into the repository::

    .venv/bin/python bench/quality.py [--splits test,train] [--modes lexical,semantic,hybrid]
        [--known-item-sample 2000] [--known-item-corpus N] [--skip-known-item] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
from corpus import CACHE, CORPUS, REAL, corpus_records, record_authors

from papertide.config import Settings
from papertide.errors import QueryError
from papertide.ingest import ingest
from papertide.model import Paper
from papertide.search.embed import Embedder, load_embedder
from papertide.search.engine import MAX_LIMIT, SearchEngine
from papertide.search.indexer import index_vectors, text_digest
from papertide.search.lexical import LexicalIndex
from papertide.search.vectors import VectorIndex
from papertide.store import open_store
from papertide.text import fold

HERE = Path(__file__).resolve().parent
SHARED = HERE.parents[1] / "shared" / "data"
SCIFACT = SHARED / "eval" / "scifact"
MODES = ("lexical", "semantic", "hybrid")


class CachedEmbedder:
    """The shipped embedder behind vector caches keyed by text digest; new vectors go to ``write_to``.

    The caches are :class:`VectorIndex` directories, so one made by another model version is
    refused (and, for ``write_to``, rebuilt) rather than silently mixed in.
    """

    def __init__(self, embedder: Embedder, write_to: Path, read_also: Sequence[Path] = ()) -> None:
        self._embedder = embedder
        self.name, self.version, self.dim = embedder.name, embedder.version, embedder.dim
        self._write_to = write_to
        self._cached: dict[int, np.ndarray] = {}
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
        return self._embedder.embed_query(text)

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
    print(f"  {summary.added} papers; lexical index {lexical_s:.1f} s", flush=True)
    if embedder is not None:
        started = time.perf_counter()
        index_vectors(store, settings, embedder, batch_size=2048)
        seconds = time.perf_counter() - started
        print(f"  vectors {seconds:.1f} s ({embedder.embedded} embedded now, the rest cached)", flush=True)
    return SearchEngine.open(settings, store)


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


# -- SciFact -----------------------------------------------------------------------------------


def scifact_papers() -> Iterator[Paper]:
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            yield Paper(id=f"scifact:{doc['_id']}", title=doc["title"], abstract=doc["text"], source="scifact")


def scifact_split(split: str) -> tuple[dict[str, str], dict[str, dict[str, int]]]:
    """The split's queries (id -> text) and relevance judgments (query id -> paper id -> gain)."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with (SCIFACT / "qrels" / f"{split}.tsv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows, delimiter="\t"):
            qrels[row["query-id"]][f"scifact:{row['corpus-id']}"] = int(row["score"])
    with (SCIFACT / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = {q["_id"]: q["text"] for q in map(json.loads, lines) if q["_id"] in qrels}
    return queries, qrels


def evaluate(engine: SearchEngine, queries: dict[str, str], qrels: dict[str, dict[str, int]], mode: str) -> dict:
    ndcg, recall, refused = [], [], 0
    for query_id, text in queries.items():
        ranked = ranked_ids(engine, text, mode)
        refused += ranked is None
        ndcg.append(ndcg_at(ranked or [], qrels[query_id]))
        recall.append(recall_at(ranked or [], qrels[query_id]))
    return {
        "queries": len(queries),
        "ndcg@10": round(float(np.mean(ndcg)), 4),
        "recall@100": round(float(np.mean(recall)), 4),
        "refused": refused,
    }


def scifact(splits: Sequence[str], modes: Sequence[str], embedder: Embedder, work: Path) -> dict | None:
    if not (SCIFACT / "corpus.jsonl").exists():
        print(f"SciFact skipped: {SCIFACT} is absent")
        return None
    print("SciFact: building the store and indexes", flush=True)
    cached = CachedEmbedder(embedder, CACHE / "scifact-vectors")
    engine = build_engine(scifact_papers(), work / "scifact", cached)
    results = {}
    for split in splits:
        queries, qrels = scifact_split(split)
        results[split] = {mode: evaluate(engine, queries, qrels, mode) for mode in modes}
    return results


# -- known-item search -------------------------------------------------------------------------


def conference_papers(limit: int | None) -> list[Paper]:
    papers = []
    for number, record in enumerate(corpus_records()):
        if limit is not None and number >= limit:
            break
        if not (record.get("title") or "").strip():
            continue
        papers.append(
            Paper(
                id=f"conf:{number}",  # the corpus's own ids repeat across venues
                title=record["title"],
                abstract=record.get("abstract") or "",
                authors=record_authors(record),
                source="conference",
            )
        )
    return papers


def known_item(
    sample: int, corpus_size: int | None, modes: Sequence[str], embedder: Embedder, work: Path
) -> dict | None:
    if not CORPUS.exists():
        print(f"known-item search skipped: {CORPUS} is absent")
        return None
    papers = conference_papers(corpus_size)
    print(f"Known-item search over {len(papers)} conference papers: building the store and indexes", flush=True)
    semantic = any(mode != "lexical" for mode in modes)
    cached = CachedEmbedder(embedder, CACHE / "known-item-vectors", read_also=[REAL]) if semantic else None
    engine = build_engine(papers, work / "known-item", cached)
    title_of = {paper.id: fold(" ".join(paper.title.split())) for paper in papers}
    targets = random.Random(0).sample(papers, min(sample, len(papers)))
    results = {}
    for mode in modes:
        found = refused = 0
        for paper in targets:
            ranked = ranked_ids(engine, paper.title, mode, limit=1)
            refused += ranked is None
            found += bool(ranked) and title_of[ranked[0]] == title_of[paper.id]
        results[mode] = {"titles": len(targets), "recall@1": round(found / len(targets), 4), "refused": refused}
    return {"corpus": len(papers), **results}


def print_tables(report: dict) -> None:
    if report.get("scifact"):
        print(f"\nSciFact      {'mode':<9} {'queries':>7} {'nDCG@10':>8} {'R@100':>7} {'refused':>7}")
        for split, by_mode in report["scifact"].items():
            for mode, r in by_mode.items():
                print(
                    f"  {split:<10} {mode:<9} {r['queries']:>7} {r['ndcg@10']:>8.4f} {r['recall@100']:>7.4f} "
                    f"{r['refused']:>7}"
                )
    if report.get("known_item"):
        known = report["known_item"]
        print(f"\nKnown-item search over {known['corpus']} papers")
        for mode in MODES:
            if mode in known:
                r = known[mode]
                print(f"  {mode:<9} {r['titles']:>5} titles  recall@1 {r['recall@1']:.4f}  refused {r['refused']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--splits", default="test,train", help="SciFact qrels splits, comma-separated (empty: skip SciFact)"
    )
    parser.add_argument("--modes", default=",".join(MODES), help="search modes, comma-separated")
    parser.add_argument("--known-item-sample", type=int, default=2000, help="titles searched for")
    parser.add_argument("--known-item-corpus", type=int, help="use only the first N conference papers")
    parser.add_argument("--skip-known-item", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    modes = [mode for mode in args.modes.split(",") if mode]
    embedder = load_embedder()
    report: dict = {"embedder": embedder.version}
    with tempfile.TemporaryDirectory(prefix="papertide-quality-") as work:
        splits = [split for split in args.splits.split(",") if split]
        report["scifact"] = scifact(splits, modes, embedder, Path(work)) if splits else None
        if not args.skip_known_item:
            report["known_item"] = known_item(
                args.known_item_sample, args.known_item_corpus, modes, embedder, Path(work)
            )
    print_tables(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
