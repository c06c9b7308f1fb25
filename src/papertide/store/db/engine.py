"""Opening the database: engine with the right pragmas, and migrating it to the current schema."""

from __future__ import annotations

import select
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError

from papertide.errors import StoreError

_MIGRATIONS = Path(__file__).parent / "migrations"
# Connections kept open to a SQLite file: one per request thread under load. With SQLAlchemy's
# default of 5, a web server serving 8 requests at once opened (and set pragmas on) a fresh
# connection for every request beyond the fifth.
SQLITE_POOL_SIZE = 16
# PostgreSQL advisory lock held while migrating (an arbitrary constant: "papertide" on a phone keypad).
MIGRATION_LOCK_KEY = 727837843


def dump_json(value: object) -> str:
    """JSON text as every JSON column stores it (also what COPY writes on PostgreSQL)."""
    # orjson is several times faster than json for the author/category lists of a bulk load.
    return orjson.dumps(value).decode()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers (web workers) run beside one writer; NORMAL sync is durable in WAL mode
    # except for the last transactions on power loss, never corrupting.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def normalise_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` URLs (as libpq writes them) use psycopg 3, the driver papertide ships."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def create_store_engine(url: str, *, pool_size: int | None = None, max_overflow: int = 10) -> Engine:
    """An engine for ``url``; a SQLite file's directory is created on first use.

    ``pool_size`` is the number of connections kept open per process (default: 16 for a SQLite
    file, where each is a cheap file handle; 5 for a server database, where each is a backend
    process and several web nodes and workers share the server's ``max_connections``).
    """
    url = normalise_url(url)
    try:
        sqlite_file = url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:")
        if sqlite_file:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        options: dict = {}
        if sqlite_file:
            options["pool_size"] = pool_size or SQLITE_POOL_SIZE
        elif not url.startswith("sqlite"):
            options.update(pool_size=pool_size or 5, max_overflow=max_overflow)
        engine = create_engine(url, json_serializer=dump_json, json_deserializer=orjson.loads, **options)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise StoreError(f"cannot open database {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", _replace_if_closed(engine.dialect))
    return engine


def _replace_if_closed(dialect):
    """A pool checkout hook: a connection the server or a proxy dropped while idle is replaced before use,
    instead of failing the request that drew it from the pool.

    SQLAlchemy's ``pool_pre_ping`` asks the server on every checkout: a round trip per store read,
    14% of composing a digest on PostgreSQL (bench/digest_speed.py). An idle connection has nothing
    to read unless the server said something (its last words before closing, or the close itself),
    so the server is asked only then.
    """

    def checkout(dbapi_connection, _record, _proxy) -> None:
        if not dbapi_connection.closed and not _has_input(dbapi_connection.fileno()):
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection: the pool opens another
            raise DisconnectionError(f"a pooled connection was closed: {exc}") from exc

    return checkout


def _has_input(fd: int) -> bool:
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Several nodes starting at once: one migrates, the others wait and find it done.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc}") from exc


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at (None: not migrated yet)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot read the schema revision of {engine.url!r}: {exc}") from exc


def schema_revisions() -> list[str]:
    """Every schema revision this code knows, newest (the head) first."""
    return [script.revision for script in ScriptDirectory.from_config(_alembic_config()).walk_revisions()]


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest schema revision."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
