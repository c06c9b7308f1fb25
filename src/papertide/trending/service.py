"""The trending service: the lists pages, the API and feeds ask for, and the refresh a worker calls."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.config import Settings
from papertide.errors import PapertideError
from papertide.search.query import Filters
from papertide.store.base import Clock
from papertide.store.papers import PaperStore, StoredPaper
from papertide.store.trending import TrendingStore, seconds
from papertide.trending.ranking import Ranking
from papertide.trending.score import Activity, ScoreParams, Window
from papertide.trending.upkeep import RefreshReport, refresh

log = logging.getLogger(__name__)
EVERYTHING = Filters()


@dataclass(frozen=True, slots=True)
class TrendingItem:
    """A trending paper, its score in the window and the attention behind it."""

    paper: StoredPaper
    score: float
    window: Window
    activity: Activity

    @property
    def reason(self) -> str:
        """Why it trends: "+23 upvotes and +120 GitHub stars this week"."""
        return self.activity.reason(self.window)


class Trending:
    """Trending papers by window and category, from attention a :meth:`refresh` keeps current.

    One per process. Lists come from an in-memory :class:`Ranking` that catches up with the
    store's latest refresh on each call (a one-row read when nothing changed), so any process's
    refresh, the web app's or a worker's, shows everywhere.
    """

    def __init__(
        self, papers: PaperStore, params: ScoreParams, *, refresh_after: timedelta, clock: Clock | None = None
    ) -> None:
        self._clock = clock or papers.now
        self._papers = papers
        self._store = TrendingStore(papers.engine, self._clock)
        self.params = params
        self.refresh_after = refresh_after
        self._ranking = Ranking.empty()
        self._catch_up_lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, papers: PaperStore) -> Trending:
        params = ScoreParams.from_settings(settings)
        return cls(papers, params, refresh_after=timedelta(seconds=settings.trending_refresh_s))

    # -- reading -------------------------------------------------------------------------------

    def trending(
        self, window: Window = Window.WEEK, filters: Filters = EVERYTHING, limit: int = 20, offset: int = 0
    ) -> list[TrendingItem]:
        """The ``limit`` papers trending most in ``window`` after ``offset``, best first.

        Only the category parts of ``filters`` apply (the window is the time range). Scores are
        computed at this moment from the latest refresh's attention.
        """
        ranked = self.ranking().top(window, filters, seconds(self._clock()), self.params, limit, offset)
        stored = {paper.pk: paper for paper in self._papers.get_many([r.paper_pk for r in ranked])}
        return [TrendingItem(stored[r.paper_pk], r.score, window, r.activity) for r in ranked if r.paper_pk in stored]

    def ranking(self) -> Ranking:
        """The latest refresh's ranking, catching up with the store first if it moved on."""
        generation = self._store.state().generation
        if generation == self._ranking.generation:
            return self._ranking
        # One thread catches up; the others keep serving the previous refresh meanwhile (a reload after
        # a full rebuild reads every row), unless there is nothing to serve yet.
        if not self._catch_up_lock.acquire(blocking=self._ranking.generation == 0):
            return self._ranking
        try:
            ranking = self._ranking
            if generation != ranking.generation:
                behind = 0 < ranking.generation < generation
                ranking = ranking.caught_up(self._store.read_rows(ranking.generation if behind else None))
                self._ranking = ranking
            return ranking
        finally:
            self._catch_up_lock.release()

    @property
    def as_of(self) -> datetime | None:
        """When the attention last read was computed; None before the first refresh."""
        state = self._ranking.state
        return state.as_of if state.generation else None

    # -- upkeep --------------------------------------------------------------------------------

    def refresh(self, *, full: bool = False) -> RefreshReport:
        """Bring the stored attention up to now (see :mod:`papertide.trending.upkeep`); the worker calls this."""
        with self._refresh_lock:
            return refresh(self._store, self.params, self._clock(), full=full)

    def is_stale(self) -> bool:
        state = self._store.state()
        return state.generation == 0 or self._clock() - state.as_of >= self.refresh_after

    def refresh_soon(self) -> threading.Thread | None:
        """Refresh on a background thread when the attention is stale and this process is not refreshing."""
        if not self.is_stale() or not self._refresh_lock.acquire(blocking=False):
            return None
        thread = threading.Thread(target=self._refresh_holding_lock, name="trending-refresh", daemon=True)
        thread.start()
        return thread

    def _refresh_holding_lock(self) -> None:
        try:
            report = refresh(self._store, self.params, self._clock())
            log.info("trending refreshed: %s", report)
        except PapertideError:
            log.exception("trending refresh failed")
        finally:
            self._refresh_lock.release()
