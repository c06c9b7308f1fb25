"""Claiming rows for one worker among many: the dialect-specific SQL, behind one small interface.

Two things differ between SQLite and PostgreSQL here. *Claiming a batch*: SQLite has one writer at
a time, so an ``UPDATE ... WHERE pk IN (SELECT ... LIMIT n) RETURNING`` runs alone and the rows it
picks cannot be taken by anyone else meanwhile; PostgreSQL runs claimers side by side, so its
sub-select locks the rows it picks with ``FOR UPDATE SKIP LOCKED`` and concurrent claimers each get
different rows without waiting on each other. *Inserting a row unless it exists*: both spell it
``INSERT ... ON CONFLICT DO NOTHING``, but through their own SQLAlchemy dialect constructs.

Single-row claims (a job's lease) need nothing dialect-specific: a conditional ``UPDATE ... WHERE
<still free>`` whose rowcount says whether this caller won is atomic on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, Engine, Row, Table, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from papertide.errors import StoreError


class Claims(Protocol):
    """What a store needs from its database to hand rows to one worker at a time."""

    def claim(
        self,
        conn: Connection,
        table: Table,
        ready: ColumnElement[bool],
        order_by: Sequence[ColumnElement[Any]],
        limit: int,
        values: dict[str, Any],
    ) -> list[Row]:
        """Set ``values`` on up to ``limit`` rows that are ``ready`` (in ``order_by`` order); return them."""
        ...

    def insert_missing(self, conn: Connection, table: Table, row: dict[str, Any]) -> bool:
        """Insert ``row`` unless its key exists; whether it was inserted."""
        ...


class SqliteClaims:
    """SQLite: one writer at a time makes the claiming statement atomic by itself."""

    def claim(self, conn, table, ready, order_by, limit, values) -> list[Row]:
        picked = select(table.c.pk).where(ready).order_by(*order_by).limit(limit).scalar_subquery()
        statement = update(table).where(table.c.pk.in_(picked)).values(values).returning(*table.c)
        return list(conn.execute(statement))

    def insert_missing(self, conn, table, row) -> bool:
        return _inserted(conn, sqlite.insert(table).values(row).on_conflict_do_nothing())


class PostgresClaims:
    """PostgreSQL: claimers run concurrently; SKIP LOCKED gives each its own rows without waiting."""

    def claim(self, conn, table, ready, order_by, limit, values) -> list[Row]:
        picked = (
            select(table.c.pk)
            .where(ready)
            .order_by(*order_by)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        statement = update(table).where(table.c.pk.in_(picked)).values(values).returning(*table.c)
        return list(conn.execute(statement))

    def insert_missing(self, conn, table, row) -> bool:
        return _inserted(conn, postgresql.insert(table).values(row).on_conflict_do_nothing())


def _inserted(conn: Connection, statement: Any) -> bool:
    # RETURNING says whether the row went in: the rowcount of an INSERT that SQLAlchemy gives an
    # implicit RETURNING is -1 under psycopg.
    return conn.execute(statement.returning(literal(1))).first() is not None


def claims_for(engine: Engine) -> Claims:
    """The claiming SQL of ``engine``'s database."""
    if engine.dialect.name == "sqlite":
        return SqliteClaims()
    if engine.dialect.name == "postgresql":
        return PostgresClaims()
    raise StoreError(f"claiming work is not implemented for {engine.dialect.name} databases")
