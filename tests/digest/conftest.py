"""A digest world: a store whose clock the test moves, papers that arrive on chosen days, a lexical index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.digest.compose import Composer
from papertide.ingest.pipeline import ingest
from papertide.library import Library
from papertide.model import Paper, Signal
from papertide.search.engine import SearchEngine
from papertide.search.lexical.index import LexicalIndex
from papertide.store import Stores
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.digest.subscriptions import Subscription, SubscriptionStore
from papertide.store.papers.store import PaperStore
from papertide.trending import ScoreParams, Trending
from tests.postgres import with_migrated_database


class Clock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    settings: Settings
    clock: Clock
    store: PaperStore
    subscriptions: SubscriptionStore
    lexical: LexicalIndex
    trending: Trending
    composer: Composer

    def arrive(self, papers: Sequence[Paper], at: datetime) -> None:
        """Store ``papers`` as if ingested at ``at``, and index them."""
        self.clock.now = at
        summary = ingest(papers, self.store)
        assert summary.rejected == 0, summary.errors
        self.lexical.update_from(self.store)

    def subscriber(self, email: str = "reader@example.org", **preferences: object) -> Subscription:
        """An active subscription, confirmed at the clock's time, with these preferences."""
        from papertide.digest.preferences import Preferences

        subscription = self.subscriptions.get_or_create(email, Preferences.parse(preferences).to_dict(), "nonce")
        return self.subscriptions.activate(subscription.pk)


def paper(
    number: int,
    title: str,
    *,
    categories: Sequence[str] = ("cs.LG",),
    submitted: datetime,
    authors: Sequence[str] = ("Ada Lovelace",),
    upvotes: int | None = None,
    observed: datetime | None = None,
    abstract: str = "An abstract about learning.",
) -> Paper:
    """A cs.LG paper numbered 2612.<number>; ``upvotes`` on Hugging Face as ``observed`` (default: at submission)."""
    signals = [Signal("hf_upvotes", upvotes, observed or submitted)] if upvotes is not None else []
    return Paper(
        id=f"2612.{number:05d}",
        title=title,
        abstract=abstract,
        authors=list(authors),
        categories=list(categories),
        submitted=submitted,
        source="oai",
        signals=signals,
    )


def at(day: int, hour: int = 0, minute: int = 0, month: int = 12) -> datetime:
    """A UTC moment in December 2026 (1 December 2026 is a Tuesday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def world(request: pytest.FixtureRequest, tmp_path: Path) -> World:
    settings = load_settings(data_dir=with_migrated_database(request, tmp_path), base_url="https://papers.example.org")
    clock = Clock(at(1))
    engine = create_store_engine(settings.resolved_database_url)
    migrate(engine)
    store = PaperStore(engine, clock=clock)
    subscriptions = SubscriptionStore(engine, clock=clock)
    lexical = LexicalIndex.open(settings.index_dir / "lexical")
    search = SearchEngine(store, lexical, None, None)
    stores = Stores.beside(store, settings)
    params = ScoreParams.from_settings(settings)
    trending = Trending(store, stores.trending, params, refresh_after=timedelta(minutes=5))
    for_you = Library.over(stores, search, settings).for_you
    composer = Composer(settings, store, search, subscriptions, stores.accounts, trending, for_you)
    return World(settings, clock, store, subscriptions, lexical, trending, composer)
