"""Benchmark corpora: real embeddings of the 87k conference papers, and a 1M-paper vector index made from them.

Embedding is slow (about 30 abstracts/s on two cores), so real vectors are cached under
``bench/.cache`` by a resumable job that can run in the background; everything else works
from however many are cached. The 1M index mixes real vectors (random convex combinations of
two or three, plus a little noise, renormalised) and gives each row categories (by cluster of
its main parent, so filters correlate with topics as arXiv's do) and a day; it is built with
the production :class:`VectorIndex` and cached too, with the time its HNSW graph took::

    nice -n 19 .venv/bin/python bench/corpus.py embed      # resumable; Ctrl-C or kill any time
    .venv/bin/python bench/corpus.py status
    .venv/bin/python bench/corpus.py build [--rebuild]     # the cached 1M index (minutes)

The corpus lives in ../shared and is never shipped; without it every command exits 0 with a message.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import faiss
import numpy as np

from papertide.search.paper_table import NO_DAY, day_number
from papertide.search.query import Filters
from papertide.search.semantic.embed import Embedder, load_embedder
from papertide.search.semantic.index import VectorIndex
from papertide.search.upkeep.embedding_job import passage, text_digest
from papertide.text import normalize


def _shared_data() -> Path:
    """``../shared/data`` beside the checkout: the main checkout's parent, or a worktree's (``/work/wt/x``) above it."""
    here = Path(__file__).resolve()
    found = (parent / "shared" / "data" for parent in here.parents[1:])
    return next((path for path in found if path.is_dir()), here.parents[2] / "shared" / "data")


SHARED = _shared_data()
CORPUS = SHARED / "corpora" / "conference-papers-87k.jsonl.gz"
CACHE = Path(__file__).resolve().parent / ".cache"
REAL = CACHE / "conference-87k"  # a VectorIndex: row i is corpus line i, pk i + 1
EMBED_BATCH = 256
# Categories of the synthetic index, most common first; cluster c of the real vectors gets CATEGORIES[c % len].
CATEGORIES = (
    "cs.LG", "cs.CV", "cs.CL", "cs.AI", "stat.ML", "cs.RO", "cs.CR", "math.OC", "cs.IR", "cs.NE", "eess.IV",
    "cs.SD", "eess.SP", "cs.HC", "cs.DS", "math.PR", "math.ST", "cs.SI", "cs.DC", "q-bio.NC", "cs.GR", "cs.MA",
    "physics.comp-ph", "cs.SE", "cs.CY", "quant-ph", "cs.GT", "econ.EM", "math.NA", "q-bio.QM", "astro-ph.IM",
    "cond-mat.dis-nn", "hep-ph", "math.CO", "cs.PL", "cs.LO",
)  # fmt: skip
CLUSTERS = 2 * len(CATEGORIES)
FIRST_DAY, LAST_DAY = day_number(date(2010, 1, 1)), day_number(date(2025, 12, 31))
# Filters of the synthetic index from none to very selective (the shares are printed by the benchmarks).
FILTERS = {
    "none": Filters(),
    "-cs.*": Filters(categories_exclude=("cs.*",)),
    "cs.CV": Filters(categories_include=("cs.CV",)),
    "2024": Filters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)),
    "math.* 2020..": Filters(categories_include=("math.*",), date_from=date(2020, 1, 1)),
    "cs.CL Q1 2023": Filters(categories_include=("cs.CL",), date_from=date(2023, 1, 1), date_to=date(2023, 3, 31)),
}


def corpus_or_exit() -> Path:
    """The shared corpus, or exit 0 with a message when it is not checked out here."""
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the shared corpora are not checked out here)")
        sys.exit(0)
    return CORPUS


def corpus_records(skip: int = 0) -> Iterator[dict]:
    with gzip.open(corpus_or_exit(), "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if number >= skip:
                yield json.loads(line)


def record_authors(record: dict) -> list[str]:
    """A corpus record's author names (the corpus separates them with semicolons)."""
    return [name.strip() for name in (record.get("authors") or "").split(";") if name.strip()]


def embed_corpus(embedder: Embedder, limit: int | None = None) -> None:
    """Embed corpus papers not cached yet, committing every batch: kill it any time and run it again."""
    with VectorIndex.updating(REAL, embedder) as index:
        done = index.last_change_seq
        started, start_count = time.perf_counter(), done
        batch: list[dict] = []
        for record in corpus_records(skip=done):
            if limit is not None and done + len(batch) >= limit:
                break
            batch.append(record)
            if len(batch) == EMBED_BATCH:
                done = _embed_batch(index, embedder, batch, done)
                rate = (done - start_count) / (time.perf_counter() - started)
                print(f"{done} embedded ({rate:.1f}/s)", flush=True)
                batch = []
        if batch:
            done = _embed_batch(index, embedder, batch, done)
        print(f"{done} embedded: done", flush=True)


