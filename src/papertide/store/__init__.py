"""The paper store: SQLAlchemy Core tables shared by SQLite and PostgreSQL, migrated by Alembic."""

from __future__ import annotations

from papertide.store.db import create_store_engine, migrate
from papertide.store.papers import PaperStore


def open_store(url: str) -> PaperStore:
    """Open (creating and migrating as needed) the store at ``url``."""
    engine = create_store_engine(url)
    migrate(engine)
    return PaperStore(engine)


__all__ = ["PaperStore", "open_store"]
