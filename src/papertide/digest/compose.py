"""What one digest holds: the papers new to a subscriber in a period, in sections, each with its reason.

A digest covers the papers that *arrived* in the store in its window, ``[since, cutoff)``:
``since`` is the cutoff of the subscriber's last digest (sent or skipped), else the delivery
scheduled before this one; never more than :data:`MAX_LOOKBACK` back. Papers that arrive long
after their submission (``digest_max_age_days``) are backfills, not news, and stay out.

Sections, in the order a paper is claimed (a paper appears once, in the first that wants it):
alerts (saved searches and followed authors, matched by the lexical index), "for you", and
trending in the subscriber's categories: the papers :class:`~papertide.trending.Trending` ranks
highest in the trending window that covers the digest's (a day, a week, a month), then the new
arrivals in those categories, most upvoted first. They share the subscriber's ``max_papers`` in
turns, so one busy section cannot crowd out the others. A paper any earlier digest brought this
subscriber is left out (``digest_papers``). Nothing arrived, or nothing left: no digest (None).

Composition reads stored state and the period, never sends or records: composing the same period
twice gives the same digest until one is recorded or trending is refreshed, which is what the
preview relies on. Trending scores are those of the latest refresh (the worker refreshes before
it sends), so a preview of a past date shows today's trending papers.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.config import Settings
from papertide.digest.alerts import alert_query, describe_alert
from papertide.digest.preferences import Preferences, Section
from papertide.digest.schedule import Period, previous_cutoff
from papertide.search.engine import SearchEngine
from papertide.store.digest import Subscription, SubscriptionStore
from papertide.store.papers import PaperStore, StoredPaper
from papertide.trending import Trending, TrendingItem, Window

MAX_LOOKBACK = timedelta(days=14)
UPVOTES = "hf_upvotes"
# The order in which sections claim papers; a paper is shown once, in the first that wants it.
CLAIM_ORDER = (Section.ALERTS, Section.FOR_YOU, Section.TRENDING)
# The order in which they are shown.
SHOWN_ORDER = (Section.TRENDING, Section.FOR_YOU, Section.ALERTS)
SECTION_TITLES = {
    Section.TRENDING: "Trending in your categories",
    Section.FOR_YOU: "For you",
    Section.ALERTS: "From your alerts",
}
_CACHED_WINDOWS = 64
# Trending papers fetched per (window, categories): enough for the largest digest after history drops some.
TRENDING_DEPTH = 100
_WINDOWS_BY_LENGTH = sorted(Window, key=lambda window: window.length)


@dataclass(frozen=True, slots=True)
class DigestItem:
    paper: StoredPaper
    reason: str  # why it is in this digest, for the reader


@dataclass(frozen=True, slots=True)
class DigestSection:
    section: Section
    title: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class ComposedDigest:
    """One subscriber's digest for one period, ready to render; its papers are recorded once it is sent."""

    subscription: Subscription
    preferences: Preferences
    period: Period
    since: datetime
    sections: tuple[DigestSection, ...]  # non-empty ones only, in SHOWN_ORDER

    @property
    def paper_pks(self) -> list[int]:
        return [item.paper.pk for section in self.sections for item in section.items]

    @property
    def count(self) -> int:
        return sum(len(section.items) for section in self.sections)


@dataclass(frozen=True, slots=True)
class _Candidate:
    paper: StoredPaper
    reason: str

    @property
    def pk(self) -> int:
        return self.paper.pk


class _Window:
    """The papers that arrived in one window, loaded once and shared by every subscriber with that window."""

    def __init__(self, since: datetime, cutoff: datetime, papers: list[StoredPaper]) -> None:
        self.span = cutoff - since
        self.papers = {paper.pk: paper for paper in papers}
        self.pks = [paper.pk for paper in papers]  # newest first


def window_start(subscription: Subscription, preferences: Preferences, period: Period) -> datetime:
    """Where ``period``'s window starts for this subscriber (see the module note)."""
    last = subscription.last_cutoff
    since = last if last is not None and last < period.cutoff else previous_cutoff(preferences, period)
    return max(since, period.cutoff - MAX_LOOKBACK)


