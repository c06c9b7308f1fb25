"""What the database part of a /metrics scrape costs at 1M papers: InstanceStore.counts(), on SQLite and PostgreSQL.

    python bench/metrics_scrape.py [--papers 1000000] [--postgresql]

Papers are synthetic rows (a realistic 1 KB abstract each, every index the schema has), written with
one INSERT ... SELECT; votes, accounts and outbox rows are a tenth as many. Prints the median and
worst of 20 scrapes' counts after the process's first (which counts every paper), and a count of every
paper beside it.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.db.local_postgres import LocalPostgres
from papertide.store.db.schema import papers
from papertide.store.instance import InstanceStore

_ABSTRACT = "lorem ipsum dolor sit amet " * 40


def fill(engine: Engine, count: int) -> None:
    series = (
        f"generate_series(1, {count}) AS g(n)"
        if engine.dialect.name == "postgresql"
        else f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s)"
    )
    now = "'2026-01-01 00:00:00+00'"
    with engine.begin() as conn:
        conn.execute(text(f"""
            INSERT INTO papers (paper_id, version, title, abstract, authors, title_raw, abstract_raw, authors_raw,
                categories, primary_category, submitted_at, source, versions, content_hash, change_seq,
                created_at, modified_at, listed_at)
            SELECT 'x' || n, 1, 'title ' || n, :abstract, '[]', 'title', :abstract, '[]', '["cs.LG"]', 'cs.LG',
                {now}, 'bench', '[]', 'h', n, {now}, {now}, {now} FROM {series}
        """), {"abstract": _ABSTRACT})  # fmt: skip
        accounts = max(count // 10, 1)
        users = series.replace(str(count), str(accounts))
        email = "'u' || n || '@example.org'"
        conn.execute(text(f"INSERT INTO users (email, created_at) SELECT {email}, {now} FROM {users}"))
        conn.execute(text(f"INSERT INTO votes (user_pk, paper_pk, created_at) SELECT n, n, {now} FROM {users}"))
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def measure(engine: Engine, runs: int = 20) -> dict[str, float]:
    store = InstanceStore(engine)
    started = time.perf_counter()
    store.counts()  # the process's first: counts every paper
    first = time.perf_counter() - started
    scrapes, papers_only = [], []
    for _ in range(runs):
        started = time.perf_counter()
        store.counts()
        scrapes.append(time.perf_counter() - started)
        started = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(select(func.count()).select_from(papers)).scalar_one()
        papers_only.append(time.perf_counter() - started)
    return {
        "first counts ms": first * 1000,
        "counts median ms": statistics.median(scrapes) * 1000,
        "counts worst ms": max(scrapes) * 1000,
        "papers count median ms": statistics.median(papers_only) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--keep", type=Path, help="a SQLite file kept between runs (filled on the first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        if args.postgresql:
            server = LocalPostgres(Path(directory) / "pg", durable=False)
            url = server.create_database("bench")
        else:
            url = f"sqlite:///{args.keep or Path(directory) / 'bench.db'}"
        fresh = not (args.keep and args.keep.exists())
        engine = create_store_engine(url)
        migrate(engine)
        if fresh:
            started = time.perf_counter()
            fill(engine, args.papers)
            print(f"{engine.dialect.name}: {args.papers:,} papers written in {time.perf_counter() - started:.0f} s")
        for name, value in measure(engine).items():
            print(f"  {name}: {value:.1f}")
        engine.dispose()


if __name__ == "__main__":
    main()
