"""Fusion of the lexical and the semantic scores: the lexical share by query length, and feedback from the first hit."""

from __future__ import annotations

import numpy as np
import pytest

from papertide.search.hybrid import (
    FEEDBACK,
    LEXICAL_SHARE,
    LONG_QUERY_SHARE,
    LONG_QUERY_WORDS,
    SHARE_BOUNDS,
    TYPICAL_WORDS,
    Candidates,
    fuse,
    lexical_share,
    with_feedback,
)
from papertide.search.semantic.index import VectorSet

NO_VECTORS = VectorSet([], np.empty((0, 3), np.float32))


def _unit(*xs: float) -> np.ndarray:
    vector = np.array(xs, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _pool(bm25: dict[int, float], cosine: dict[int, float], words: int, vectors: VectorSet = NO_VECTORS) -> Candidates:
    """A pool for a query pointing at x; without vectors there is no feedback (the first step alone)."""
    return Candidates(bm25, cosine, len(bm25.keys() | cosine.keys()), words, _unit(1, 0, 0), vectors)


def test_the_lexical_share_falls_as_the_query_grows_within_its_bounds() -> None:
    assert lexical_share(TYPICAL_WORDS) == pytest.approx(LEXICAL_SHARE)
    assert lexical_share(2 * TYPICAL_WORDS) == pytest.approx(LEXICAL_SHARE - 0.1)
    assert lexical_share(TYPICAL_WORDS // 2) > LEXICAL_SHARE
    shares = [lexical_share(words) for words in range(0, 2000)]
    assert shares == sorted(shares, reverse=True)
    assert shares[0] == shares[1] == SHARE_BOUNDS[1]  # no word counts as one (a query of a phrase alone)
    assert shares[-1] == SHARE_BOUNDS[0]  # a pasted abstract


def test_keywords_lean_on_words_and_prose_on_meaning() -> None:
    # Paper 1 holds the query's words, paper 2 its meaning, paper 3 neither.
    bm25, cosine = {1: 9.0, 2: 3.0, 3: 0.0}, {1: 0.40, 2: 0.80, 3: 0.30}
    assert fuse(_pool(bm25, cosine, words=2))[0][0] == 1
    assert fuse(_pool(bm25, cosine, words=80))[0][0] == 2


def test_scores_are_min_max_normalised_and_missing_scores_are_the_lowest() -> None:
    # 4 matched no word (BM25 0); 5 has no vector yet (the lowest cosine of the pool). 18 words: share 0.375.
    ranked = fuse(_pool({1: 10.0, 2: 5.0, 5: 10.0}, {1: 0.9, 2: 0.5, 4: 0.7}, words=18))
    scores, share = dict(ranked), LEXICAL_SHARE - 0.1
    assert ranked[0] == (1, pytest.approx(1.0)) and scores[5] == pytest.approx(share)
    assert scores[2] == pytest.approx(share * 5 / 10)
    assert scores[4] == pytest.approx((1 - share) * (0.7 - 0.5) / (0.9 - 0.5))
    assert [score for _, score in ranked] == sorted(scores.values(), reverse=True)
    assert fuse(_pool({}, {}, words=3)) == []
    assert fuse(_pool({1: 5.0}, {}, words=1)) == [(1, 0.0)]  # one paper: nothing to normalise by


def test_the_first_hit_draws_the_papers_near_it_up() -> None:
    # The query points at x; paper 1 (first by words and meaning) lies between x and y, paper 2 on y
    # (its topic, in other words than the query's) and paper 3 near z, a little nearer the query than 2.
    vectors = {1: _unit(1, 1, 0), 2: _unit(0.2, 1, 0), 3: _unit(0.3, 0, 1)}
    cosine = {pk: float(vector @ _unit(1, 0, 0)) for pk, vector in vectors.items()}
    bm25 = {1: 5.0, 2: 1.0, 3: 1.0}
    assert [pk for pk, _ in fuse(_pool(bm25, cosine, TYPICAL_WORDS))] == [1, 3, 2]
    with_vectors = VectorSet(list(vectors), np.stack(list(vectors.values())))
    assert [pk for pk, _ in fuse(_pool(bm25, cosine, TYPICAL_WORDS, with_vectors))] == [1, 2, 3]
    moved = with_feedback(_unit(1, 0, 0), with_vectors, 1)
    assert moved is not None
    np.testing.assert_allclose(moved, _unit(*(_unit(1, 0, 0) + FEEDBACK * vectors[1])), rtol=1e-6)


def test_without_the_first_hits_vector_there_is_no_feedback() -> None:
    # Paper 1 (first by its words) has no vector yet: the first step's ranking stands.
    vectors = VectorSet([2, 3], np.stack([_unit(0.2, 1, 0), _unit(0.3, 0, 1)]))
    bm25, cosine = {1: 5.0, 2: 1.0, 3: 1.0}, {2: 0.2, 3: 0.29}
    assert with_feedback(_unit(1, 0, 0), vectors, 1) is None
    assert fuse(_pool(bm25, cosine, TYPICAL_WORDS, vectors)) == fuse(_pool(bm25, cosine, TYPICAL_WORDS))


def test_a_long_query_is_fused_at_a_fixed_share_without_feedback() -> None:
    # The pool of test_the_first_hit_draws_the_papers_near_it_up: feedback would lift paper 2 over paper 3.
    vectors = {1: _unit(1, 1, 0), 2: _unit(0.2, 1, 0), 3: _unit(0.3, 0, 1)}
    cosine = {pk: float(vector @ _unit(1, 0, 0)) for pk, vector in vectors.items()}
    bm25 = {1: 5.0, 2: 1.0, 3: 1.0}
    with_vectors = VectorSet(list(vectors), np.stack(list(vectors.values())))
    ranked = fuse(_pool(bm25, cosine, LONG_QUERY_WORDS + 1, with_vectors))
    assert [pk for pk, _ in ranked] == [1, 3, 2]
    spread = cosine[1] - cosine[2]
    assert dict(ranked)[3] == pytest.approx((1 - LONG_QUERY_SHARE) * (cosine[3] - cosine[2]) / spread)
    assert [pk for pk, _ in fuse(_pool(bm25, cosine, LONG_QUERY_WORDS, with_vectors))] == [1, 2, 3]
