"""The trending service: the lists pages, the API and feeds ask for, and the refresh a worker calls."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.config import Settings
from papertide.errors import PapertideError
from papertide.search.query import Filters
from papertide.store.db.base import Clock
from papertide.store.papers.store import PaperStore, StoredPaper
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
    store's latest refresh (a one-row read tells whether there is one), so any process's refresh,
    the web app's or a worker's, shows everywhere. Catching up reads the rows written since and
    rebuilds the ranking's arrays, ~0.1-0.5 s at 300k papers: with ``background_catch_up`` (the web
    app) a request that finds a newer refresh starts that on a thread and is answered from the
    previous one, so no request waits for it; otherwise the caller catches up first. A process
    that refreshes catches up right after, on the refreshing thread.
    """

    def __init__(
        self,
        papers: PaperStore,
        store: TrendingStore,
        params: ScoreParams,
        *,
        refresh_after: timedelta,
        clock: Clock | None = None,
        background_catch_up: bool = False,
    ) -> None:
        self._clock = clock or store.now
        self._papers = papers
        self._store = store
        self.params = params
        self.refresh_after = refresh_after
        self._background = background_catch_up
        self._ranking = Ranking.empty(params)
        self._catch_up_lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: Settings, papers: PaperStore, store: TrendingStore, *, background_catch_up: bool = False
    ) -> Trending:
        params = ScoreParams.from_settings(settings)
        refresh_after = timedelta(seconds=settings.trending_refresh_s)
        return cls(papers, store, params, refresh_after=refresh_after, background_catch_up=background_catch_up)

    # -- reading -------------------------------------------------------------------------------

    def trending(
        self, window: Window = Window.WEEK, filters: Filters = EVERYTHING, limit: int = 20, offset: int = 0
    ) -> list[TrendingItem]:
        """The ``limit`` papers trending most in ``window`` after ``offset``, best first.

        Only the category parts of ``filters`` apply (the window is the time range). Scores are
        computed at this moment from the latest refresh's attention.
        """
        ranked = self.ranking().top(window, filters, seconds(self._clock()), limit, offset)
        stored = {paper.pk: paper for paper in self._papers.get_many([r.paper_pk for r in ranked])}
        return [TrendingItem(stored[r.paper_pk], r.score, window, r.activity) for r in ranked if r.paper_pk in stored]

    def ranking(self) -> Ranking:
        """The latest refresh's ranking (see the class for when it is caught up)."""
        current = self._ranking
        if self._store.state().generation == current.generation:
            return current
        if self._background and current.generation:
            if not self._catch_up_lock.locked():
                threading.Thread(target=self._catch_up_logged, name="trending-catch-up", daemon=True).start()
            return current
        # Without a ranking to serve meanwhile every caller waits for the one catching up; otherwise
        # the others keep serving the previous refresh.
        return self._catch_up(wait=current.generation == 0)

    def warm_up(self) -> None:
        """Load the latest refresh's ranking on a thread (a web app starting): ~4 s of reading at 1M papers."""
        threading.Thread(target=self._catch_up_logged, args=(True,), name="trending-warm-up", daemon=True).start()

    def _catch_up_logged(self, wait: bool = False) -> None:
        """:meth:`_catch_up` on a thread of its own: a store that cannot be read is logged, and the next
        request tries again (and answers its caller with the error)."""
        try:
            self._catch_up(wait)
        except PapertideError:
            log.exception("trending could not catch up with the latest refresh")

    def _catch_up(self, wait: bool = False) -> Ranking:
        """Read what the refreshes since wrote, build the new ranking and precompute the orders the previous
        one was asked for, so the requests after it find them ready."""
        if not self._catch_up_lock.acquire(blocking=wait):
            return self._ranking
        try:
            ranking = self._ranking
            generation = self._store.state().generation
            if generation != ranking.generation:
                behind = 0 < ranking.generation < generation
                caught_up = ranking.caught_up(self._store.read_rows(ranking.generation if behind else None))
                caught_up.prepare(ranking.prepared())
                self._ranking = ranking = caught_up
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
            report = refresh(self._store, self.params, self._clock(), full=full)
        self._catch_up(wait=True)
        return report

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
            self._catch_up(wait=True)
        except PapertideError:
            log.exception("trending refresh failed")
        finally:
            self._refresh_lock.release()
