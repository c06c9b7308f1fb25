"""Fusion of the lexical and the semantic scores: the lexical share by query length, and feedback from the first hit."""

from __future__ import annotations

import numpy as np
import pytest

from papertide.search.hybrid import (
    FEEDBACK,
    LEXICAL_SHARE,
    SHARE_BOUNDS,
    TYPICAL_WORDS,
    Candidates,
    convex,
    fuse,
    lexical_share,
    with_feedback,
)
from papertide.search.vectors import VectorSet

NO_VECTORS = VectorSet([], np.empty((0, 3), np.float32))


def _unit(*xs: float) -> np.ndarray:
    vector = np.array(xs, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def _pool(bm25: dict[int, float], cosine: dict[int, float], words: int, query=None, vectors=NO_VECTORS) -> Candidates:
    query = _unit(1, 0, 0) if query is None else query
    return Candidates(bm25, cosine, len(bm25.keys() | cosine.keys()), words, query, vectors)


def test_the_lexical_share_falls_as_the_query_grows_within_its_bounds() -> None:
    assert lexical_share(TYPICAL_WORDS) == pytest.approx(LEXICAL_SHARE)
    assert lexical_share(2 * TYPICAL_WORDS) == pytest.approx(LEXICAL_SHARE - 0.1)
    assert lexical_share(TYPICAL_WORDS // 2) > LEXICAL_SHARE
    shares = [lexical_share(words) for words in range(0, 2000)]
    assert shares == sorted(shares, reverse=True)
    assert shares[0] == shares[1] == SHARE_BOUNDS[1]  # no scored word counts as one (a phrase-only query)
    assert shares[-1] == SHARE_BOUNDS[0]  # a pasted abstract


def test_keywords_lean_on_words_and_prose_on_meaning() -> None:
    # Paper 1 holds the query's words, paper 2 its meaning, paper 3 neither.
    bm25, cosine = {1: 9.0, 2: 3.0, 3: 0.0}, {1: 0.40, 2: 0.80, 3: 0.30}
    assert fuse(_pool(bm25, cosine, words=2))[0][0] == 1
    assert fuse(_pool(bm25, cosine, words=80))[0][0] == 2


def test_convex_scores_are_in_0_1_and_missing_scores_are_the_lowest() -> None:
    # 4 matched no word (BM25 0); 5 has no vector yet (the lowest cosine of the pool).
    ranked = convex({1: 10.0, 2: 5.0, 5: 10.0}, {1: 0.9, 2: 0.5, 4: 0.7}, 0.5)
    scores = dict(ranked)
    assert ranked[0] == (1, 1.0) and scores[5] == pytest.approx(0.5)  # BM25 as high as 1's, the lowest cosine
    assert scores[2] == pytest.approx(0.5 * 5 / 10) and scores[4] == pytest.approx(0.5 * (0.7 - 0.5) / (0.9 - 0.5))
    assert all(0.0 <= score <= 1.0 for score in scores.values())
    assert convex({}, {}, 0.5) == [] and fuse(_pool({}, {}, words=3)) == []


def test_the_first_hit_draws_the_papers_near_it_up() -> None:
    # The query points at x; paper 1 (first by words and meaning) lies between x and y, paper 2 on y
    # (its topic, in other words than the query's) and paper 3 on z, a little nearer the query than 2.
    vectors = {1: _unit(1, 1, 0), 2: _unit(0.2, 1, 0), 3: _unit(0.3, 0, 1)}
    cosine = {pk: float(vector @ _unit(1, 0, 0)) for pk, vector in vectors.items()}
    assert cosine[3] > cosine[2]
    pool_vectors = VectorSet(list(vectors), np.stack(list(vectors.values())))
    pool = _pool({1: 5.0, 2: 1.0, 3: 1.0}, cosine, TYPICAL_WORDS, _unit(1, 0, 0), pool_vectors)
    assert [pk for pk, _ in convex(pool.bm25, pool.cosine, LEXICAL_SHARE)] == [1, 3, 2]
    assert [pk for pk, _ in fuse(pool)] == [1, 2, 3]
    moved = with_feedback(pool.query, pool_vectors, 1)
    assert moved is not None and float(np.linalg.norm(moved)) == pytest.approx(1.0)
    np.testing.assert_allclose(moved, _unit(*(_unit(1, 0, 0) + FEEDBACK * vectors[1])), rtol=1e-6)


def test_without_the_first_hits_vector_there_is_no_feedback() -> None:
    # Paper 1 has no vector yet: the first fusion stands.
    vectors = VectorSet([2, 3], np.stack([_unit(0.2, 1, 0), _unit(0.3, 0, 1)]))
    pool = _pool({1: 5.0, 2: 1.0, 3: 1.0}, {2: 0.2, 3: 0.29}, TYPICAL_WORDS, _unit(1, 0, 0), vectors)
    assert with_feedback(pool.query, vectors, 1) is None
    assert fuse(pool) == convex(pool.bm25, pool.cosine, LEXICAL_SHARE)
    assert fuse(_pool({1: 5.0}, {}, 1)) == [(1, 0.0)]  # no vectors at all: BM25 alone (one paper: 0)
