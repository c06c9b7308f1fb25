"""Trending at scale: 1M papers, 10M votes from ~100k accounts, signal histories; latency, vote cost, refresh.

The library is built once under ``bench/.cache/trending-<size>`` (SQLite, the production schema):

- papers: the 87k conference papers' text, repeated under fresh ids, submitted over 3.5 years with
  arXiv's growth, categories from ``corpus.synthetic_categories`` (36 categories, a few common, many rare);
- accounts: signing up over the year the site has run, more of them lately; how much each votes is
  heavy-tailed (a few accounts cast thousands of votes, most a handful);
- votes: over that year, more of them lately; 70% go to papers submitted in the 14 days before
  the vote, 30% to any older paper, each paper drawn by a heavy-tailed appeal; one account votes a
  paper once; plus bursts of 10-40 brand-new accounts voting one paper within an hour;
- signals: Hugging Face upvote histories for 5% of the papers (drawn by appeal), with GitHub star
  histories for 60% of those, observed every few days.

Votes and signals are written with ``executemany`` in big transactions with the indexes and the
trending triggers dropped, then the indexes are rebuilt (sorting once beats ten million b-tree
insertions) and the triggers restored. Measured, in process and warm: ``Trending.trending`` for each
window with and without category filters (20 papers, hydrated), the ranking alone, a full rebuild,
incremental refreshes, a reader catching up, and the cost of a vote (its insert with and without the
trigger, and the upkeep it causes)::

    nice -n 5 .venv/bin/python bench/trending.py [--small] [--queries 200] [--rebuild] [--json out.json]
        [--backend sqlite|postgresql] [--cache DIR]

``--backend postgresql`` measures the same on a local PostgreSQL holding a copy of the cached
SQLite library (``bench/pg.py``: made on the first run, then kept); ``--cache DIR`` reads the
cached libraries from another checkout's ``bench/.cache`` (with PostgreSQL only to copy from).
Without ``../shared/data/corpora`` the script exits 0 with a message. Every vote the measurements
cast is withdrawn again at the end, so the cached library stays as built.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pg
from corpus import CACHE, CATEGORIES, corpus_or_exit, corpus_records, record_authors, synthetic_categories
from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.exc import IntegrityError

from papertide.config import load_settings
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.query import Filters
from papertide.store import PaperStore
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.db.schema import TRENDING_TRIGGERS, votes
from papertide.store.trending import RowsRead, TrendingStore
from papertide.trending import ScoreParams, Trending, Window
from papertide.trending.ranking import Ranking
from papertide.trending.upkeep import refresh

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = 86400.0
SIZES = {"full": (1_000_000, 10_000_000, 100_000), "small": (50_000, 500_000, 10_000)}
PAPER_DAYS = 1278  # 3.5 years of submissions
VOTING_DAYS = 365  # the site has run for a year
FRESH_SHARE, FRESH_DAYS = 0.7, 14
SIGNAL_SHARE, STARS_SHARE = 0.05, 0.6
BURST_ACCOUNTS = 0.05  # share of the accounts that sign up in bursts
FILTERS = {
    "none": Filters(),
    "cs.LG": Filters(("cs.LG",)),
    "q-bio.QM (rare)": Filters(("q-bio.QM",)),
    "cs.*": Filters(("cs.*",)),
    "math.* + stat.ML": Filters(("math.*", "stat.ML")),
    "-cs.*": Filters((), ("cs.*",)),
    "cs.* -cs.CV": Filters(("cs.*",), ("cs.CV",)),
}
VOTE_INDEXES = {
    "sqlite_autoindex_votes_1": None,  # the primary key's: kept, it guards one vote per account and paper
    "ix_votes_paper_pk": "CREATE INDEX ix_votes_paper_pk ON votes (paper_pk, created_at)",
    "ix_votes_created_at": "CREATE INDEX ix_votes_created_at ON votes (created_at)",
}
SIGNAL_INDEX = "CREATE INDEX ix_paper_signals_observed_at ON paper_signals (observed_at)"


# -- building the library --------------------------------------------------------------------------


def open_library(size: str, rebuild: bool, cache: Path, backend: str) -> tuple[PaperStore, dict]:
    """The cached library of ``size`` on ``backend`` and facts about its build (and copy into PostgreSQL)."""
    store, facts = build(size, rebuild, cache)
    if backend == "sqlite":
        return store, facts
    url, facts["postgresql"] = pg.postgres_copy(Path(store.engine.url.database), f"trending-{size}")
    store.engine.dispose()
    return PaperStore(create_store_engine(url), clock=lambda: NOW), facts


def build(size: str, rebuild: bool, cache: Path) -> tuple[PaperStore, dict]:
    """The cached SQLite library of ``size`` (built now when missing or ``rebuild``) and facts about its build."""
    papers_n, votes_n, users_n = SIZES[size]
    directory = cache / f"trending-{size}"
    facts_path = directory / "build.json"
    database = directory / "papertide.db"
    if rebuild:
        for path in directory.glob("papertide.db*"):
            path.unlink()
        facts_path.unlink(missing_ok=True)
    engine = create_store_engine(f"sqlite:///{database}")
    migrate(engine)
    store = PaperStore(engine, clock=lambda: NOW)
    if facts_path.exists():
        return store, json.loads(facts_path.read_text())
    print(f"building {papers_n:,} papers, {votes_n:,} votes, {users_n:,} accounts in {directory} (once)", flush=True)
    rng = np.random.default_rng(11)
    facts: dict = {"papers": papers_n, "users": users_n}
    started = time.perf_counter()
    times = _paper_times(papers_n, rng)
    facts["ingest_s"] = _timed(lambda: ingest(_papers(times, rng), store, batch_size=5000))
    print(f"  papers in {facts['ingest_s']} s", flush=True)
    raw = engine.raw_connection()
    try:
        _drop_triggers(raw)
        user_times, bursts = _users(users_n, rng)
        facts["users_s"] = _timed(lambda: _write_users(raw, user_times))
        cast = _votes(votes_n, times, user_times, bursts, rng)
        facts["votes"] = len(cast[0])
        facts["young_votes"] = int(np.sum(cast[2] - user_times[cast[0]] < DAY))
        facts["votes_s"] = _timed(lambda: _write_votes(raw, *cast))
        print(f"  {facts['votes']:,} votes in {facts['votes_s']} s", flush=True)
        signal_rows = _signals(times, rng)
        facts["signal_observations"] = len(signal_rows)
        facts["signals_s"] = _timed(lambda: _write_signals(raw, signal_rows))
        print(f"  {len(signal_rows):,} signal observations in {facts['signals_s']} s", flush=True)
        _restore_triggers(raw)
        raw.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    facts["build_s"] = round(time.perf_counter() - started, 1)
    facts["database_mb"] = round(database.stat().st_size / 1e6)
    directory.mkdir(parents=True, exist_ok=True)
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    return store, facts


def _paper_times(count: int, rng: np.random.Generator) -> np.ndarray:
    """Submission times (POSIX seconds, ascending), denser lately as arXiv grows."""
    start = NOW.timestamp() - PAPER_DAYS * DAY
    return np.sort(start + PAPER_DAYS * DAY * rng.random(count) ** 0.8)


def _papers(times: np.ndarray, rng: np.random.Generator) -> Iterator[Paper]:
    """Papers with the corpus's text (cycled), store keys in submission order."""
    weights = 1.0 / np.arange(1, len(CATEGORIES) + 1) ** 1.1  # cs.LG common, the last few rare
    primaries = rng.choice(len(CATEGORIES), size=len(times), p=weights / weights.sum())
    category_rng = np.random.default_rng(12)
    records = itertools.cycle(r for r in corpus_records() if (r.get("title") or "").strip())
    for number, (submitted, primary) in enumerate(zip(times, primaries, strict=True)):
        record = next(records)
        yield Paper(
            f"bench:{number}",
            record["title"],
            record.get("abstract") or "",
            authors=record_authors(record),
            categories=synthetic_categories(int(primary), category_rng),
            submitted=datetime.fromtimestamp(float(submitted), UTC),
            source="bench",
        )


