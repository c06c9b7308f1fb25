"""The paper store: SQLAlchemy Core tables shared by SQLite and PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from papertide.config import Settings
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.papers.store import PaperStore


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


__all__ = ["PaperStore", "open_configured_store", "open_store"]
