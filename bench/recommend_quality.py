"""How well a few liked papers find an author's other papers, for ways of turning likes into one search.

A proxy for "more of what I like" on the real embeddings of the conference corpus: for authors
with at least ``--min-papers`` cached papers, three are liked and the rest should come back.
Each profile is searched through :meth:`VectorIndex.search` with the liked papers excluded:

- ``centroid``: the normalised mean of the liked vectors (what :func:`recommend` does);
- ``centered``: the same minus the corpus mean, so what all papers share counts less;
- ``per-paper``: one search per liked paper, merged by best score.

    .venv/bin/python bench/recommend_quality.py [--authors 300] [--k 50]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

import numpy as np
from corpus import REAL, corpus_records, percentiles_ms, record_authors

from papertide.search.recommend import recommend
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.index import VectorHit, VectorIndex

LIKED = 3


def centroid(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    return mean / np.linalg.norm(mean)


def per_paper(index: VectorIndex, liked: list[int], k: int) -> list[VectorHit]:
    best: dict[int, float] = {}
    for vector in index.vectors_of(liked):
        for hit in index.search(vector, k, exclude=liked):
            best[hit.pk] = max(best.get(hit.pk, -1.0), hit.score)
    return [VectorHit(pk, score) for pk, score in sorted(best.items(), key=lambda item: -item[1])[:k]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--authors", type=int, default=300)
    parser.add_argument("--min-papers", type=int, default=6)
    parser.add_argument("--k", type=int, default=50)
    args = parser.parse_args()
    embedder = load_embedder()
    index = VectorIndex.open(REAL, embedder)
    cached = index.last_change_seq
    papers_of: dict[str, list[int]] = defaultdict(list)
    for pk, record in enumerate(corpus_records(), start=1):
        if pk > cached:
            break
        for author in record_authors(record):
            papers_of[author].append(pk)
    rng = np.random.default_rng(0)
    authors = [name for name, pks in papers_of.items() if len(pks) >= args.min_papers]
    authors = rng.permutation(authors)[: args.authors]
    if not len(authors):
        print(f"skipped: no author has {args.min_papers} of the {cached} cached papers")
        return 0
    corpus_mean = index.vectors_of(index.table.pks).mean(axis=0)
    methods = {
        "centroid": lambda liked: recommend(index, liked, args.k),  # what papertide does
        "centered": lambda liked: index.search(centroid(index.vectors_of(liked)) - corpus_mean, args.k, exclude=liked),
        "per-paper": lambda liked: per_paper(index, liked, args.k),
    }
    print(f"{cached} cached papers, {len(authors)} authors with >= {args.min_papers} papers, {LIKED} liked each")
    splits = [rng.permutation(papers_of[author]).tolist() for author in authors]
    for name, method in methods.items():
        recalls, seconds = [], []
        for pks in splits:
            liked, wanted = pks[:LIKED], set(pks[LIKED:])
            started = time.perf_counter()
            hits = method(liked)
            seconds.append(time.perf_counter() - started)
            recalls.append(len(wanted & {hit.pk for hit in hits}) / len(wanted))
        print(f"{name:>10}: recall@{args.k} {np.mean(recalls):.3f}  {percentiles_ms(seconds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
