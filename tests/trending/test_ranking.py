"""The in-memory ranking: only a prefix of each window's papers is scored, yet the top k is exact."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from papertide.search.query import Filters
from papertide.store.trending import ACTIVITY_COLUMNS, NEVER, RowsRead, TrendingState
from papertide.trending import Window
from papertide.trending.ranking import Ranking
from tests.trending.world import PARAMS

NOW = 2_000_000_000.0
CATEGORIES = ["cs.LG", "cs.CV", "math.PR", "hep-th", "stat.ML"]


def random_read(rng: np.random.Generator, count: int) -> RowsRead:
    values = np.zeros((count, len(ACTIVITY_COLUMNS)))
    for window in range(3):  # upvotes, counted, hf, gh per window; some papers have none in a window
        active = rng.random(count) < 0.7
        values[:, window * 4] = rng.integers(0, 50, count) * active
        values[:, window * 4 + 1] = np.round(values[:, window * 4] * rng.choice([1, 0.25, 0.5], count), 2)
        values[:, window * 4 + 2] = rng.integers(0, 30, count) * (rng.random(count) < 0.3) * active
        values[:, window * 4 + 3] = rng.integers(0, 400, count) * (rng.random(count) < 0.2) * active
    values[: count // 5, :] = values[count // 5 : 2 * (count // 5), :]  # many exact ties in attention
    pks = rng.permutation(np.arange(1, count + 1))
    categories = {int(pk): list(rng.choice(CATEGORIES, rng.integers(1, 3), replace=False)) for pk in pks}
    return RowsRead(
        state=TrendingState(1, NEVER, 0, 0, ""),
        pks=pks.astype(np.int64),
        generations=np.ones(count, dtype=np.int64),
        listed=NOW - rng.uniform(-3600, 90 * 86400, count),
        values=values,
        categories=categories,
        removed=[],
        complete=True,
    )


def brute_force(read: RowsRead, window: Window, filters: Filters, params) -> list[tuple[int, float]]:
    first = list(Window).index(window) * 4
    results = []
    for pk, listed, row in zip(read.pks, read.listed, read.values, strict=True):
        counted, hf, gh = row[first + 1 : first + 4]
        attention = counted + params.hf_upvote_weight * hf + params.github_star_weight * gh
        if attention <= 0 or not filters.category_matches(read.categories[int(pk)]):
            continue
        age = min(max(NOW - listed, 0.0), window.seconds)
        score = attention * 2 ** (-params.age_halvings * age / window.seconds)
        results.append((-score, -attention, -int(pk)))
    return [(-pk, -score) for score, _, pk in sorted(results)]


@pytest.mark.parametrize("halvings", [0.0, 1.0, 3.0])
def test_the_scored_prefix_gives_exactly_the_brute_force_order(halvings: float) -> None:
    params = replace(PARAMS, age_halvings=halvings)
    read = random_read(np.random.default_rng(int(halvings * 10)), 400)
    ranking = Ranking.empty(params).caught_up(read)
    for window in Window:
        for filters in (Filters(), Filters(("cs.*",)), Filters(("math.PR", "hep-th")), Filters((), ("cs.LG",))):
            expected = brute_force(read, window, filters, params)
            for limit, offset in ((1, 0), (5, 0), (10, 3), (20, 40), (500, 0)):
                got = [(r.paper_pk, r.score) for r in ranking.top(window, filters, NOW, limit, offset)]
                want = expected[offset : offset + limit]
                assert [pk for pk, _ in got] == [pk for pk, _ in want], (window, filters, limit, offset)
                assert [s for _, s in got] == pytest.approx([s for _, s in want])


def test_catching_up_applies_the_newest_entry_of_each_paper() -> None:
    rng = np.random.default_rng(3)
    first = random_read(rng, 50)
    ranking = Ranking.empty(PARAMS).caught_up(first)
    changed = random_read(rng, 5)
    changed = replace(
        changed,
        state=replace(first.state, generation=3),
        pks=first.pks[:5].copy(),  # five papers rewritten at generation 3...
        generations=np.full(5, 3),
        categories={int(pk): ["q-bio.NC"] for pk in first.pks[:5]},
        removed=[(int(first.pks[0]), 2), (int(first.pks[5]), 3)],  # ...one removed before that, one removed now
        complete=False,
    )
    caught = ranking.caught_up(changed)
    assert len(caught) == 49 and caught.generation == 3
    assert int(first.pks[5]) not in caught.pks.tolist()
    in_qbio = {r.paper_pk for r in caught.top(Window.MONTH, Filters(("q-bio.*",)), NOW, 50)}
    month_attention = changed.values[:, 9] + changed.values[:, 10] + 0.1 * changed.values[:, 11]
    assert in_qbio == {int(pk) for pk, a in zip(changed.pks, month_attention, strict=True) if a > 0}
    assert {r.paper_pk for r in caught.top(Window.MONTH, Filters(), NOW, 50)} <= set(caught.pks.tolist())
