"""Fusing the lexical and the semantic ranking: a convex combination of min-max normalised scores.

Chosen by the mean nDCG@10 over every evaluation collection and the 87k tasks (bench/fusion.py
on the production pools; bench/README.md has the table), never by one collection: against
reciprocal rank fusion (k=60) of the same pools it is ahead on every collection and task but the
pasted-abstract one, where both put nearly every abstract's own paper first. It keeps how far
apart the scores are, and both scores are exact for every candidate: the engine scores each
retriever's candidates with the other retriever too, rather than treating a paper missing from
one top-100 as unranked there.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# Share of the lexical score. Mean nDCG@10 over the four collections: 0.4 0.6145, 0.45 0.6148,
# 0.5 0.6127, 0.6 0.6075; z-scores instead of min-max at best 0.6148.
LEXICAL_WEIGHT = 0.45


def fuse(lexical: Mapping[int, float], semantic: Mapping[int, float]) -> list[tuple[int, float]]:
    """One ranking of the papers in either mapping, best first, as ``(pk, fused score in 0..1)``.

    ``lexical`` holds BM25 scores (a paper missing matched nothing: 0); ``semantic`` holds cosine
    similarities (a paper missing has no vector yet: it gets the lowest one there is).
    """
    candidates = list(dict.fromkeys([*lexical, *semantic]))
    if not candidates:
        return []
    floor = min(semantic.values(), default=0.0)
    bm25 = np.array([lexical.get(pk, 0.0) for pk in candidates])
    cosine = np.array([semantic.get(pk, floor) for pk in candidates])
    fused = LEXICAL_WEIGHT * _min_max(bm25) + (1 - LEXICAL_WEIGHT) * _min_max(cosine)
    order = np.argsort(-fused, kind="stable")
    return [(candidates[i], float(fused[i])) for i in order]


def _min_max(scores: np.ndarray) -> np.ndarray:
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.zeros_like(scores)
