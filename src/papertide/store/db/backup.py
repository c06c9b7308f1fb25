"""A consistent snapshot of the database while it is in use, and putting one back: the dialect-specific half
of ``papertide backup`` and ``restore`` (the archive and its checks are :mod:`papertide.backup`).

SQLite: the online backup API copies every page in one step, inside one read transaction; in WAL mode
writers carry on meanwhile and the copy is the database as of one commit. PostgreSQL: a repeatable-read
transaction exports its snapshot and ``pg_dump --snapshot`` dumps exactly that, so the revision and the
paper count read in the transaction describe the dump; ``pg_restore --single-transaction`` puts it back
all or nothing.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import InvalidInput, StoreError
from papertide.store.db.schema import papers

# The payload's name inside the archive, by dialect.
PAYLOAD = {"sqlite": "papertide.db", "postgresql": "papertide.dump"}
_PG_TOOLS_HINT = (
    "install PostgreSQL's client programs (of the server's major version or newer, e.g. the postgresql-client "
    "package) or put their directory on the PATH"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What :func:`snapshot_database` wrote, and what the database held at that moment."""

    dialect: str
    path: Path
    revision: str | None
    papers: int


def dialect_of(engine: Engine) -> str:
    """``sqlite`` or ``postgresql``; any other database is refused with the reason."""
    name = engine.dialect.name
    if name not in PAYLOAD:
        raise InvalidInput(f"backups support SQLite and PostgreSQL, not {name}")
    if name == "sqlite" and not _sqlite_path(engine):
        raise InvalidInput("an in-memory SQLite database cannot be backed up or restored")
    return name


def snapshot_database(engine: Engine, directory: Path) -> Snapshot:
    """Write a consistent copy of the database into ``directory`` (named :data:`PAYLOAD`)."""
    dialect = dialect_of(engine)
    path = directory / PAYLOAD[dialect]
    try:
        if dialect == "sqlite":
            return _sqlite_snapshot(engine, path)
        return _postgres_snapshot(engine, path)
    except (SQLAlchemyError, sqlite3.Error) as exc:
        raise StoreError(f"cannot snapshot {_shown(engine)}: {exc.__class__.__name__}: {exc}") from exc


def tables_in(engine: Engine) -> list[str]:
    """The tables the database holds (a SQLite file that does not exist holds none): an empty target has none."""
    if dialect_of(engine) == "sqlite" and not Path(_sqlite_path(engine)).exists():
        return []
    try:
        return sorted(inspect(engine).get_table_names())
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot list the tables of {_shown(engine)}: {exc}") from exc
    finally:
        engine.dispose()


def restore_database(engine: Engine, payload: Path, *, replace: bool) -> None:
    """Make the database the snapshot ``payload``; ``replace``: over whatever it holds (else it must be empty).

    Stop every process using the database first: a SQLite file is swapped underneath its readers, and
    PostgreSQL's restore waits for their locks.
    """
    dialect = dialect_of(engine)
    engine.dispose()
    if dialect == "sqlite":
        target = Path(_sqlite_path(engine))
        for leftover in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
            leftover.unlink(missing_ok=True)  # a -wal of the replaced file would be replayed onto the snapshot
        os.replace(payload, target)
        return
    command = [_pg_tool("pg_restore"), "--single-transaction", "--exit-on-error", "--no-owner", "--no-privileges"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run_pg([*command, "--dbname", _libpq_uri(engine), str(payload)], engine)


def _sqlite_path(engine: Engine) -> str:
    database = engine.url.database or ""
    return "" if database in ("", ":memory:") or database.startswith("file::memory:") else database


def _sqlite_snapshot(engine: Engine, path: Path) -> Snapshot:
    raw = engine.raw_connection()
    try:
        copy = sqlite3.connect(path)
        try:
            raw.driver_connection.backup(copy, pages=-1)  # one step: one read transaction, one commit's state
            copy.execute("PRAGMA journal_mode=DELETE")  # the copy is one self-contained file
            revision = _sqlite_revision(copy)
            count = copy.execute(f"SELECT count(*) FROM {papers.name}").fetchone()[0] if revision else 0
        finally:
            copy.close()
    finally:
        raw.close()
    return Snapshot("sqlite", path, revision, count)


def _sqlite_revision(copy: sqlite3.Connection) -> str | None:
    found = copy.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    return copy.execute("SELECT version_num FROM alembic_version").fetchone()[0] if found else None


def _postgres_snapshot(engine: Engine, path: Path) -> Snapshot:
    pg_dump = _pg_tool("pg_dump")
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        revision = None
        count = 0
        if "alembic_version" in inspect(conn).get_table_names():
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
            count = conn.execute(select(func.count()).select_from(papers)).scalar_one()
        # The exported snapshot lives as long as this transaction: pg_dump runs inside it.
        command = [pg_dump, "--format=custom", "--snapshot", snapshot, "--file", str(path)]
        _run_pg([*command, "--dbname", _libpq_uri(engine)], engine)
    return Snapshot("postgresql", path, revision, count)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise StoreError(f"{name} is not on the PATH: {_PG_TOOLS_HINT}")
    return found


def _libpq_uri(engine: Engine) -> str:
    """The database's URL as libpq reads it (the password goes by environment, never on a command line)."""
    return engine.url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run_pg(command: list[str], engine: Engine) -> None:
    env = dict(os.environ)
    if engine.url.password:
        env["PGPASSWORD"] = str(engine.url.password)
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise StoreError(f"cannot run {command[0]}: {exc}; {_PG_TOOLS_HINT}") from exc
    if result.returncode != 0:
        program = Path(command[0]).name
        said = result.stderr.strip() or f"exit status {result.returncode}"
        raise StoreError(f"{program} failed for {_shown(engine)}: {said}")


def _shown(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


__all__ = ["PAYLOAD", "Snapshot", "dialect_of", "restore_database", "snapshot_database", "tables_in"]
