"""The papers with attention, held in numpy columns, ranked on demand at the current time.

The score's age factor changes with every passing second, so no stored order stays right; but
only papers that drew attention in the past month can trend (a few percent of a library), and
scoring all of them is one vectorised pass: about a millisecond for 100k papers. Category filters
are masks from the search engine's :class:`~papertide.search.paper_filter.PaperTable`, so a
filter means here exactly what it means for a search.

A :class:`Ranking` never changes once built; catching up with the store builds a new one from
the old and the rows written since (:meth:`Ranking.caught_up`), so readers need no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from papertide.search.paper_filter import PaperTable
from papertide.search.query import Filters
from papertide.store.trending import NEVER, RowsRead, TrendingState
from papertide.trending.score import Activity, ScoreParams, Window, age_factor

_PARTS = 4  # upvotes, counted, hf_upvotes, github_stars per window (the store's ACTIVITY_COLUMNS)


@dataclass(frozen=True, slots=True)
class Ranked:
    paper_pk: int
    score: float
    activity: Activity


class Ranking:
    """One refresh's attention for every paper that has some, ready to rank."""

    def __init__(
        self,
        state: TrendingState,
        pks: np.ndarray,
        listed: np.ndarray,
        values: np.ndarray,
        vocabulary: list[str],
        category_counts: np.ndarray,
        category_ids: np.ndarray,
    ) -> None:
        self.state = state
        self.pks, self.listed, self.values = pks, listed, values
        self.vocabulary, self.category_counts, self.category_ids = vocabulary, category_counts, category_ids
        days = np.zeros(len(pks), dtype=np.int32)  # unused: trending filters by category only
        self._table = PaperTable.from_columns(vocabulary, pks, days, category_counts, category_ids)

    @classmethod
    def empty(cls) -> Ranking:
        state = TrendingState(0, NEVER, 0, 0, "")
        none = np.zeros(0, dtype=np.int64)
        return cls(state, none, np.zeros(0), np.zeros((0, _PARTS * len(Window))), [], none.astype(np.int32), none)

    def __len__(self) -> int:
        return len(self.pks)

    @property
    def generation(self) -> int:
        return self.state.generation

    def caught_up(self, read: RowsRead) -> Ranking:
        """This ranking with ``read`` applied: the newest entry of each paper wins."""
        latest: dict[int, tuple[int, object]] = {}
        for pk, generation in read.removed:
            latest[pk] = (generation, None)
        for row in read.rows:
            if row.paper_pk not in latest or latest[row.paper_pk][0] < row.generation:
                latest[row.paper_pk] = (row.generation, row)
        new_rows = [row for _, row in latest.values() if row is not None]
        if read.complete:
            keep = np.zeros(len(self), dtype=np.bool_)
        else:
            keep = ~np.isin(self.pks, np.fromiter(latest, dtype=np.int64, count=len(latest)))
        vocabulary = list(self.vocabulary)
        position = {name: index for index, name in enumerate(vocabulary)}
        new_ids = []
        for row in new_rows:
            for name in dict.fromkeys(row.categories):
                if name not in position:
                    position[name] = len(vocabulary)
                    vocabulary.append(name)
                new_ids.append(position[name])
        new_counts = [len(dict.fromkeys(row.categories)) for row in new_rows]
        return Ranking(
            read.state,
            np.concatenate([self.pks[keep], np.array([r.paper_pk for r in new_rows], dtype=np.int64)]),
            np.concatenate([self.listed[keep], np.array([r.listed_at for r in new_rows], dtype=np.float64)]),
            np.concatenate(
                [self.values[keep], np.array([r.values for r in new_rows], dtype=np.float64).reshape(-1, _PARTS * 3)]
            ),
            vocabulary,
            np.concatenate([self.category_counts[keep], np.array(new_counts, dtype=np.int32)]),
            np.concatenate(
                [self.category_ids[np.repeat(keep, self.category_counts)], np.array(new_ids, dtype=np.int32)]
            ),
        )

    def top(
        self, window: Window, filters: Filters, now_s: float, params: ScoreParams, limit: int, offset: int = 0
    ) -> list[Ranked]:
        """The highest scores in ``window`` at ``now_s`` among papers passing the category filters.

        Ties go to more attention, then to the newer store key, so the order is total.
        """
        first = list(Window).index(window) * _PARTS
        parts = self.values[:, first : first + _PARTS]
        attention = parts[:, 1] + params.hf_upvote_weight * parts[:, 2] + params.github_star_weight * parts[:, 3]
        allowed = attention > 0
        if filters.categories_include or filters.categories_exclude:
            allowed &= self._table.mask(Filters(filters.categories_include, filters.categories_exclude))
        rows = np.flatnonzero(allowed)
        scores = attention[rows] * age_factor(now_s - self.listed[rows], window, params)
        wanted = offset + limit
        if len(rows) > wanted:  # keep the best, with every paper tied with the last of them
            best = scores >= -np.partition(-scores, wanted - 1)[wanted - 1]
            rows, scores = rows[best], scores[best]
        order = np.lexsort((-self.pks[rows], -attention[rows], -scores))[offset:wanted]
        return [
            Ranked(int(self.pks[row]), float(scores[i]), Activity(*_activity(parts[row])))
            for i, row in zip(order, rows[order], strict=True)
        ]


def _activity(parts: np.ndarray) -> tuple[int, float, float, float]:
    return int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3])
