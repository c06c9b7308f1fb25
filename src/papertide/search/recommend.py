"""More like this, and recommendations from liked papers: both are one vector search.

A paper's neighbours come from its stored vector; recommendations from the normalised mean of
the liked papers' vectors. Either way the search runs through :meth:`VectorIndex.search`, so
filters apply inside retrieval and the query papers are left out of the answer. Both queries lie
among the papers, where a narrower HNSW walk finds nearly all the same neighbours (:data:`EF_NEIGHBOURS`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from papertide.errors import NotFound
from papertide.search.query import Filters
from papertide.search.semantic.index import EF_NEIGHBOURS, NO_FILTERS, VectorHit, VectorIndex, VectorSet, top_k


def similar(index: VectorIndex, pk: int, k: int = 10, filters: Filters = NO_FILTERS) -> list[VectorHit]:
    """The ``k`` papers closest to the paper with store key ``pk``, itself excluded."""
    vector = index.vector_of(pk)
    if vector is None:
        raise NotFound(f"paper {pk} has no vector yet; `papertide index` makes one")
    return index.search(vector, k, filters, exclude=[pk], ef=EF_NEIGHBOURS)


def recommend(
    index: VectorIndex,
    liked: Sequence[int],
    k: int = 20,
    filters: Filters = NO_FILTERS,
    exclude: Sequence[int] = (),
) -> list[VectorHit]:
    """The ``k`` papers closest to the liked papers (store keys) taken together, the liked ones and
    ``exclude`` left out.
    """
    left_out = list(dict.fromkeys([*liked, *exclude]))
    return index.search(_profile(index, liked), k, filters, exclude=left_out, ef=EF_NEIGHBOURS)


def recommend_among(
    index: VectorIndex, liked: Sequence[int], among: VectorSet, k: int = 20, exclude: Sequence[int] = ()
) -> list[VectorHit]:
    """:func:`recommend` when the candidates are known and few (a digest's new papers): every one of
    ``among`` is scored exactly, one matrix product instead of a filtered search of the whole index."""
    profile = _profile(index, liked)
    if not among.pks:
        return []
    left_out = {*liked, *exclude}
    scores = among.vectors @ profile
    # The k best that are not left out lie among the k + len(left_out) best of all.
    order = top_k(scores, k + len(left_out))
    best = [i for i in order.tolist() if among.pks[i] not in left_out][:k]
    return [VectorHit(among.pks[i], float(scores[i])) for i in best]


def _profile(index: VectorIndex, liked: Sequence[int]) -> np.ndarray:
    """The normalised mean of the liked papers' vectors; NotFound while none of them has one."""
    vectors = index.vectors_of(liked)
    if not len(vectors):
        raise NotFound("none of the liked papers has a vector yet; `papertide index` makes them")
    profile = vectors.mean(axis=0)
    return profile / max(float(np.linalg.norm(profile)), 1e-12)


def nearest_liked(index: VectorIndex, hits: Sequence[int], liked: Sequence[int]) -> dict[int, int]:
    """For each hit, the liked paper its vector is closest to: what a recommendation says it is "similar to"."""
    liked_pks, liked_vectors = index.with_vectors(liked)
    hit_pks, hit_vectors = index.with_vectors(hits)
    if not liked_pks or not hit_pks:
        return {}
    closest = np.argmax(hit_vectors @ liked_vectors.T, axis=1)
    return {pk: liked_pks[i] for pk, i in zip(hit_pks, closest.tolist(), strict=True)}
