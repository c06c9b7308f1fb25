"""The home page's time windows, anchored at the newest listing rather than at today.

A library that was last harvested a while ago would show empty "today" and "this week" tabs if
windows ended at the wall clock. Like arXiv's "new" listing, a window ends at the newest listing
day among the papers selected (a paper is listed when it is submitted, or when first stored if it
has no date; the demo replays its listings relative to the day it was loaded), and the page says
which day that is.
"""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from enum import StrEnum

from papertide.search.query import Filters
from papertide.store.papers.store import PaperStore
from papertide.web.kit.filters import to_paper_filter


class Window(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = "all"

    @property
    def label(self) -> str:
        return _LABELS[self]

    def start(self, newest: date) -> date | None:
        """The first day in the window ending at ``newest``; None for all time."""
        days = _DAYS[self]
        return None if days is None else newest - timedelta(days=days - 1)


_LABELS = {Window.DAY: "Latest day", Window.WEEK: "Past week", Window.MONTH: "Past month", Window.ALL: "All time"}
_DAYS = {Window.DAY: 1, Window.WEEK: 7, Window.MONTH: 30, Window.ALL: None}


class NewestDays:
    """The newest listing day of the papers a filter selects, remembered for ``ttl_s``.

    Finding it is a sort over every matching paper, too slow to repeat on each page view of a
    large library; a minute-old answer only delays a fresh harvest's papers by that minute.
    """

    def __init__(self, store: PaperStore, ttl_s: float = 60.0, max_entries: int = 512) -> None:
        self._store = store
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._cache: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[float, date | None]] = {}
        self._lock = threading.Lock()

    def get(self, filters: Filters) -> date | None:
        """The newest day among papers matching the category part of ``filters``; None if none match."""
        key = (filters.categories_include, filters.categories_exclude)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached and cached[0] > now:
            return cached[1]
        categories_only = Filters(filters.categories_include, filters.categories_exclude)
        page = self._store.list_papers(to_paper_filter(categories_only), limit=1)
        newest = page.papers[0].listed_at.date() if page.papers else None
        with self._lock:
            if len(self._cache) >= self._max_entries:
                self._cache.clear()
            self._cache[key] = (now + self._ttl_s, newest)
        return newest
