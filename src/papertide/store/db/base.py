"""What every table group's store shares: an engine, a clock, and database errors turned into StoreError."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Insert,
    Table,
    any_,
    bindparam,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import StoreError

Clock = Callable[[], datetime]
# How SQLAlchemy writes a DateTime into SQLite: "2024-10-22 09:30:00.000000", naive, always this long.
_SQLITE_TIME_LENGTH = 26
# The open transaction a store hands to a callback that writes in it (e.g. the outbox running a
# digest's history write): named here so that callers need not import SQLAlchemy to type it.
Transaction = Connection


def system_clock() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; every datetime in papertide is aware UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def raw_time(value: str | datetime | None) -> datetime | None:
    """A time read raw (its column coerced to ``String``): SQLite's naive UTC text, parsed by
    ``datetime.fromisoformat`` (C) rather than the DateTime type's processor, or PostgreSQL's aware datetime."""
    if isinstance(value, str):
        if len(value) == _SQLITE_TIME_LENGTH:  # naming UTC in the text costs a fifth of datetime.replace
            return datetime.fromisoformat(value + "+00:00")
        value = datetime.fromisoformat(value)
    return utc(value)


def raw_json(value: object) -> object:
    """A JSON value read raw (its column coerced to ``String``): SQLite's text, or what psycopg has parsed already."""
    return orjson.loads(value) if isinstance(value, str) else value


def keys_in(column: ColumnElement, dialect: str) -> ColumnElement[bool]:
    """``column`` among the list bound as the one parameter ``keys`` (see :func:`keys_parameter`).

    One parameter, whatever the list's length: an expanding ``IN`` is re-rendered for every call
    (~0.15 ms of Python per statement), while this statement is compiled once.
    """
    if dialect == "postgresql":
        return column == any_(bindparam("keys", type_=postgresql.ARRAY(column.type)))
    return column.in_(select(literal_column("value")).select_from(func.json_each(bindparam("keys"))))


def keys_parameter(keys: Sequence[object], dialect: str) -> object:
    """The ``keys`` parameter of a statement built with :func:`keys_in`: a list, or its JSON text for SQLite."""
    return list(keys) if dialect == "postgresql" else orjson.dumps(list(keys)).decode()


def insert_ignoring_duplicates(conn: Connection, table: Table) -> Insert:
    """An INSERT that skips rows whose key already exists: one atomic statement where a read, then a
    write, would race (two requests adding the same vote or the same saved paper at once).
    """
    dialect = {"sqlite": sqlite, "postgresql": postgresql}.get(conn.dialect.name)
    if dialect is None:
        raise StoreError(f"no insert-or-ignore for the {conn.dialect.name} dialect")
    return dialect.insert(table).on_conflict_do_nothing()


def hold_transaction_lock(conn: Connection, name: str) -> None:
    """Make transactions that take the lock ``name`` run one at a time, until each commits or rolls back.

    PostgreSQL: a transaction-level advisory lock, so e.g. change sequence numbers are handed out
    in commit order even with several ingest processes. SQLite needs nothing: it admits one writer
    at a time by itself.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(name.encode())})


class TableStore:
    """Base of the per-concern stores: one engine, one clock, and the border where database errors enter."""

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        self.engine = engine
        self._clock = clock

    def now(self) -> datetime:
        """The store's idea of now: tests hand in a controlled clock."""
        return self._clock()

    @property
    def backend(self) -> str:
        """The database's kind, ``sqlite`` or ``postgresql``: what settings that depend on it are given,
        so that nothing outside the store looks at the engine."""
        return self.engine.dialect.name

    @property
    def address(self) -> str:
        """The database URL as it may be shown: the password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    def ping(self) -> None:
        """Ask the database to answer (a readiness probe); :class:`StoreError` when it does not."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StoreError(f"readiness probe: {exc.__class__.__name__}: {exc}") from exc

    def watch_pool(self, checked_out: Callable[..., object], checked_in: Callable[..., object]) -> int | None:
        """Call ``checked_out`` and ``checked_in`` as the connection pool lends and takes back a connection
        (pool-use metrics); the pool's size, or None when these callbacks watch this engine already (several
        apps over one store) or the pool has no fixed size."""
        if event.contains(self.engine, "checkout", checked_out):
            return None
        event.listen(self.engine, "checkout", checked_out)
        event.listen(self.engine, "checkin", checked_in)
        size = getattr(self.engine.pool, "size", None)
        return size() if callable(size) else None

    def close(self) -> None:
        """Close the pooled connections (the engine opens new ones if the store is used again)."""
        self.engine.dispose()

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """A connection for reads; database failures leave as :class:`StoreError`.

        On PostgreSQL it runs without a transaction: at the default READ COMMITTED isolation each
        statement sees its own snapshot either way, and BEGIN and the ROLLBACK at the pool's return
        would be two more round trips per read. SQLite is left as it is (its driver begins
        transactions for writes only).
        """
        try:
            with self.engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execution_options(isolation_level="AUTOCOMMIT")
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot read the store: {exc.__class__.__name__}: {exc}") from exc

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """One transaction: all of it or none of it; database failures leave as :class:`StoreError`."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot write to the store: {exc.__class__.__name__}: {exc}") from exc


def upsert(conn: Connection, table, rows: list[dict], keys: list[str]) -> None:
    """Insert ``rows``, replacing the non-key columns of rows whose ``keys`` already exist.

    Both dialects spell it ``INSERT ... ON CONFLICT (keys) DO UPDATE``; each has its own insert
    construct in SQLAlchemy.
    """
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    statement = dialect_insert(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=updates), rows)
