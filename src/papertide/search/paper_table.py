"""Per-paper metadata in numpy columns, to turn :class:`Filters` into a row mask in milliseconds.

Retrievers filter inside retrieval, not after it, so at a million papers the mask of papers a
filter allows must be cheap: dates are an int32 column, categories a CSR list of ids into a
small vocabulary (a pattern such as ``cs.*`` is matched against the vocabulary once, then
gathered over the rows). Rows are append-only; appending a paper that is already in the table
supersedes its older row, which stays but is no longer :attr:`PaperTable.live`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import pairwise

import numpy as np

from papertide.category_filter import matches_any
from papertide.search.query import Filters

NO_DAY = np.iinfo(np.int32).min  # an undated paper: fails every date limit
# Bytes of category masks a table keeps for the patterns searched lately (one byte per row each: at
# 2.7M papers eleven masks). Gathering ``cs.*``'s rows costs ~40 ms at 2.7M papers; users filter by
# the same few categories again and again, so a repeated pattern costs a lookup instead.
CATEGORY_MASK_BYTES = 32 * 1024 * 1024
_EPOCH = date(1970, 1, 1)


def day_number(day: date | datetime | None) -> int:
    """Days since 1970-01-01 (UTC date of a datetime), or :data:`NO_DAY`."""
    if day is None:
        return NO_DAY
    if isinstance(day, datetime):
        day = day.date()
    return (day - _EPOCH).days


class GrowableArray:
    """A 1-d numpy array that appends in amortised constant time (its capacity doubles)."""

    def __init__(self, dtype: np.dtype | type, values: np.ndarray | None = None) -> None:
        initial = np.asarray(values if values is not None else [], dtype=dtype)
        self._data = np.empty(max(16, len(initial)), dtype=dtype)
        self._data[: len(initial)] = initial
        self._size = len(initial)

    def __len__(self) -> int:
        return self._size

    @property
    def values(self) -> np.ndarray:
        """The filled part, as a view (invalidated by the next :meth:`extend`)."""
        return self._data[: self._size]

    def extend(self, values: np.ndarray | Sequence) -> None:
        values = np.asarray(values, dtype=self._data.dtype)
        needed = self._size + len(values)
        if needed > len(self._data):
            grown = np.empty(max(needed, 2 * len(self._data)), dtype=self._data.dtype)
            grown[: self._size] = self.values
            self._data = grown
        self._data[self._size : needed] = values
        self._size = needed


class PaperTable:
    """Store key, day and categories of each row; which rows are live; filter masks over rows."""

    def __init__(self) -> None:
        self.vocabulary: list[str] = []  # category names as the sources spell them, in first-seen order
        self._category_id: dict[str, int] = {}
        self._rows_of_category: list[GrowableArray] = []  # inverted lists: a filter costs what it matches
        self._category_ids = GrowableArray(np.int32)  # and row by row: row r's ids start at _category_starts[r]
        self._category_starts = GrowableArray(np.int64, np.zeros(1))
        self._pks = GrowableArray(np.int64)
        self._days = GrowableArray(np.int32)
        self._live = GrowableArray(np.bool_)
        self._live_count = 0  # kept as rows come: counting a million-row mask costs each search ~40 us
        self._row_by_pk = np.full(16, -1, dtype=np.int64)
        self._category_masks: OrderedDict[tuple[tuple[str, ...], int], np.ndarray] = OrderedDict()
        self._category_masks_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pks)

    @property
    def pks(self) -> np.ndarray:
        return self._pks.values

    @property
    def days(self) -> np.ndarray:
        return self._days.values

    @property
    def live(self) -> np.ndarray:
        """Which rows hold a paper's current entry (older rows of a paper are superseded)."""
        return self._live.values

    @property
    def live_count(self) -> int:
        return self._live_count

    def encode(self, categories: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Each row's category count and all rows' category ids, row after row; new names join the vocabulary."""
        per_row = [[self._id_of(name) for name in dict.fromkeys(names)] for names in categories]
        counts = np.fromiter(map(len, per_row), dtype=np.int32, count=len(per_row))
        return counts, np.fromiter((i for ids in per_row for i in ids), dtype=np.int32)

    def _id_of(self, name: str) -> int:
        found = self._category_id.get(name)
        if found is None:
            found = self._category_id[name] = len(self.vocabulary)
            self.vocabulary.append(name)
            self._rows_of_category.append(GrowableArray(np.int32))
        return found

    @classmethod
    def from_columns(
        cls, vocabulary: list[str], pks: np.ndarray, days: np.ndarray, category_counts: np.ndarray,
        category_ids: np.ndarray,
    ) -> PaperTable:  # fmt: skip
        """A table of saved columns (``category_ids`` index ``vocabulary``, row after row)."""
        table = cls()
        for name in vocabulary:
            table._id_of(name)
        table.append(pks, days, category_counts, category_ids)
        return table

    def append(
        self, pks: Sequence[int], days: Sequence[int], category_counts: np.ndarray, category_ids: np.ndarray
    ) -> None:
        """Add rows (categories as :meth:`encode` gives them), superseding earlier rows of the same papers.

        Within ``pks`` the last row of a paper wins.
        """
        pks, days = np.asarray(pks, dtype=np.int64), np.asarray(days, dtype=np.int32)
        category_ids = np.asarray(category_ids, dtype=np.int32)
        if not len(pks) == len(days) == len(category_counts) or np.sum(category_counts) != len(category_ids):
            raise ValueError("a table append needs one day and one category count per row")
        if len(category_ids) and not 0 <= category_ids.min() <= category_ids.max() < len(self.vocabulary):
            raise ValueError("category ids must index the vocabulary")
        start = len(self)
        self._category_ids.extend(category_ids)
        self._category_starts.extend(self._category_starts.values[-1] + np.cumsum(category_counts, dtype=np.int64))
        self._pks.extend(pks)
        self._days.extend(days)
        self._live.extend(np.zeros(len(pks), dtype=np.bool_))
        rows = np.repeat(np.arange(start, start + len(pks), dtype=np.int32), category_counts)
        order = np.argsort(category_ids, kind="stable")
        ids, rows = category_ids[order], rows[order]
        bounds = np.searchsorted(ids, np.arange(len(self.vocabulary) + 1))
        for category, (low, high) in enumerate(pairwise(bounds)):
            if high > low:
                self._rows_of_category[category].extend(rows[low:high])
        self._supersede(pks, start)

    def _supersede(self, pks: np.ndarray, start: int) -> None:
        if len(pks) and pks.min() < 0:
            raise ValueError("store keys are non-negative")
        unique, last_from_end = np.unique(pks[::-1], return_index=True)
        rows = start + len(pks) - 1 - last_from_end
        if len(unique) and unique[-1] >= len(self._row_by_pk):
            grown = np.full(max(int(unique[-1]) + 1, 2 * len(self._row_by_pk)), -1, dtype=np.int64)
            grown[: len(self._row_by_pk)] = self._row_by_pk
            self._row_by_pk = grown
        previous = self._row_by_pk[unique]
        live = self._live.values
        live[previous[previous >= 0]] = False
        live[rows] = True
        self._live_count += len(unique) - int(np.count_nonzero(previous >= 0))
        self._row_by_pk[unique] = rows

    def categories_of(self, row: int) -> frozenset[str]:
        """The categories of one row."""
        start, stop = self._category_starts.values[row : row + 2]
        return frozenset(self.vocabulary[i] for i in self._category_ids.values[start:stop])

    def row_of(self, pk: int) -> int | None:
        """The live row of the paper with store key ``pk``, or None."""
        row = int(self._row_by_pk[pk]) if 0 <= pk < len(self._row_by_pk) else -1
        return row if row >= 0 else None

    def rows_of(self, pks: Iterable[int]) -> np.ndarray:
        """The live rows of those store keys that have one."""
        rows = self.rows_at(np.fromiter(pks, dtype=np.int64))
        return rows[rows >= 0]

    def rows_at(self, pks: np.ndarray) -> np.ndarray:
        """The live row of each store key in ``pks``, -1 where it has none: one lookup for many keys."""
        known = (pks >= 0) & (pks < len(self._row_by_pk))
        rows = np.full(len(pks), -1, dtype=np.int64)
        rows[known] = self._row_by_pk[pks[known]]
        return rows

    def mask(self, filters: Filters) -> np.ndarray:
        """A boolean array over rows: live and passing ``filters`` (a new array the caller may change)."""
        allowed = self.live.copy()
        if filters.categories_include:
            allowed &= self._has_category(filters.categories_include)
        if filters.categories_exclude:
            allowed &= ~self._has_category(filters.categories_exclude)
        if filters.date_from is not None or filters.date_to is not None:
            days = self.days
            allowed &= days != NO_DAY
            if filters.date_from is not None:
                allowed &= days >= day_number(filters.date_from)
            if filters.date_to is not None:
                allowed &= days <= day_number(filters.date_to)
        return allowed

    def allowed_pks(self, filters: Filters) -> np.ndarray:
        """The sorted store keys of the live papers that pass ``filters``."""
        return np.sort(self.pks[self.mask(filters)])

    def _has_category(self, patterns: tuple[str, ...]) -> np.ndarray:
        """Whether each row has a category matching one of ``patterns`` (as :func:`~papertide.category_filter.passes`);
        read-only, and kept for the next search with the same patterns while no rows are appended."""
        folded = tuple(sorted({pattern.lower() for pattern in patterns}))
        key = (folded, len(self))
        with self._category_masks_lock:
            found = self._category_masks.get(key)
            if found is not None:
                self._category_masks.move_to_end(key)
                return found
        found = np.zeros(len(self), dtype=np.bool_)
        for name, rows in zip(self.vocabulary, self._rows_of_category, strict=True):
            if matches_any(folded, (name,)):
                found[rows.values] = True
        found.flags.writeable = False
        with self._category_masks_lock:
            self._category_masks[key] = found
            while len(self._category_masks) * max(len(self), 1) > CATEGORY_MASK_BYTES and len(self._category_masks) > 1:
                self._category_masks.popitem(last=False)
        return found
