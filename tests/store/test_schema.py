"""The Alembic migrations build exactly the tables that schema.py declares."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from papertide.store import PaperStore
from papertide.store.schema import metadata


def test_migrations_match_the_declared_schema(store: PaperStore) -> None:
    with store.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), metadata)
    assert differences == []