def _embed_batch(index: VectorIndex, embedder: Embedder, batch: list[dict], done: int) -> int:
    texts = [passage(normalize(r.get("title") or ""), normalize(r.get("abstract") or "")) for r in batch]
    pks = list(range(done + 1, done + len(batch) + 1))
    vectors = embedder.embed(texts)
    digests = [text_digest(text) for text in texts]
    index.add(pks, [NO_DAY] * len(pks), [[]] * len(pks), digests, vectors, last_change_seq=pks[-1])
    return pks[-1]


def real_vectors(embedder: Embedder) -> np.ndarray:
    """Every cached real embedding, row i from corpus line i."""
    index = VectorIndex.open(REAL, embedder)
    real = index.vectors_of(range(1, index.last_change_seq + 1))
    if len(real) < 1000:
        print(f"skipped: only {len(real)} real vectors are cached; run `bench/corpus.py embed` first")
        sys.exit(0)
    return real


def mixtures(real: np.ndarray, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` unit vectors, each a random convex mix of 2-3 real ones plus noise; and each one's main parent."""
    rng = np.random.default_rng(seed)
    out = np.empty((rows, real.shape[1]), dtype=np.float32)
    parents = rng.integers(0, len(real), size=(rows, 3))
    weights = rng.dirichlet((4.0, 1.5, 0.7), size=rows).astype(np.float32)
    weights[rng.random(rows) < 0.5, 2] = 0  # half of them mix only two
    for start in range(0, rows, 65_536):
        part = slice(start, start + 65_536)
        mixed = np.einsum("rk,rkd->rd", weights[part], real[parents[part]])
        mixed += rng.normal(scale=0.02, size=mixed.shape).astype(np.float32)
        out[part] = mixed / np.linalg.norm(mixed, axis=1, keepdims=True)
    return out, parents[:, 0]


def synthetic_index(embedder: Embedder, rows: int, *, rebuild: bool = False, seed: int = 0) -> tuple[Path, dict]:
    """The cached index of ``rows`` mixture vectors and facts about its build, built from the cached real
    vectors when missing or when ``rebuild`` is set (the real vectors keep growing while `embed` runs).
    """
    directory = CACHE / f"synthetic-{rows}"
    facts_path = directory / "build.json"
    if facts_path.exists() and not rebuild:
        return directory, json.loads(facts_path.read_text())
    real = real_vectors(embedder)
    rng = np.random.default_rng(seed)
    clusters = faiss.Kmeans(real.shape[1], CLUSTERS, niter=10, seed=seed, spherical=True)
    clusters.train(real)
    real_cluster = clusters.index.search(real, 1)[1][:, 0]
    started = time.perf_counter()
    vectors, parents = mixtures(real, rows, seed)
    mixing_s = time.perf_counter() - started
    started = time.perf_counter()
    with VectorIndex.updating(directory, embedder, rebuild=True) as index:
        for start in range(0, rows, 50_000):
            pks = np.arange(start + 1, min(rows, start + 50_000) + 1)
            categories = [synthetic_categories(int(real_cluster[parents[pk - 1]]), rng) for pk in pks]
            days = rng.integers(FIRST_DAY, LAST_DAY + 1, size=len(pks))
            index.add(pks, days, categories, pks, vectors[pks - 1], last_change_seq=int(pks[-1]))
        write_s = time.perf_counter() - started
        started = time.perf_counter()
        index.update_ann(min_rows=1)
        ann_s = time.perf_counter() - started
    facts = {"rows": rows, "real_vectors": len(real), "mixing_s": mixing_s, "write_s": write_s, "ann_build_s": ann_s}
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    return directory, facts


def synthetic_categories(cluster: int, rng: np.random.Generator) -> list[str]:
    """A primary category from the cluster, and sometimes one or two cross-lists."""
    primary = CATEGORIES[cluster % len(CATEGORIES)]
    extra = rng.choice(len(CATEGORIES), size=rng.choice(3, p=(0.5, 0.35, 0.15)), replace=False)
    return list(dict.fromkeys([primary, *(CATEGORIES[i] for i in extra)]))


def query_titles(count: int, skip: int = 0) -> list[str]:
    """Paper titles to search for, as a user would type a topic."""
    titles = []
    for record in corpus_records(skip):
        titles.append(normalize(record.get("title") or ""))
        if len(titles) == count:
            break
    return titles


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    """p50 and p95 of timings, in milliseconds (medians, because the machines are shared and noisy)."""
    ms = np.array(seconds) * 1000
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("embed", "status", "build"))
    parser.add_argument("--limit", type=int, help="embed: stop after this many papers in all")
    parser.add_argument("--rows", type=int, default=1_000_000, help="build: rows of the synthetic index")
    parser.add_argument("--rebuild", action="store_true", help="build: from the real vectors cached now")
    parser.add_argument("--threads", type=int, help="embed: intra-op threads (default: all cores)")
    args = parser.parse_args()
    corpus_or_exit()
    embedder = load_embedder(threads=args.threads)
    if args.command == "embed":
        embed_corpus(embedder, args.limit)
    elif args.command == "status":
        print(f"{len(VectorIndex.open(REAL, embedder))} real vectors cached in {REAL}")
    else:
        directory, facts = synthetic_index(embedder, args.rows, rebuild=args.rebuild)
        print(f"{directory}: {json.dumps(facts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
