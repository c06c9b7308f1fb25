"""Copy one papertide database into another (SQLite -> PostgreSQL), verified and resumable.

``papertide db migrate-to URL`` calls :func:`copy_database`. Both databases are first brought to
the newest schema; then every table is copied in foreign-key order, in primary-key order, in
chunks of one transaction each. After each chunk the target records how far it got (in its own
``checkpoints`` table), so an interrupted copy resumes where it stopped. Derived rows that
triggers would write (trending's change log) are copied as they are, with the target's user
triggers off during the copy. Finally each table's row count and checksum (a digest of every row
in a form both dialects agree on, summed so that order does not matter) are compared.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import orjson
from sqlalchemy import Connection, Engine, Table, delete, func, insert, select, text, tuple_
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import InvalidInput, StoreError
from papertide.store.db.base import utc
from papertide.store.db.engine import migrate
from papertide.store.db.schema import checkpoints, metadata

_CHECKPOINT = "migrate-to:{table}"
# Checkpoints of the copy itself live in the target's checkpoints table: copying that table last
# would overwrite them, so its rows are copied first and the copy's own keys kept apart.
_OWN_PREFIX = "migrate-to:"


@dataclass(frozen=True, slots=True)
class TableReport:
    table: str
    source_rows: int
    target_rows: int
    source_checksum: str
    target_checksum: str

    @property
    def matches(self) -> bool:
        return self.source_rows == self.target_rows and self.source_checksum == self.target_checksum


Progress = Callable[[str, int, int], None]  # table, rows copied so far, rows in all


def copy_database(
    source: Engine, target: Engine, *, chunk: int = 5000, progress: Progress | None = None
) -> list[TableReport]:
    """Copy every table of ``source`` into ``target``; return the verification of each table."""
    if source.url == target.url:
        raise InvalidInput("migrate-to: the target is the database already in use")
    migrate(source)
    migrate(target)
    tables = [t for t in metadata.sorted_tables if t is not checkpoints]
    try:
        _require_empty_or_resuming(target, tables)
        _copy_table(source, target, checkpoints, chunk, progress)
        for table in tables:
            _copy_table(source, target, table, chunk, progress)
        _reset_sequences(target, [checkpoints, *tables])
        return [_verify(source, target, table) for table in [checkpoints, *tables]]
    except SQLAlchemyError as exc:
        raise StoreError(f"migrate-to failed: {exc.__class__.__name__}: {exc}") from exc


def _require_empty_or_resuming(target: Engine, tables: list[Table]) -> None:
    with target.connect() as conn:
        resuming = conn.execute(
            select(func.count()).select_from(checkpoints).where(checkpoints.c.key.startswith(_OWN_PREFIX))
        ).scalar_one()
        if resuming:
            return
        for table in tables:
            if conn.execute(select(func.count()).select_from(table)).scalar_one():
                raise InvalidInput(
                    f"migrate-to: the target already holds data (table {table.name!r}) and no interrupted copy "
                    "to resume; give an empty database"
                )


def _copy_table(source: Engine, target: Engine, table: Table, chunk: int, progress: Progress | None) -> None:
    key = table.primary_key.columns.values()
    with source.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table)).scalar_one()
    done, after = _resume_point(target, table)
    while True:
        query = select(table).order_by(*key).limit(chunk)
        if after is not None:
            query = query.where(_after(key, after))
        if table is checkpoints:
            query = query.where(~checkpoints.c.key.startswith(_OWN_PREFIX))
        with source.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        if not rows:
            break
        after = tuple(rows[-1][column.name] for column in key)
        with target.begin() as conn:
            with _user_triggers_off(conn, table):
                conn.execute(insert(table), rows)
            _save_resume_point(conn, table, done + len(rows), after)
        done += len(rows)
        if progress:
            progress(table.name, done, total)
    if progress:
        progress(table.name, done, total)


def _after(key: list, after: tuple):
    return tuple_(*key) > tuple_(*after) if len(key) > 1 else key[0] > after[0]


def _resume_point(target: Engine, table: Table) -> tuple[int, tuple | None]:
    with target.connect() as conn:
        value = conn.execute(
            select(checkpoints.c.value).where(checkpoints.c.key == _CHECKPOINT.format(table=table.name))
        ).scalar_one_or_none()
    if value is None:
        return 0, None
    state = orjson.loads(value)
    types = [column.type.python_type for column in table.primary_key.columns]
    after = tuple(datetime.fromisoformat(v) if t is datetime else v for v, t in zip(state["after"], types, strict=True))
    return state["done"], after


def _save_resume_point(conn: Connection, table: Table, done: int, after: tuple) -> None:
    key = _CHECKPOINT.format(table=table.name)
    value = orjson.dumps({"done": done, "after": [v.isoformat() if isinstance(v, datetime) else v for v in after]})
    conn.execute(delete(checkpoints).where(checkpoints.c.key == key))
    conn.execute(insert(checkpoints).values(key=key, value=value.decode(), updated_at=datetime.now(UTC)))


@contextmanager
def _user_triggers_off(conn: Connection, table: Table) -> Iterator[None]:
    """PostgreSQL: the copied rows already include what the target's triggers would derive from them."""
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.execute(text(f'ALTER TABLE "{table.name}" DISABLE TRIGGER USER'))
    yield
    conn.execute(text(f'ALTER TABLE "{table.name}" ENABLE TRIGGER USER'))


def _reset_sequences(target: Engine, tables: list[Table]) -> None:
    """PostgreSQL: serial keys continue after the copied rows, not at 1."""
    if target.dialect.name != "postgresql":
        return
    with target.begin() as conn:
        for table in tables:
            for column in table.primary_key.columns:
                if column.autoincrement is True and column.type.python_type is int:
                    conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', '{column.name}'), "
                            f'COALESCE((SELECT MAX("{column.name}") FROM "{table.name}"), 0) + 1, false)'
                        )
                    )


def _verify(source: Engine, target: Engine, table: Table) -> TableReport:
    source_rows, source_sum = _checksum(source, table)
    target_rows, target_sum = _checksum(target, table)
    return TableReport(table.name, source_rows, target_rows, source_sum, target_sum)


def _checksum(engine: Engine, table: Table) -> tuple[int, str]:
    """Row count and the sum of every row's digest: independent of order, so collations cannot differ."""
    total = 0
    count = 0
    query = select(table)
    if table is checkpoints:
        query = query.where(~checkpoints.c.key.startswith(_OWN_PREFIX))
    with engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=5000).execute(query):
            encoded = orjson.dumps([_canonical(value) for value in row], option=orjson.OPT_SORT_KEYS)
            total += int.from_bytes(hashlib.blake2b(encoded, digest_size=16).digest())
            count += 1
    return count, f"{total % (1 << 128):032x}"


def _canonical(value: object) -> object:
    """One form for a value read from either dialect: aware UTC datetimes, floats as repr, bytes (a stored
    message) and embeddings (pgvector's arrays, SQLite's float32 bytes) as hex."""
    if isinstance(value, datetime):
        return utc(value).isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    if isinstance(value, np.ndarray):
        return value.astype("<f4").tobytes().hex()
    return value


__all__ = ["TableReport", "copy_database"]
