"""What one digest holds: the papers new to a subscriber in a period, in sections, each with its reason.

A digest covers the papers that *arrived* in the store in its window, ``[since, cutoff)``:
``since`` is the cutoff of the subscriber's last digest (sent or skipped), else the delivery
scheduled before this one; never more than :data:`MAX_LOOKBACK` back. The window also reads
:data:`ARRIVAL_OVERLAP` before ``since``, for papers whose write committed after the last digest
read its window. Papers that arrive long
after their submission (``digest_max_age_days``) are backfills, not news, and stay out.

Sections, in the order a paper is claimed (a paper appears once, in the first that wants it):
alerts (saved searches and followed authors, matched by the lexical index), "for you" (the
library's recommendation from the papers the subscriber's account saved or upvoted, among papers
submitted recently), and trending in the subscriber's categories: the papers :class:`~papertide.trending.Trending` ranks
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

import heapq
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from papertide.config import Settings
from papertide.digest.alerts import alert_query, describe_alert
from papertide.digest.preferences import Preferences, Section
from papertide.digest.schedule import Period, previous_cutoff
from papertide.errors import QueryError
from papertide.library.for_you import ForYou, because_text
from papertide.search.author_terms import with_author_spellings
from papertide.search.engine import SearchEngine
from papertide.search.lexical.index import LexicalIndex
from papertide.search.query import Filters
from papertide.search.semantic.index import VectorSet
from papertide.store.accounts.store import AccountStore
from papertide.store.digest.subscriptions import Subscription, SubscriptionStore
from papertide.store.papers.store import PaperStore, StoredPaper
from papertide.trending import Trending, TrendingItem, Window

MAX_LOOKBACK = timedelta(days=14)
# A paper's arrival time is taken when its write transaction starts, so one committed just after a
# cutoff can carry a time just before it, after that digest read its window. Each window therefore
# also reads this far back before its start; the sent history keeps out what the last digest brought.
ARRIVAL_OVERLAP = timedelta(minutes=10)
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
_CACHED = 256  # entries kept by each of a composer's caches
# A section offers at most this many candidates per paper a digest holds; history is checked on those.
CANDIDATES_PER_PAPER = 3
# Trending papers fetched per (trending window, category pattern), and newest matches searched per alert.
TRENDING_DEPTH = 50
ALERT_DEPTH = 500
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
    explain: Callable[[], str]  # its reason, worked out only if it is chosen

    @property
    def pk(self) -> int:
        return self.paper.pk


class _Arrivals:
    """The papers that arrived in a window, loaded once and shared by every subscriber whose window
    holds the same papers: arXiv announces once a day, so windows ending at different hours mostly do.

    Category patterns are matched against the arrivals' few hundred distinct categories, once per
    pattern, not against its papers once per subscriber.
    """

    def __init__(self, papers: list[StoredPaper]) -> None:
        self.papers = {paper.pk: paper for paper in papers}
        self.pks = [paper.pk for paper in papers]  # newest first
        # Most upvoted first, then newest: the order new arrivals are offered in (sorted is stable).
        by_upvotes = sorted(self.pks, key=lambda pk: -_upvotes(self.papers[pk]))
        self._rank = {pk: position for position, pk in enumerate(by_upvotes)}
        self._by_category: dict[str, list[int]] = {}
        for paper in papers:
            for category in dict.fromkeys(paper.paper.categories):
                self._by_category.setdefault(category, []).append(paper.pk)
        self._patterns: dict[str, tuple[frozenset[str], frozenset[int]]] = {}
        self.vectors: VectorSet | None = None  # the arrivals' vectors, once For you needs them
        self.lexical: LexicalIndex | None = None  # the arrivals alone, once an alert needs them
        self.alert_matches: OrderedDict[tuple[str, str], list[int]] = OrderedDict()

    def pattern(self, pattern: str) -> tuple[frozenset[str], frozenset[int]]:
        """The window's categories a pattern matches, and the arrivals listed in any of them."""
        found = self._patterns.get(pattern)
        if found is None:
            only = Filters((pattern,))
            categories = frozenset(c for c in self._by_category if only.category_matches([c]))
            pks = frozenset(pk for category in categories for pk in self._by_category[category])
            found = self._patterns[pattern] = (categories, pks)
        return found

    def best(self, filters: Filters, depth: int) -> tuple[list[int], frozenset[str] | None]:
        """The ``depth`` most upvoted arrivals passing ``filters`` (newest first among equals), and the
        categories its includes allow (None: all)."""
        allowed = None
        passing: Iterable[int] = self.pks
        if filters.categories_include:
            parts = [self.pattern(pattern) for pattern in filters.categories_include]
            allowed = frozenset().union(*(categories for categories, _ in parts))
            passing = set().union(*(pks for _, pks in parts))
        if filters.categories_exclude:
            passing = set(passing).difference(*(self.pattern(p)[1] for p in filters.categories_exclude))
        return heapq.nsmallest(depth, passing, key=self._rank.__getitem__), allowed


