"""Fusing the lexical and the semantic ranking of a hybrid search's candidate pool.

Two steps, chosen by the mean nDCG@10 over every evaluation collection (bench/fusion.py on the
production pools; bench/README.md has every candidate tried, each collection beside the mean),
never by one collection:

1. A convex combination of min-max normalised scores, BM25 and cosine, where the lexical share
   depends on the query's length in the words BM25 scores it by (stop words aside, each as often
   as it occurs): 0.475 at 9 words (a title, a claim), 0.1 more each time the query is halved and
   0.1 less each time it is doubled, within 0.2..0.7. A few keywords are matched best by their
   words; a long question in prose or a pasted abstract holds many words no relevant paper
   shares, and its meaning says more.
2. Feedback from the first hit (Rocchio's relevance feedback, the first hit taken as relevant):
   the query vector moves toward that paper's vector, with half its weight; every candidate's
   cosine is computed again with the moved query, and step 1 runs again. The paper both legs put
   first carries the vocabulary and the topic a short query only names.

Both steps are a pass over the candidates (one matrix-vector product over their vectors,
gathered once with the pool); no candidate is added. Both scores are exact for every candidate:
the engine scores each retriever's candidates with the other retriever too, rather than treating
a paper missing from one top-100 as unranked there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from papertide.search.semantic.index import VectorSet

# The lexical share at TYPICAL_WORDS, its change per doubling of the words, and its bounds.
# Mean nDCG@10 over the four collections (bench/fusion.py): a fixed share of 0.45 0.6148; by
# length 0.6179; with feedback 0.6211. Feedback from the first hit with a weight of 0.25..1 gives
# 0.6198..0.6211; from the mean of the top 2 or 3, 0.6181..0.6233, unsteady from weight to weight.
LEXICAL_SHARE = 0.475
SHARE_PER_DOUBLING = -0.1
TYPICAL_WORDS = 9
SHARE_BOUNDS = (0.2, 0.7)
# Weight of the first hit's vector added to the query's before the cosines are computed again.
FEEDBACK = 0.5
# A query BM25 scores by more words than this (a paragraph question, a pasted abstract) is fused at a
# fixed lexical share and without feedback. Long-query group of bench/quality.py (bench/fusion.py, mean
# of 16 tasks): by length with feedback 0.4646, a fixed 0.45 without feedback 0.4736, the best of every
# share and feedback tried. A long text names its topic in full: the first hit adds little, and it often
# is the one paper the text is about rather than the topic; and its many words make BM25 as telling as
# the embedding, where the share by length would fall to 0.2.
LONG_QUERY_WORDS = 24
LONG_QUERY_SHARE = 0.45


@dataclass(frozen=True, slots=True)
class Candidates:
    """A hybrid pool: BM25 (0 where a paper matches no word) and cosine of every candidate, and what fusion needs."""

    bm25: dict[int, float]
    cosine: dict[int, float]  # the candidates that have a vector
    total: int  # papers there are to page through
    words: int  # the query's words as BM25 scores them (LexicalHits.words)
    query: np.ndarray  # the query's vector
    vectors: VectorSet  # the vectors of the candidates that have one
    total_exact: bool = True  # False: ``total`` is a lower bound (LexicalHits.total_exact)


def lexical_share(words: int) -> float:
    """The lexical score's share for a query BM25 scores by ``words`` words (at least one is assumed)."""
    share = LEXICAL_SHARE + SHARE_PER_DOUBLING * math.log2(max(1, words) / TYPICAL_WORDS)
    return min(max(share, SHARE_BOUNDS[0]), SHARE_BOUNDS[1])


def fuse(pool: Candidates) -> list[tuple[int, float]]:
    """The pool's papers, best first, as ``(pk, fused score in 0..1)``: both steps of the module's docstring
    (for a query of more than :data:`LONG_QUERY_WORDS` words, step 1 alone at :data:`LONG_QUERY_SHARE`).

    A paper missing from ``pool.bm25`` matched no word (0); one missing from ``pool.cosine`` has
    no vector yet: it gets the lowest cosine there is.
    """
    candidates = list(dict.fromkeys([*pool.bm25, *pool.cosine]))
    if not candidates:
        return []
    long = pool.words > LONG_QUERY_WORDS
    share = LONG_QUERY_SHARE if long else lexical_share(pool.words)
    lexical = share * _min_max(np.array([pool.bm25.get(pk, 0.0) for pk in candidates]))
    fused = lexical + (1 - share) * _min_max(_cosines(candidates, pool.cosine))
    moved = None if long else with_feedback(pool.query, pool.vectors, candidates[int(np.argmax(fused))])
    if moved is not None:
        again = dict(zip(pool.vectors.pks, (pool.vectors.vectors @ moved).tolist(), strict=True))
        fused = lexical + (1 - share) * _min_max(_cosines(candidates, again))
    order = np.argsort(-fused, kind="stable")
    return [(candidates[i], float(fused[i])) for i in order]


def with_feedback(query: np.ndarray, vectors: VectorSet, first: int) -> np.ndarray | None:
    """The query vector moved toward the vector of ``first`` (unit length), or None when it has none."""
    try:
        row = vectors.pks.index(first)
    except ValueError:
        return None
    moved = query.astype(np.float32) + FEEDBACK * vectors.vectors[row].astype(np.float32)
    norm = float(np.linalg.norm(moved))
    return moved / norm if norm > 0 else None


def _cosines(candidates: list[int], cosine: Mapping[int, float]) -> np.ndarray:
    floor = min(cosine.values(), default=0.0)
    return np.array([cosine.get(pk, floor) for pk in candidates])


def _min_max(scores: np.ndarray) -> np.ndarray:
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.zeros_like(scores)
