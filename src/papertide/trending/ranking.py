"""The papers with attention, held in numpy columns, ranked on demand at the current time.

The score's age factor changes with every passing second, so no stored order stays right. But it
lies between ``2 ** -age_halvings`` and 1, so the k-th best score is at least the k-th largest
attention times that floor, and no paper with less attention than this bound can rank among the
first k. Each window's papers are kept sorted by attention; a query scores only the prefix above
the bound, a few hundred papers where there are hundreds of thousands. Category filters are masks
from the search engine's :class:`~papertide.search.paper_table.PaperTable`, so a filter means here
exactly what it means for a search.

A :class:`Ranking` never changes once built; catching up with the store builds a new one from
the old and the rows written since (:meth:`Ranking.caught_up`), so readers need no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from papertide.search.paper_table import PaperTable
from papertide.search.query import Filters
from papertide.store.trending import ACTIVITY_COLUMNS, NEVER, RowsRead, TrendingState
from papertide.trending.score import Activity, ScoreParams, Window, age_factor

_PARTS = len(ACTIVITY_COLUMNS) // len(Window)  # upvotes, counted, hf_upvotes, github_stars, window by window
MAX_KEPT_FILTERS = 256  # (window, filter) orders a ranking keeps; each costs 12 bytes per matching paper


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
        params: ScoreParams,
        pks: np.ndarray,
        listed: np.ndarray,
        values: np.ndarray,
        vocabulary: list[str],
        category_counts: np.ndarray,
        category_ids: np.ndarray,
    ) -> None:
        self.state, self.params = state, params
        self.pks, self.listed, self.values = pks, listed, values
        self.vocabulary, self.category_counts, self.category_ids = vocabulary, category_counts, category_ids
        days = np.zeros(len(pks), dtype=np.int32)  # unused: trending filters by category only
        self._table = PaperTable.from_columns(vocabulary, pks, days, category_counts, category_ids)
        self._by_attention: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}  # see _sorted

    @classmethod
    def empty(cls, params: ScoreParams) -> Ranking:
        state = TrendingState(0, NEVER, 0, 0, "")
        none = np.zeros(0, dtype=np.int64)
        values = np.zeros((0, len(ACTIVITY_COLUMNS)))
        return cls(state, params, none, np.zeros(0), values, [], none.astype(np.int32), none.astype(np.int32))

    def __len__(self) -> int:
        return len(self.pks)

    @property
    def generation(self) -> int:
        return self.state.generation

    def caught_up(self, read: RowsRead) -> Ranking:
        """This ranking with ``read`` applied: the newest entry of each paper wins, removals included."""
        removed = np.array(read.removed, dtype=np.int64).reshape(-1, 2)
        event_pks = np.concatenate([read.pks, removed[:, 0]])
        event_rows = np.concatenate([np.arange(len(read.pks)), np.full(len(removed), -1)])
        order = np.lexsort((np.concatenate([read.generations, removed[:, 1]]), event_pks))
        last = order[np.r_[event_pks[order][1:] != event_pks[order][:-1], True]] if len(order) else order
        new = event_rows[last][event_rows[last] >= 0]
        keep = np.zeros(len(self), dtype=np.bool_) if read.complete else ~np.isin(self.pks, event_pks[last])
        vocabulary = list(self.vocabulary)
        position = {name: index for index, name in enumerate(vocabulary)}
        new_counts, new_ids = [], []
        for pk in read.pks[new].tolist():
            names = dict.fromkeys(read.categories.get(pk, ()))
            new_counts.append(len(names))
            for name in names:
                if name not in position:
                    position[name] = len(vocabulary)
                    vocabulary.append(name)
                new_ids.append(position[name])
        kept_ids = self.category_ids[np.repeat(keep, self.category_counts)]
        return Ranking(
            read.state,
            self.params,
            np.concatenate([self.pks[keep], read.pks[new]]),
            np.concatenate([self.listed[keep], read.listed[new]]),
            np.concatenate([self.values[keep], read.values[new]]),
            vocabulary,
            np.concatenate([self.category_counts[keep], np.array(new_counts, dtype=np.int32)]),
            np.concatenate([kept_ids, np.array(new_ids, dtype=np.int32)]),
        )

    def top(self, window: Window, filters: Filters, now_s: float, limit: int, offset: int = 0) -> list[Ranked]:
        """The highest scores in ``window`` at ``now_s`` among papers passing the category filters.

        Ties go to more attention, then to the newer store key, so the order is total.
        """
        rows, attention = self._sorted(window, filters.categories_include, filters.categories_exclude)
        wanted = offset + limit
        if len(rows) > wanted:  # only papers with at least this much attention can rank among the first
            bound = attention[wanted - 1] * age_factor(window.seconds, window, self.params)
            reach = int(np.searchsorted(-attention, -bound, side="right"))
            rows, attention = rows[:reach], attention[:reach]
        scores = attention * age_factor(now_s - self.listed[rows], window, self.params)
        if len(rows) > wanted:  # keep the best, with every paper tied with the last of them
            best = scores >= -np.partition(-scores, wanted - 1)[wanted - 1]
            rows, attention, scores = rows[best], attention[best], scores[best]
        order = np.lexsort((-self.pks[rows], -attention, -scores))[offset:wanted]
        first = list(Window).index(window) * _PARTS
        return [
            Ranked(int(self.pks[row]), float(scores[i]), Activity(*_activity(self.values[row, first : first + _PARTS])))
            for i, row in zip(order, rows[order], strict=True)
        ]

    def prepared(self) -> list[tuple]:
        """The (window, include, exclude) orders this ranking has built, to build again in its successor."""
        return list(self._by_attention)

    def prepare(self, keys: list[tuple]) -> None:
        """Build the orders of ``keys`` and every window's unfiltered order now, before requests need them."""
        for key in [*((window, (), ()) for window in Window), *keys]:
            self._sorted(*key)

    def candidates(self, window: Window) -> int:
        """How many papers drew attention in ``window``."""
        return len(self._sorted(window)[0])

    def _sorted(
        self, window: Window, include: tuple[str, ...] = (), exclude: tuple[str, ...] = ()
    ) -> tuple[np.ndarray, np.ndarray]:
        """The rows with attention in ``window`` that pass the category patterns, most attention first, and
        that attention. Built on first use and kept: a masked pass over every row costs ~5 ms at 300k rows,
        and the same few filters (none, a reader's usual categories) come again and again until the next
        refresh replaces this ranking.
        """
        key = (window, include, exclude)
        found = self._by_attention.get(key)
        if found is not None:
            return found
        if include or exclude:
            rows, attention = self._sorted(window)
            allowed = self._table.mask(Filters(include, exclude))[rows]
            found = (rows[allowed], attention[allowed])
        else:
            first = list(Window).index(window) * _PARTS
            parts = self.values[:, first : first + _PARTS]
            params = self.params
            attention = parts[:, 1] + params.hf_upvote_weight * parts[:, 2] + params.github_star_weight * parts[:, 3]
            rows = np.flatnonzero(attention > 0)
            rows = rows[np.argsort(-attention[rows], kind="stable")]
            found = (rows, attention[rows])
        if len(self._by_attention) >= MAX_KEPT_FILTERS:
            self._by_attention.clear()
        self._by_attention[key] = found
        return found


def _activity(parts: np.ndarray) -> tuple[int, float, float, float]:
    return int(parts[0]), float(parts[1]), float(parts[2]), float(parts[3])
