"""The Alembic migrations build exactly the tables that schema.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from papertide.store import PaperStore
from papertide.store.db.schema import metadata


def _is_comment_change(difference) -> bool:
    changes = difference if isinstance(difference, list) else [difference]
    return all("comment" in change[0] for change in changes)


def test_migrations_match_the_declared_schema(store: PaperStore) -> None:
    """Column comments in schema.py are notes for developers; PostgreSQL need not carry them."""
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in differences if not _is_comment_change(d)] == []