def window_start(subscription: Subscription, preferences: Preferences, period: Period) -> datetime:
    """Where ``period``'s window starts for this subscriber (see the module note)."""
    last = subscription.last_cutoff
    since = last if last is not None and last < period.cutoff else previous_cutoff(preferences, period)
    return max(since, period.cutoff - MAX_LOOKBACK)


class Composer:
    """Composes digests over one store and search engine; caches what subscribers share.

    Each window's arrivals (one copy for windows holding the same papers), each alert's matches
    among them and each category's trending list are computed once for every subscriber who needs
    them (the caches keep the latest :data:`_CACHED` of each), so a composer serves a whole sending run.
    """

    def __init__(
        self,
        settings: Settings,
        store: PaperStore,
        engine: SearchEngine,
        subscriptions: SubscriptionStore,
        accounts: AccountStore,
        trending: Trending,
        for_you: ForYou,
    ) -> None:
        self._max_age = timedelta(days=settings.digest_max_age_days)
        self._store = store
        self._engine = engine
        self._subscriptions = subscriptions
        self._trending = trending
        self._for_you = for_you
        self._accounts = accounts
        self._windows: OrderedDict[tuple[datetime, datetime], _Arrivals] = OrderedDict()
        self._arrivals: OrderedDict[tuple[int, ...], _Arrivals] = OrderedDict()
        self._trends: OrderedDict[tuple, list[TrendingItem]] = OrderedDict()
        self._backfills: OrderedDict[tuple[datetime, datetime], int] = OrderedDict()

    def compose(self, subscription: Subscription, period: Period) -> ComposedDigest | None:
        """The digest of ``period`` for ``subscription``, or None when there is nothing new to send."""
        preferences = Preferences.from_dict(subscription.preferences)
        since = window_start(subscription, preferences, period)
        arrivals = self._window(since, period.cutoff)
        if not arrivals.pks:
            return None  # no paper arrived: no mail that day
        depth = CANDIDATES_PER_PAPER * preferences.max_papers
        span = period.cutoff - since
        candidates = {
            section: self._candidates(section, subscription, preferences, arrivals, span, depth)
            for section in CLAIM_ORDER
        }
        sent = self._subscriptions.already_sent(
            subscription.pk, {c.pk for ranked in candidates.values() for c in ranked}
        )
        chosen = _share(candidates, sent, preferences.max_papers)
        sections = tuple(
            DigestSection(section, SECTION_TITLES[section], tuple(DigestItem(c.paper, c.explain()) for c in picked))
            for section in SHOWN_ORDER
            if (picked := chosen[section])
        )
        if not sections:
            return None
        return ComposedDigest(subscription, preferences, period, since, sections)

    def why_empty(self, subscription: Subscription, period: Period) -> str:
        """Why :meth:`compose` gives no digest for this period, in words for a report or a preview."""
        preferences = Preferences.from_dict(subscription.preferences)
        since = window_start(subscription, preferences, period)
        between = f"between {since:%Y-%m-%d %H:%M} and {period.cutoff:%Y-%m-%d %H:%M} UTC"
        if since == subscription.last_cutoff:
            between = f"since the last digest ({between})"
        arrived = len(self._window(since, period.cutoff).pks)
        old = _cached(
            self._backfills,
            (since, period.cutoff),
            lambda: self._store.count_backfills(since - ARRIVAL_OVERLAP, period.cutoff, since - self._max_age),
        )  # one count per window, however many subscribers it leaves without a digest
        backfills = (
            f"{old} paper{'s' if old != 1 else ''} older than the maximum age "
            f"({self._max_age.days} days, PAPERTIDE_DIGEST_MAX_AGE_DAYS)"
        )
        if arrived:
            which = "the one new paper is not" if arrived == 1 else f"none of the {arrived} new papers is"
            found = f"nothing new for them {between}: {which} in their categories, sections or alerts, "
            found += "or was in an earlier digest" if arrived == 1 else "or each was in an earlier digest"
            return found + (f"; {backfills} left out" if old else "")
        if old:
            return f"nothing new {between}: only {backfills} arrived"
        return f"nothing arrived {between}"

    def _window(self, since: datetime, cutoff: datetime) -> _Arrivals:
        def load() -> _Arrivals:
            pks = self._store.arrived(since - ARRIVAL_OVERLAP, cutoff, since - self._max_age)
            return _cached(self._arrivals, tuple(pks), lambda: _Arrivals(self._store.get_many(pks)))

        return _cached(self._windows, (since, cutoff), load)

    def _candidates(
        self,
        section: Section,
        subscription: Subscription,
        preferences: Preferences,
        arrivals: _Arrivals,
        span: timedelta,
        depth: int,
    ) -> list[_Candidate]:
        """The papers the section offers, best first, a few times more than a digest holds (history not applied).

        Trending offers ``depth`` trending papers and then ``depth`` new arrivals, so on a day when
        every paper still trending was sent before, the new ones still come.
        """
        if section not in preferences.sections:
            return []
        if section is Section.ALERTS:
            return self._alert_candidates(subscription, arrivals, depth)
        if section is Section.FOR_YOU:
            return self._for_you_candidates(subscription, arrivals, depth)
        trending = self._trending_candidates(_trending_window(span), preferences, depth)
        return trending + _new_arrivals(preferences, arrivals, depth)

    def _alert_candidates(self, subscription: Subscription, arrivals: _Arrivals, depth: int) -> list[_Candidate]:
        """New papers matching each alert, best match first, the alerts taking turns."""
        per_alert = []
        for alert in self._subscriptions.alerts(subscription.pk):
            reason = partial(describe_alert, alert.kind, alert.value)
            matches = self._alert_matches_in(arrivals, alert.kind, alert.value)[:depth]
            per_alert.append(deque(_Candidate(arrivals.papers[pk], reason) for pk in matches))
        return _interleave(per_alert)[:depth]

    def _alert_matches_in(self, arrivals: _Arrivals, kind: str, value: str) -> list[int]:
        """An alert's matches among the window's arrivals, best match first.

        Searched in an index of the arrivals alone, made once for them: an alert then costs what a
        night's papers cost, not what the library does (a search of the whole library took ~1.5 ms
        per digest at 1M papers).
        """

        def search() -> list[int]:
            try:
                query = with_author_spellings(alert_query(kind, value), self._engine.author_names)
            except QueryError:  # stored under an older parser: it can match nothing now
                return []
            if arrivals.lexical is None:
                arrivals.lexical = LexicalIndex.of_papers(arrivals.papers.values())
            return [pk for pk, _ in arrivals.lexical.search(query, limit=ALERT_DEPTH).hits]

        return _cached(arrivals.alert_matches, (kind, value), search)

    def _for_you_candidates(self, subscription: Subscription, arrivals: _Arrivals, depth: int) -> list[_Candidate]:
        """The library's "For you" among the window's new papers, for a subscriber with an account that liked some."""
        user = self._accounts.user(subscription.user_pk) if subscription.user_pk is not None else None
        if user is None:
            return []
        vectors = self._engine.vectors
        if vectors is None:
            return []
        if arrivals.vectors is None:  # gathered once per set of arrivals, scored for every subscriber
            arrivals.vectors = vectors.subset(arrivals.pks)
        picks = self._for_you.picks_among(user, arrivals.vectors, depth)
        because = {paper.pk: paper for paper in self._store.get_many(list({p.because_pk for p in picks}))}
        return [
            _Candidate(arrivals.papers[pick.pk], partial(because_text, because[pick.because_pk], pick.saved))
            for pick in picks
            if pick.because_pk in because
        ]

    def _trending_candidates(self, window: Window, preferences: Preferences, depth: int) -> list[_Candidate]:
        """The ``depth`` papers trending most in the subscriber's categories, from cached lists per pattern."""
        found: dict[int, TrendingItem] = {}
        for pattern in preferences.categories or (None,):
            for item in self._trending_in(window, pattern):
                found.setdefault(item.paper.pk, item)
        keep = Filters((), preferences.exclude)
        ranked = sorted(found.values(), key=lambda item: (-item.score, -item.paper.pk))
        kept = [item for item in ranked if keep.category_matches(item.paper.paper.categories)][:depth]
        return [_Candidate(item.paper, partial(_trending_reason, item, preferences)) for item in kept]

    def _trending_in(self, window: Window, pattern: str | None) -> list[TrendingItem]:
        filters = Filters((pattern,)) if pattern else Filters()
        key = (self._trending.as_of, window, pattern)
        return _cached(self._trends, key, lambda: self._trending.trending(window, filters, limit=TRENDING_DEPTH))


