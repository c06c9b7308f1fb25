"""The paper store: SQLAlchemy Core tables shared by SQLite and PostgreSQL, migrated by Alembic.

The only package that speaks SQL or knows the database's dialect: the rest of papertide asks its
stores (one per concern, :class:`Stores` holds them all) and reads :attr:`TableStore.backend
<papertide.store.db.base.TableStore.backend>` where a setting depends on the kind of database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import get_type_hints

from papertide.config import Settings
from papertide.store.accounts.rate_limits import RateLimitStore
from papertide.store.accounts.roles import RoleStore
from papertide.store.accounts.store import AccountStore
from papertide.store.authors.names import AuthorNameStore
from papertide.store.db.base import Clock
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.demo_activity import DemoActivityStore
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from papertide.store.digest.outbox import OutboxStore
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.store.discussion.activity import DiscussionActivity
from papertide.store.discussion.comments import CommentStore
from papertide.store.discussion.follows import FollowStore, NotificationOutbox
from papertide.store.discussion.moderation import ModerationStore
from papertide.store.instance import InstanceStore
from papertide.store.jobs import JobStore
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from papertide.store.papers.keys import PaperKeyStore
from papertide.store.papers.store import PaperStore
from papertide.store.search_texts import SearchTextStore
from papertide.store.trending import TrendingStore


def open_store(url: str, *, pool_size: int | None = None, max_overflow: int = 10) -> PaperStore:
    """Open (creating and migrating as needed) the store at ``url``."""
    engine = create_store_engine(url, pool_size=pool_size, max_overflow=max_overflow)
    migrate(engine)
    return PaperStore(engine)


def open_configured_store(settings: Settings) -> PaperStore:
    """The store ``settings`` name, with its connection pool sized by them."""
    return open_store(
        settings.resolved_database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow
    )


@dataclass(frozen=True, slots=True)
class Stores:
    """Every per-concern store of one database, on one engine (one connection pool) and one clock.

    Built once per process by :mod:`papertide.services`; the papers' embeddings are ``papers.vectors``.
    """

    papers: PaperStore
    accounts: AccountStore
    rate_limits: RateLimitStore
    search_texts: SearchTextStore
    votes: VoteStore
    collections: CollectionStore
    paper_keys: PaperKeyStore
    trending: TrendingStore
    subscriptions: SubscriptionStore
    outbox: OutboxStore
    bounces: BounceStore
    jobs: JobStore
    demo_activity: DemoActivityStore
    roles: RoleStore
    comments: CommentStore
    moderation: ModerationStore
    discussion_activity: DiscussionActivity
    follows: FollowStore
    notifications: NotificationOutbox
    author_names: AuthorNameStore
    instance: InstanceStore

    @classmethod
    def beside(cls, papers: PaperStore, settings: Settings | None = None, clock: Clock | None = None) -> Stores:
        """The stores of ``papers``'s database, on ``clock`` (default: the paper store's);
        ``settings`` give the bounce policy (default: :class:`BouncePolicy`'s)."""
        engine, clock = papers.engine, clock or papers.now
        policy = BouncePolicy.from_settings(settings) if settings is not None else None
        made = {name: kind(engine, clock) for name, kind in _made_alike().items()}
        return cls(papers=papers, bounces=BounceStore(engine, clock, policy), instance=InstanceStore(engine), **made)


@cache
def _made_alike() -> dict[str, type]:
    """The fields of :class:`Stores` whose store is made from the engine and the clock alone (all but three):
    their declared types, so that a new store is one line of the dataclass."""
    made_otherwise = ("papers", "bounces", "instance")
    return {name: kind for name, kind in get_type_hints(Stores).items() if name not in made_otherwise}


__all__ = ["PaperStore", "Stores", "open_configured_store", "open_store"]