class Composer:
    """Composes digests over one store and search engine; caches each window's arrivals."""

    def __init__(
        self,
        settings: Settings,
        store: PaperStore,
        engine: SearchEngine,
        subscriptions: SubscriptionStore,
        trending: Trending,
    ) -> None:
        self._max_age = timedelta(days=settings.digest_max_age_days)
        self._store = store
        self._engine = engine
        self._subscriptions = subscriptions
        self._trending = trending
        self._windows: OrderedDict[tuple[datetime, datetime], _Window] = OrderedDict()
        self._trends: OrderedDict[tuple, list[TrendingItem]] = OrderedDict()

    def compose(self, subscription: Subscription, period: Period) -> ComposedDigest | None:
        """The digest of ``period`` for ``subscription``, or None when there is nothing new to send."""
        preferences = Preferences.from_dict(subscription.preferences)
        since = window_start(subscription, preferences, period)
        window = self._window(since, period.cutoff)
        if not window.pks:
            return None  # no paper arrived: no mail that day
        candidates = {section: self._candidates(section, subscription, preferences, window) for section in CLAIM_ORDER}
        sent = self._subscriptions.already_sent(
            subscription.pk, {c.pk for ranked in candidates.values() for c in ranked}
        )
        chosen = _share(candidates, sent, preferences.max_papers)
        sections = tuple(
            DigestSection(section, SECTION_TITLES[section], tuple(DigestItem(c.paper, c.reason) for c in picked))
            for section in SHOWN_ORDER
            if (picked := chosen[section])
        )
        if not sections:
            return None
        return ComposedDigest(subscription, preferences, period, since, sections)

    def _window(self, since: datetime, cutoff: datetime) -> _Window:
        def load() -> _Window:
            pks = self._store.arrived(since, cutoff, since - self._max_age)
            return _Window(since, cutoff, self._store.get_many(pks))

        return _cached(self._windows, (since, cutoff), load)

    def _trending_items(self, window: Window, preferences: Preferences) -> list[TrendingItem]:
        filters = preferences.filters
        key = (self._trending.as_of, window, filters)
        return _cached(self._trends, key, lambda: self._trending.trending(window, filters, limit=TRENDING_DEPTH))

    def _candidates(
        self, section: Section, subscription: Subscription, preferences: Preferences, window: _Window
    ) -> list[_Candidate]:
        if section not in preferences.sections:
            return []
        if section is Section.ALERTS:
            return self._alert_candidates(subscription, window)
        if section is Section.TRENDING:
            trending_window = _trending_window(window.span)
            trending = [
                _Candidate(item.paper, _trending_reason(item, preferences))
                for item in self._trending_items(trending_window, preferences)
            ]
            return trending + _new_arrivals(preferences, window)
        return []

    def _alert_candidates(self, subscription: Subscription, window: _Window) -> list[_Candidate]:
        """New papers matching each alert, best match first, the alerts taking turns."""
        per_alert = []
        for alert in self._subscriptions.alerts(subscription.pk):
            scores = self._engine.lexical.scores(alert_query(alert.kind, alert.value), window.pks)
            ranked = sorted(scores, key=lambda pk: (-scores[pk], -pk))
            reason = describe_alert(alert.kind, alert.value)
            per_alert.append(deque(_Candidate(window.papers[pk], reason) for pk in ranked))
        return _interleave(per_alert)


def _trending_window(span: timedelta) -> Window:
    """The shortest trending window covering the digest's own."""
    return next((window for window in _WINDOWS_BY_LENGTH if span <= window.length), _WINDOWS_BY_LENGTH[-1])


def _new_arrivals(preferences: Preferences, window: _Window) -> list[_Candidate]:
    """The new papers in the subscriber's categories, most upvoted first, then newest."""
    filters = preferences.filters
    kept = [window.papers[pk] for pk in window.pks if filters.category_matches(window.papers[pk].paper.categories)]
    ranked = sorted(kept, key=lambda paper: -_upvotes(paper))  # stable: newest first among equals
    return [_Candidate(paper, _new_reason(paper, preferences)) for paper in ranked]


def _upvotes(paper: StoredPaper) -> float:
    signal = paper.signals.get(UPVOTES)
    return signal.value if signal else 0.0


def _category_of(paper: StoredPaper, preferences: Preferences) -> str | None:
    """The paper's first category among the subscriber's (its primary one when they chose none)."""
    categories = paper.paper.categories
    if preferences.categories:
        categories = [c for c in categories if preferences.filters.category_matches([c])] or categories
    return categories[0] if categories else None


def _trending_reason(item: TrendingItem, preferences: Preferences) -> str:
    category = _category_of(item.paper, preferences)
    where = f"Trending in {category}" if category else "Trending"
    return f"{where}: {item.reason}" if item.reason else where


def _new_reason(paper: StoredPaper, preferences: Preferences) -> str:
    category = _category_of(paper, preferences)
    where = f"New in {category}" if category else "New"
    upvotes = int(_upvotes(paper))
    return f"{where} · {upvotes} upvote{'s' if upvotes != 1 else ''} on Hugging Face" if upvotes else where


def _cached(cache: OrderedDict, key, make):
    """``cache[key]``, made on first use; the oldest entry goes beyond :data:`_CACHED_WINDOWS`."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = make()
        if len(cache) > _CACHED_WINDOWS:
            cache.popitem(last=False)
    return found


def _interleave(queues: list[deque[_Candidate]]) -> list[_Candidate]:
    """The first of each queue, then the second of each, ...: round robin."""
    merged: list[_Candidate] = []
    queues = [queue for queue in queues if queue]
    while queues:
        for queue in queues:
            merged.append(queue.popleft())
        queues = [queue for queue in queues if queue]
    return merged


def _share(candidates: dict[Section, list[_Candidate]], sent: set[int], limit: int) -> dict[Section, list[_Candidate]]:
    """Up to ``limit`` papers, the sections taking turns in claim order; each paper once, none sent before."""
    queues = {section: deque(c for c in ranked if c.pk not in sent) for section, ranked in candidates.items()}
    chosen: dict[Section, list[_Candidate]] = {section: [] for section in candidates}
    taken: set[int] = set()
    total = 0
    while total < limit and any(queues.values()):
        for section in CLAIM_ORDER:
            queue = queues[section]
            while queue and queue[0].pk in taken:
                queue.popleft()
            if queue and total < limit:
                candidate = queue.popleft()
                chosen[section].append(candidate)
                taken.add(candidate.pk)
                total += 1
    return chosen