def _trending_window(span: timedelta) -> Window:
    """The shortest trending window covering the digest's own."""
    return next((window for window in _WINDOWS_BY_LENGTH if span <= window.length), _WINDOWS_BY_LENGTH[-1])


def _new_arrivals(preferences: Preferences, arrivals: _Arrivals, depth: int) -> list[_Candidate]:
    """The first ``depth`` new papers in the subscriber's categories, most upvoted first, then newest."""
    ranked, allowed = arrivals.best(preferences.filters, depth)
    return [_Candidate(arrivals.papers[pk], partial(_new_reason, arrivals.papers[pk], allowed)) for pk in ranked]


def _upvotes(paper: StoredPaper) -> float:
    signal = paper.signals.get(UPVOTES)
    return signal.value if signal else 0.0


def _category_of(paper: StoredPaper, allowed: frozenset[str] | None) -> str | None:
    """The paper's first category among those the subscriber chose (its primary one when they chose none)."""
    categories = paper.paper.categories
    if allowed is not None:
        categories = [c for c in categories if c in allowed] or categories
    return categories[0] if categories else None


def _trending_reason(item: TrendingItem, preferences: Preferences) -> str:
    allowed = None
    if preferences.categories:
        only = Filters(preferences.categories)
        allowed = frozenset(c for c in item.paper.paper.categories if only.category_matches([c]))
    category = _category_of(item.paper, allowed)
    where = f"Trending in {category}" if category else "Trending"
    return f"{where}: {item.reason}" if item.reason else where


