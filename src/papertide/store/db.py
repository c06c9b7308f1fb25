"""Opening the database: engine with the right pragmas, and migrating it to the current schema."""

from __future__ import annotations

from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import StoreError

_MIGRATIONS = Path(__file__).parent / "migrations"
# Connections kept open to a SQLite file: one per request thread under load. With SQLAlchemy's
# default of 5, a web server serving 8 requests at once opened (and set pragmas on) a fresh
# connection for every request beyond the fifth.
SQLITE_POOL_SIZE = 16


def _dumps(value: object) -> str:
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


def create_store_engine(url: str) -> Engine:
    """An engine for ``url``; a SQLite file's directory is created on first use."""
    try:
        sqlite_file = url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:")
        if sqlite_file:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        options = {"pool_size": SQLITE_POOL_SIZE} if sqlite_file else {}
        engine = create_engine(url, json_serializer=_dumps, json_deserializer=orjson.loads, **options)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise StoreError(f"cannot open database {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate database {engine.url!r}: {exc}") from exc


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest schema revision."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head