def _users(count: int, rng: np.random.Generator) -> tuple[np.ndarray, list[tuple[float, np.ndarray]]]:
    """Sign-up times (ascending; user i has store key i + 1) and the bursts: (start, the accounts in it)."""
    start = NOW.timestamp() - VOTING_DAYS * DAY
    regular = count - int(count * BURST_ACCOUNTS)
    times = list(start - DAY + VOTING_DAYS * DAY * np.sqrt(rng.random(regular)))
    bursts = []
    while len(times) < count:
        size = min(int(rng.integers(10, 41)), count - len(times))
        at = start + VOTING_DAYS * DAY * float(rng.random())
        bursts.append((at, size))
        times.extend(at - rng.uniform(60, 3600, size))  # created within the hour before voting
    order = np.argsort(times, kind="stable")
    times = np.asarray(times)[order]
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    burst_users, first = [], regular
    for at, size in bursts:  # where each burst's accounts ended up after sorting
        burst_users.append((at, rank[first : first + size]))
        first += size
    return times, burst_users


def _votes(
    count: int, paper_times: np.ndarray, user_times: np.ndarray, bursts: list, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(user index, paper index, cast at) of ``count`` distinct votes, in casting order."""
    appeal = np.concatenate([[0.0], np.cumsum(rng.pareto(1.2, len(paper_times)) + 1.0)])
    activity = np.concatenate([[0.0], np.cumsum(rng.pareto(1.0, len(user_times)) + 1.0)])
    users, papers, cast = [], [], []
    for at, members in bursts:  # each burst votes one fresh paper within the hour after sign-up
        low, high = np.searchsorted(paper_times, [at - 3 * DAY, at])
        target = int(_draw(appeal, np.array([low]), np.array([max(high, low + 1)]), rng)[0])
        users.append(members)
        papers.append(np.full(len(members), target))
        cast.append(at + rng.uniform(0, 3600, len(members)))
    have = sum(map(len, users))
    while have < count:  # an active account draws a popular paper twice now and then: draw until enough
        wanted = int((count - have) * 1.3) + 1000
        at = NOW.timestamp() - VOTING_DAYS * DAY * (1 - np.sqrt(rng.random(wanted)))
        submitted_before = np.searchsorted(paper_times, at, side="right")
        low = np.where(rng.random(wanted) < FRESH_SHARE, np.searchsorted(paper_times, at - FRESH_DAYS * DAY), 0)
        low = np.minimum(low, np.maximum(submitted_before - 1, 0))
        papers.append(_draw(appeal, low, np.maximum(submitted_before, low + 1), rng))
        users.append(_draw(activity, np.zeros(wanted, dtype=np.int64), np.searchsorted(user_times, at).clip(1), rng))
        cast.append(at)
        keys = np.concatenate(users) * (1 << 21) + np.concatenate(papers)
        have = len(np.unique(keys))
    users, papers, cast = np.concatenate(users), np.concatenate(papers), np.concatenate(cast)
    _, first = np.unique(users * (1 << 21) + papers, return_index=True)
    burst_votes = sum(len(members) for _, members in bursts)
    regular = first[first >= burst_votes]
    keep = np.concatenate(
        [first[first < burst_votes], rng.choice(regular, count - (len(first) - len(regular)), replace=False)]
    )
    keep = keep[np.argsort(cast[keep], kind="stable")]
    return users[keep], papers[keep], cast[keep]


def _draw(cumulative: np.ndarray, low: np.ndarray, high: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """An index in [low, high) for each row, drawn by weight (``cumulative`` sums the weights, from 0)."""
    target = cumulative[low] + rng.random(len(low)) * (cumulative[high] - cumulative[low])
    return np.clip(np.searchsorted(cumulative, target, side="right") - 1, low, high - 1)


def _signals(paper_times: np.ndarray, rng: np.random.Generator) -> list[tuple]:
    """Hugging Face upvote (and GitHub star) histories: (paper key, name, observed at, value)."""
    recent = np.flatnonzero(paper_times > NOW.timestamp() - VOTING_DAYS * DAY)
    chosen = rng.choice(recent, size=min(len(recent), int(SIGNAL_SHARE * len(paper_times))), replace=False)
    rows = []
    for index in chosen:
        final = float(rng.pareto(1.1) * 15 + 1)
        names = ["hf_upvotes"] + (["github_stars"] if rng.random() < STARS_SHARE else [])
        for name in names:
            scale = 1.0 if name == "hf_upvotes" else float(rng.uniform(5, 30))
            at, value = paper_times[index] + DAY * float(rng.uniform(0.5, 2)), 0.0
            while at < NOW.timestamp():
                value += round(scale * final * float(rng.uniform(0.05, 0.3)))
                rows.append((int(index) + 1, name, _stamp(at), value))
                at += DAY * float(rng.uniform(1, 6))
    return rows


def _stamp(posix_s: float) -> str:
    """SQLAlchemy's SQLite DATETIME text."""
    return datetime.fromtimestamp(posix_s, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _stamps(posix_s: np.ndarray) -> list[str]:
    micros = (posix_s * 1e6).astype("datetime64[us]")
    return [s.replace("T", " ") for s in np.datetime_as_string(micros, unit="us")]


def _write_users(raw, times: np.ndarray) -> None:
    rows = ((n + 1, f"bench{n}@example.org", stamp) for n, stamp in enumerate(_stamps(times)))
    raw.executemany("INSERT INTO users (pk, email, created_at) VALUES (?, ?, ?)", rows)
    raw.commit()


def _write_votes(raw, users: np.ndarray, papers: np.ndarray, cast: np.ndarray) -> None:
    for name, create in VOTE_INDEXES.items():
        if create:
            raw.execute(f"DROP INDEX {name}")
    order = np.lexsort((papers, users))  # primary-key order: the one index kept grows at its end
    stamps = _stamps(cast)
    for chunk in np.array_split(order, max(1, len(order) // 1_000_000)):
        rows = ((int(users[i]) + 1, int(papers[i]) + 1, stamps[i]) for i in chunk)
        raw.executemany("INSERT INTO votes (user_pk, paper_pk, created_at) VALUES (?, ?, ?)", rows)
        raw.commit()
    for create in VOTE_INDEXES.values():
        if create:
            raw.execute(create)
    raw.commit()


def _write_signals(raw, rows: list[tuple]) -> None:
    raw.execute("DROP INDEX ix_paper_signals_observed_at")
    raw.executemany("INSERT INTO paper_signals (paper_pk, name, observed_at, value) VALUES (?, ?, ?, ?)", rows)
    raw.execute(SIGNAL_INDEX)
    raw.commit()


def _trigger_names(raw) -> list[str]:
    return [name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]


def _drop_triggers(raw) -> None:
    for name in _trigger_names(raw):
        raw.execute(f"DROP TRIGGER {name}")
    raw.commit()


def _restore_triggers(raw) -> None:
    for statement in TRENDING_TRIGGERS["sqlite"]:
        raw.execute(statement)
    raw.commit()


# -- measuring --------------------------------------------------------------------------------------


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 2)


def _percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 3) for q in (50, 95, 99)}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def measure(store: PaperStore, queries: int) -> dict:
    params = ScoreParams.from_settings(load_settings(data_dir=CACHE))
    clock = Clock()
    trending = Trending(store, TrendingStore(store.engine, clock), params, refresh_after=timedelta(seconds=30))
    results: dict = {}
    started = time.process_time()
    report = trending.refresh(full=True)
    results["full_refresh"] = {
        "s": round(report.seconds, 2),
        "cpu_s": round(time.process_time() - started, 2),
        "papers": report.papers,
        "rows": report.rows,
    }
    print(f"full refresh: {report.seconds:.1f} s, {report.rows:,} papers with attention", flush=True)
    reader = Trending(store, TrendingStore(store.engine, clock), params, refresh_after=timedelta(seconds=30))
    results["first_load_s"] = _timed(reader.ranking)
    ranking = reader.ranking()
    results["ranking_mb"] = round(
        sum(a.nbytes for a in (ranking.pks, ranking.listed, ranking.values, ranking.category_ids)) / 1e6, 1
    )
    results["candidates"] = {w.value: ranking.candidates(w) for w in Window}
    results["queries"] = {}
    for window in Window:
        for name, filters in FILTERS.items():
            cold = _first_query_ms(ranking, window, filters)
            reader.trending(window, filters)  # warm: the ranking keeps this filter's order
            wall, cpu = _sample(lambda w=window, f=filters: reader.trending(w, f, limit=20), queries)
            alone, _ = _sample(lambda w=window, f=filters: ranking.top(w, f, NOW.timestamp(), 20), queries)
            row = results["queries"][f"{window.value} / {name}"] = {
                "results": len(reader.trending(window, filters, limit=20)),
                **_percentiles(wall),
                "cpu": _percentiles(cpu),
                "ranking_alone": _percentiles(alone),
                "first_ranking_ms": cold,
            }
            print(f"  {window.value:5} {name:18} p50 {row['p50_ms']:6.2f}  p99 {row['p99_ms']:6.2f} ms", flush=True)
    results["votes"] = _vote_costs(store, trending, reader, clock)
    results["rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return results


def _first_query_ms(ranking: Ranking, window: Window, filters: Filters) -> float:
    """The ranking alone for a filter it has not seen yet (median of 5 fresh copies, each prepared as a catch-up
    prepares one: every window's unfiltered order built): paid once per filter and refresh."""
    none = np.zeros(0, dtype=np.int64)
    nothing = RowsRead(ranking.state, none, none, np.zeros(0), np.zeros((0, ranking.values.shape[1])), {}, [], False)
    times = []
    for _ in range(5):
        fresh = ranking.caught_up(nothing)
        fresh.prepare([])
        started = time.perf_counter()
        fresh.top(window, filters, NOW.timestamp(), 20)
        times.append(time.perf_counter() - started)
    return round(float(np.median(times)) * 1000, 2)


def _sample(action: Callable[[], object], count: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``count`` runs: on a shared machine the wall time includes waiting for a core."""
    wall, cpu = [], []
    for _ in range(count):
        started, started_cpu = time.perf_counter(), time.thread_time()
        action()
        cpu.append(time.thread_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return wall, cpu


def _vote_costs(store: PaperStore, trending: Trending, reader: Trending, clock: Clock) -> dict:
    """A vote's insert with and without the trigger, and the upkeep votes cause; every vote withdrawn after."""
    rng = random.Random(5)
    papers_n = store.count()
    costs: dict = {}
    pairs = iter({(rng.randint(1, 20_000), rng.randint(papers_n - 30_000, papers_n)) for _ in range(12_000)})
    cast: list[tuple[int, int]] = []

    def vote_each(count: int) -> list[float]:
        timings: list[float] = []
        while len(timings) < count:
            user_pk, paper_pk = next(pairs)
            started = time.perf_counter()
            try:
                with store.engine.begin() as conn:  # one transaction per vote, as the vote button's request
                    conn.execute(insert(votes).values(user_pk=user_pk, paper_pk=paper_pk, created_at=clock.now))
            except IntegrityError:  # that account had voted that paper already
                continue
            timings.append(time.perf_counter() - started)
            cast.append((user_pk, paper_pk))
        return timings

    costs["insert_with_trigger"] = _percentiles(vote_each(1000))
    _vote_triggers(store.engine, on=False)
    try:
        costs["insert_without_trigger"] = _percentiles(vote_each(1000))
        with store.engine.begin() as conn:  # out again before the trigger is back: the change log never saw them
            for user_pk, paper_pk in cast[1000:]:
                conn.execute(delete(votes).where(votes.c.user_pk == user_pk, votes.c.paper_pk == paper_pk))
        del cast[1000:]
    finally:
        _vote_triggers(store.engine, on=True)
    clock.now += timedelta(seconds=30)
    costs["refresh_after_1000_votes"] = _refresh_facts(trending, reader, store, clock)
    for count in (0, 1, 10, 100, 300, 3000):
        vote_each(count)
        clock.now += timedelta(seconds=30)
        costs[f"refresh_after_{count}_votes_30s"] = _refresh_facts(trending, reader, store, clock)
    with store.engine.begin() as conn:
        for user_pk, paper_pk in cast:
            conn.execute(delete(votes).where(votes.c.user_pk == user_pk, votes.c.paper_pk == paper_pk))
    clock.now += timedelta(seconds=30)
    costs["refresh_after_withdrawing_all"] = _refresh_facts(trending, reader, store, clock)
    with store.engine.begin() as conn:
        costs["change_log_left"] = conn.execute(text("SELECT count(*) FROM trending_changes")).scalar_one()
    return costs


def _vote_triggers(engine: Engine, *, on: bool) -> None:
    """The trending triggers on votes restored or taken away (SQLite drops them, PostgreSQL disables them)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text(f"ALTER TABLE votes {'ENABLE' if on else 'DISABLE'} TRIGGER USER"))
        return
    raw = engine.raw_connection()
    try:
        (_restore_triggers if on else _drop_triggers)(raw)
    finally:
        raw.close()


def _refresh_facts(trending: Trending, reader: Trending, store: PaperStore, clock: Clock) -> dict:
    """One incremental refresh (the upkeep alone, as a worker runs it), then each process catching up."""
    started = time.thread_time()
    report = refresh(TrendingStore(store.engine, clock), trending.params, clock.now)
    cpu = time.thread_time() - started
    started = time.thread_time()
    trending.ranking()
    catch_up_cpu = time.thread_time() - started
    return {
        "s": round(report.seconds, 3),
        "cpu_s": round(cpu, 3),
        "papers": report.papers,
        "full": report.full,
        "catch_up_cpu_s": round(catch_up_cpu, 3),
        "reader_catch_up_s": _timed(reader.ranking),
    }


def print_tables(size: str, backend: str, facts: dict, results: dict) -> None:
    print(
        f"\nTrending on {backend}, {size}: {facts['papers']:,} papers, {facts['votes']:,} votes, "
        f"{facts['users']:,} accounts"
    )
    if "postgresql" in facts:
        copied = facts["postgresql"]
        print(f"copied into PostgreSQL in {copied['copy_s']} s ({copied['papers_per_s']:,} papers/s, "
              f"{copied['rows_per_s']:,} rows/s); {copied['database_mb']:,} MB there, {copied['sqlite_mb']:,} MB "
              "in SQLite")  # fmt: skip
    print(f"build: {facts['build_s']} s; candidates by window: {results['candidates']}; RSS {results['rss_mb']} MB")
    print("\n| window / filter | p50 ms | p95 ms | p99 ms | CPU p50 / p99 ms | ranking alone p50 / p99 ms "
          "| first query of the filter, ranking ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for name, row in results["queries"].items():
        alone, cpu = row["ranking_alone"], row["cpu"]
        print(f"| {name} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} | {cpu['p50_ms']} / {cpu['p99_ms']} "
              f"| {alone['p50_ms']} / {alone['p99_ms']} | {row['first_ranking_ms']} |")  # fmt: skip
    votes_ = results["votes"]
    print("\n| a vote | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|")
    for name in ("insert_with_trigger", "insert_without_trigger"):
        row = votes_[name]
        print(f"| {name.replace('_', ' ')} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} |")
    print("\n| refresh | seconds | CPU s | papers recomputed | catching up: CPU s, reader wall s |")
    print("|---|---|---|---|---|")
    full = results["full_refresh"]
    first_load = results["first_load_s"]
    print(f"| full rebuild | {full['s']} | {full['cpu_s']} | {full['papers']:,} | first load: {first_load} s |")
    for name, row in votes_.items():
        if name.startswith("refresh"):
            label = name.replace("_", " ")
            catching_up = f"{row['catch_up_cpu_s']}, {row['reader_catch_up_s']}"
            print(f"| {label} | {row['s']} | {row['cpu_s']} | {row['papers']} | {catching_up} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50k papers and 500k votes: a quick check")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per window and filter")
    parser.add_argument("--rebuild", action="store_true", help="build the cached library again")
    parser.add_argument("--json", type=Path, help="write the results here")
    pg.add_argument(parser)
    pg.add_cache_argument(parser)
    args = parser.parse_args()
    corpus_or_exit()
    size = "small" if args.small else "full"
    store, facts = open_library(size, args.rebuild, args.cache, args.backend)
    results = measure(store, args.queries)
    print_tables(size, args.backend, facts, results)
    if args.json:
        output = {"size": size, "backend": args.backend, "build": facts, **results}
        args.json.write_text(json.dumps(output, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