def _new_reason(paper: StoredPaper, allowed: frozenset[str] | None) -> str:
    category = _category_of(paper, allowed)
    where = f"New in {category}" if category else "New"
    upvotes = int(_upvotes(paper))
    return f"{where} · {upvotes} upvote{'s' if upvotes != 1 else ''} on Hugging Face" if upvotes else where


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
    """Up to ``limit`` papers, none sent before and none twice, the sections taking turns in claim order.

    A paper offered more than once belongs to its first offer: the first section in :data:`CLAIM_ORDER`
    that offers it, and within a section its first place (trending offers a paper that trends and
    is new twice, the trending reason first).
    """
    offered = set(sent)
    queues: dict[Section, deque[_Candidate]] = {section: deque() for section in CLAIM_ORDER}
    for section in CLAIM_ORDER:
        for candidate in candidates[section]:
            if candidate.pk not in offered:
                offered.add(candidate.pk)
                queues[section].append(candidate)
    chosen: dict[Section, list[_Candidate]] = {section: [] for section in CLAIM_ORDER}
    total = 0
    while total < limit and any(queues.values()):
        for section in CLAIM_ORDER:
            if queues[section] and total < limit:
                chosen[section].append(queues[section].popleft())
                total += 1
    return chosen


def _cached(cache: OrderedDict, key, make):
    """``cache[key]``, made on first use; the oldest entry goes beyond :data:`_CACHED`."""
    found = cache.get(key)
    if found is None:
        found = cache[key] = make()
        if len(cache) > _CACHED:
            cache.popitem(last=False)
    return found
