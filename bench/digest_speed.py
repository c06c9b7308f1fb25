"""Digest speed: compose, render and hand to a local SMTP server the digests of 10,000 subscribers over 1M papers.

The corpus is search_speed.py's 1M papers (the 87k conference papers repeated under fresh ids
with perturbed text, arXiv-like categories, dates over 2008-2025) in a SQLite store with its
lexical index (saved-search and author alerts search it), built once under
``bench/.cache/digest-<size>``, plus one night of fresh arrivals (``--arrivals``, copies of corpus
papers stamped as arrived at T0, a fifth of them with Hugging Face upvotes so that the trending
section has something to rank). Each run then makes its subscribers afresh: 1-3 categories each
(from the arrivals' categories), spread over three time zones and delivery hours between T0 and
the run's "now" (T0 + 12 h), two thirds of them with one or two alerts (a phrase from an arrival's
title, an arrival's author).

What runs is the worker's own path: :func:`papertide.digest.enqueue.enqueue_due` (due periods,
composition by the digest package, rendering, the outbox row and the sent-papers history in one
transaction) then :class:`papertide.digest.send.Delivery` (claims, the hand-over marks, one SMTP
connection per batch) to ``tests/mail_server.py`` running in another process (writing what it
receives to /dev/shm). Reported: digests/s end to end (enqueue + send, until the server has them
all) and seconds per stage::

    nice -n 5 .venv/bin/python bench/digest_speed.py [--small] [--subscribers N] [--processes N] [--json out.json]
        [--backend sqlite|postgresql] [--cache DIR]

``--small`` is a quick run: 50,000 papers, 1,000 subscribers. ``--backend postgresql`` runs the
same worker code with a PostgreSQL URL, on a local server holding a copy of the cached SQLite store
(``bench/pg.py``: made on the first run, then kept; store keys survive the copy, so the cached
lexical and vector indexes serve it unchanged). ``--cache DIR`` reads the cached corpus from another
checkout's ``bench/.cache``: with SQLite each run writes its subscribers into that store, so give
it a copy of its own; with PostgreSQL the SQLite store and the indexes are only read. Without
../shared the script exits 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pg
from corpus import CACHE, corpus_or_exit, record_authors
from search_speed import VENUE_CATEGORIES, _build_vectors, corpus, records
from sqlalchemy import delete, func, insert, select
from threadpoolctl import threadpool_limits

from papertide.accounts.keys import Signer, load_secret_key
from papertide.config import Settings, load_settings
from papertide.digest.alerts import validate_alert
from papertide.digest.compose import Composer
from papertide.digest.due import DigestComposer
from papertide.digest.enqueue import Shard, enqueue_due
from papertide.digest.preferences import Preferences
from papertide.digest.render import DigestMail
from papertide.digest.send import Delivery, DeliveryPolicy, mailer_relay
from papertide.errors import InvalidInput
from papertide.ingest.pipeline import ingest
from papertide.library import Library
from papertide.mail import Mailer
from papertide.model import Paper, Signal
from papertide.search.engine import SearchEngine
from papertide.search.lexical.index import LexicalIndex
from papertide.store import PaperStore, Stores, open_store
from papertide.store.db.engine import create_store_engine
from papertide.store.db.schema import alerts, mail_bounces, papers, subscriptions, users, votes
from papertide.store.digest.bounces import BounceStore
from papertide.store.digest.outbox import OutboxStore
from papertide.store.digest.subscriptions import ACTIVE, SubscriptionStore
from papertide.store.trending import TrendingStore
from papertide.trending import ScoreParams, Trending

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2030, 1, 7, 0, 0, tzinfo=UTC)  # the night the arrivals came: a Monday after any build
NOW = T0 + timedelta(hours=12)
ZONES = ("UTC", "Europe/Berlin", "Asia/Tokyo")
BENCH_ADDRESSES = "bench-%@example.org"
SIZES = {"1m": (1_000_000, 10_000, 2_000), "small": (50_000, 1_000, 500)}  # papers, subscribers, arrivals
WAIT_S = 600


def data_dir(name: str, cache: Path = CACHE) -> Path:
    return cache / f"digest-{name}"


def build(name: str, papers: int, arrivals: int, cache: Path = CACHE) -> dict:
    """The cached store, lexical and vector indexes of corpus ``name``, each built now if missing; facts about them.

    Vectors are search_speed.py's: each paper's base paper's real embedding (``bench/corpus.py embed``
    must have cached at least a thousand), mixed for the copies, and the HNSW graph over them.
    """
    settings = Settings(data_dir=data_dir(name, cache))
    facts_path = settings.data_dir / "build.json"
    facts = json.loads(facts_path.read_text()) if facts_path.exists() else {"papers": papers, "arrivals": arrivals}
    store = open_store(settings.resolved_database_url)
    if "ingest_s" not in facts:
        print(f"building the {name} corpus in {settings.data_dir} (once)", flush=True)
        base = list(records())
        started = time.perf_counter()
        ingest(corpus(base, papers), store, batch_size=5000)
        ingest(fresh_arrivals(base, arrivals), PaperStore(store.engine, clock=lambda: T0))
        facts["ingest_s"] = round(time.perf_counter() - started, 1)
        facts_path.write_text(json.dumps(facts, indent=2) + "\n")
        print(f"  ingested in {facts['ingest_s']} s", flush=True)
    if "lexical_index_s" not in facts:
        started = time.perf_counter()
        LexicalIndex.open(settings.index_dir / "lexical").update_from(store)
        facts["lexical_index_s"] = round(time.perf_counter() - started, 1)
        facts_path.write_text(json.dumps(facts, indent=2) + "\n")
        print(f"  lexical index in {facts['lexical_index_s']} s", flush=True)
    if "vectors_s" not in facts:
        base_size = sum(1 for _ in records())
        facts["vectors_s"], facts["ann_s"], facts["real_vectors"] = _build_vectors(settings, store, base_size)
        facts_path.write_text(json.dumps(facts, indent=2) + "\n")
        print(f"  vectors in {facts['vectors_s']:.1f} s, HNSW graph in {facts['ann_s']} s", flush=True)
    return facts


def fresh_arrivals(base: list[dict], count: int) -> Iterator[Paper]:
    """A night's new papers: corpus papers under new ids, submitted the day before T0; a fifth upvoted."""
    rng = random.Random(11)
    for number, record in enumerate(rng.sample(base, count)):
        venue = record["src"].split("/")[0]
        families = next(cats for names, cats in VENUE_CATEGORIES.items() if venue in names)
        upvotes = [Signal("hf_upvotes", rng.randint(1, 200), T0 + timedelta(hours=1))] if number % 5 == 0 else []
        yield Paper(
            f"arrival:{number}", record["title"], record.get("abstract") or "", authors=record_authors(record),
            categories=[families[0], *rng.sample(families[1:], rng.choice((0, 1)))],
            submitted=T0 - timedelta(days=1), source="bench", signals=upvotes,
        )  # fmt: skip


def subscribe(store: PaperStore, count: int, rng: random.Random) -> tuple[int, int]:
    """``count`` fresh subscribers due by NOW, with categories and alerts, half of them accounts that
    upvoted 5-10 papers (so "For you" has something to go on); how many alerts and accounts."""
    engine = store.engine
    with engine.begin() as conn:  # the last run's, and by cascade their digests, history and votes
        for table, column in ((subscriptions, subscriptions.c.email), (mail_bounces, mail_bounces.c.address),
                              (users, users.c.email)):  # fmt: skip
            conn.execute(delete(table).where(column.like(BENCH_ADDRESSES)))
    with engine.begin() as conn:
        conn.execute(insert(users), [
            {"email": f"bench-{n}@example.org", "created_at": T0 - timedelta(days=30)} for n in range(0, count, 2)
        ])  # fmt: skip
        made = select(users.c.email, users.c.pk).where(users.c.email.like(BENCH_ADDRESSES))
        accounts = dict(conn.execute(made).all())
        last_pk = conn.execute(select(func.max(papers.c.pk))).scalar_one()
        votes_rows = {
            (user_pk, rng.randint(1, last_pk)): None for user_pk in accounts.values() for _ in range(rng.randint(5, 10))
        }
        conn.execute(insert(votes), [
            {"user_pk": user_pk, "paper_pk": paper_pk, "created_at": T0 - timedelta(days=10)}
            for user_pk, paper_pk in votes_rows
        ])  # fmt: skip
    arrivals = [p for p in store.get_many_by_id([f"arrival:{n}" for n in range(5000)])]
    categories = sorted({c for p in arrivals for c in p.paper.categories})
    rows = []
    for n in range(count):
        zone = ZONES[n % len(ZONES)]
        delivery = (T0 + timedelta(hours=rng.randint(1, 12))).astimezone(ZoneInfo(zone))
        preferences = Preferences.parse(
            {"frequency": "daily", "hour": delivery.hour, "timezone": zone,
             "categories": rng.sample(categories, rng.randint(1, 3)), "max_papers": 10}
        )  # fmt: skip
        address = f"bench-{n}@example.org"
        rows.append(
            {"email": address, "user_pk": accounts.get(address), "status": ACTIVE,
             "preferences": preferences.to_dict(), "nonce": "bench", "created_at": T0 - timedelta(days=3),
             "updated_at": T0 - timedelta(days=3), "confirmed_at": T0 - timedelta(days=3)}
        )  # fmt: skip
    with engine.begin() as conn:
        conn.execute(insert(subscriptions), rows)
    made = SubscriptionStore(engine, clock=lambda: T0)
    alert_rows = {}
    for subscription in made.active_after(0, limit=10 * count):
        if not subscription.email.startswith("bench-") or rng.random() < 1 / 3:
            continue
        for _ in range(rng.randint(1, 2)):
            paper = rng.choice(arrivals)
            if rng.random() < 0.5 and paper.authors:
                kind, value = "author", rng.choice(paper.authors)
            else:
                words = [w for w in paper.title.split() if len(w) > 4][:2] or paper.title.split()[:1]
                kind, value = "search", " ".join(words)
            try:
                value = validate_alert(kind, value)
            except InvalidInput:
                continue
            alert_rows[subscription.pk, kind, value] = {"created_at": T0}
    with engine.begin() as conn:
        conn.execute(insert(alerts), [{"subscription_pk": pk, "kind": k, "value": v, "created_at": T0}
                                      for pk, k, v in alert_rows])  # fmt: skip
    return len(alert_rows), len(accounts)


class Stages:
    """Wall and CPU seconds spent in each wrapped call.

    CPU is the calling thread's, where all of a worker's digest work runs: the process clock would
    count idle library thread pools, and reading it costs milliseconds in a process with many threads.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    def wrap(self, name: str, call: Callable) -> Callable:
        def timed(*args, **kwargs):
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return call(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.cpu[name] += time.thread_time() - cpu

        return timed


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sink:
    """``--sink LOG PORT`` mode: an aiosmtpd server that takes every message and notes its size in LOG, no more.

    A real relay queues the message and answers; parsing or storing it here would charge the
    relay's work to the digests.
    """

    def __init__(self, log: Path) -> None:
        self.log = log.open("a", buffering=1)

    async def handle_DATA(self, server, session, envelope) -> str:
        self.log.write(f"{len(envelope.original_content)}\n")
        return "250 OK"


def run_sink(log: Path, port: int) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(Sink(log), hostname="127.0.0.1", port=port, server_hostname="bench.test")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})  # before its thread starts
    controller.start()
    print("listening", flush=True)
    parent = os.getppid()
    while signal.sigtimedwait({signal.SIGTERM, signal.SIGINT}, 1.0) is None and os.getppid() == parent:
        pass  # until told to stop, or the benchmark that started it is gone
    controller.stop()


def start_sink(log: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = subprocess.Popen(
        [sys.executable, __file__, "--sink", str(log), str(port)], stdout=subprocess.PIPE, text=True
    )
    if sink.stdout.readline().strip() != "listening":
        raise SystemExit("the SMTP sink did not start")
    return sink, port


def received(log: Path) -> int:
    return log.read_text().count("\n") if log.exists() else 0


def work(settings: Settings, shard: Shard, results: multiprocessing.Queue, ready: multiprocessing.Queue, go) -> None:
    """One worker process: compose, render and store its shard's digests, sending meanwhile, then the rest.

    It says when it is ready (interpreter started, indexes open) and waits for ``go``: a running
    worker has done all that before its hour comes, so the timing starts after it."""
    clock = lambda: NOW  # noqa: E731 (the whole run happens at one instant of the schedule)
    threadpool_limits(limits=1, user_api="blas")  # as `papertide worker` does
    store = PaperStore(create_store_engine(settings.resolved_database_url), clock=clock)
    stages = Stages()
    stores = Stores.beside(store, settings)
    subscriptions_store = stores.subscriptions
    params = ScoreParams.from_settings(settings)
    trending = Trending(store, stores.trending, params, refresh_after=timedelta(hours=1))
    engine = SearchEngine.open(settings, store)
    for_you = Library.over(stores, engine, settings).for_you
    composer = Composer(settings, store, engine, subscriptions_store, stores.accounts, trending, for_you)
    mail = DigestMail(settings, Signer(load_secret_key(settings)))
    composer.compose = stages.wrap("compose", composer.compose)
    mail.message = stages.wrap("render", mail.message)
    digests = DigestComposer(subscriptions_store, composer, mail, clock)
    due = digests.due
    digests.due = stages.wrap("due", lambda *a, **k: list(due(*a, **k)))
    outbox = OutboxStore(store.engine, clock)
    outbox.enqueue_many = stages.wrap("store", outbox.enqueue_many)
    bounces = BounceStore(store.engine, clock)
    mailer = Mailer.from_settings(settings)
    delivery = Delivery(outbox, bounces, lambda: mailer_relay(mailer), DeliveryPolicy.from_settings(settings))
    delivery.run = stages.wrap("send", delivery.run)  # on the sending thread too: CPU is counted per thread
    ready.put(shard.index)
    go.wait()
    with delivery.meanwhile(f"bench-{shard.index}") as delivered:  # as the worker's digest job sends
        enqueued = stages.wrap("enqueue", enqueue_due)(digests, outbox, bounces, NOW, shard=shard)
    delivered.add(delivery.run(f"bench-{shard.index}"))
    results.put((dict(stages.seconds), dict(stages.cpu), enqueued.as_dict(), delivered.as_dict()))


def measure(name: str, subscribers: int, processes: int, seed: int, cache: Path, backend: str) -> dict:
    paper_count, _, arrival_count = SIZES[name]
    facts = build(name, paper_count, arrival_count, cache)
    database_url = None  # SQLite: the store in the data directory
    if backend == "postgresql":
        database_url, facts["postgresql"] = pg.postgres_copy(data_dir(name, cache) / "papertide.db", f"digest-{name}")
    clock = lambda: NOW  # noqa: E731
    with tempfile.TemporaryDirectory(dir="/dev/shm") as scratch:
        log = Path(scratch) / "received"
        sink, port = start_sink(log)
        try:
            settings = load_settings(
                data_dir=data_dir(name, cache), database_url=database_url, smtp_host="127.0.0.1", smtp_port=port,
                smtp_security="none", base_url="https://papers.example.org",
            )  # fmt: skip
            store = PaperStore(open_store(settings.resolved_database_url).engine, clock=clock)
            alert_count, account_count = subscribe(store, subscribers, random.Random(seed))
            params = ScoreParams.from_settings(settings)
            started = time.perf_counter()
            Trending(store, TrendingStore(store.engine, clock), params, refresh_after=timedelta(hours=1)).refresh()
            refresh_s = time.perf_counter() - started
            store.engine.dispose()  # the workers open their own connections

            # Workers start in fresh interpreters: a child forked after this process used OpenMP (faiss
            # building the HNSW graph) hangs in its first faiss call, libgomp's threads not surviving fork.
            spawn = multiprocessing.get_context("spawn")
            results, ready, go = spawn.Queue(), spawn.Queue(), spawn.Event()
            started = time.perf_counter()
            workers = [
                spawn.Process(target=work, args=(settings, Shard(index, processes), results, ready, go))
                for index in range(processes)
            ]
            for worker in workers:
                worker.start()
            for _ in workers:
                ready.get(timeout=WAIT_S)
            startup_s = time.perf_counter() - started
            sink_cpu = cpu_seconds(sink.pid)
            server_cpu = pg.server_cpu_s(f"digest-{name}") if database_url else 0.0
            started = time.perf_counter()
            go.set()
            reports = [results.get(timeout=WAIT_S) for _ in workers]
            for worker in workers:
                worker.join()
            deadline = time.monotonic() + WAIT_S
            sent = sum(delivery["sent"] for *_, delivery in reports)
            while received(log) < sent and time.monotonic() < deadline:
                time.sleep(0.02)
            total_s = time.perf_counter() - started
            sink_cpu = cpu_seconds(sink.pid) - sink_cpu
            server_cpu = pg.server_cpu_s(f"digest-{name}") - server_cpu if database_url else None
        finally:
            sink.terminate()
            sink.wait(timeout=60)
    seconds, cpu = defaultdict(float), defaultdict(float)
    for wall, used, _, _ in reports:
        for stage, value in wall.items():
            seconds[stage] += value
        for stage, value in used.items():
            cpu[stage] += value
    due = sum(enqueued["due"] for _, _, enqueued, _ in reports)
    rows = {}
    for stage in ("due", "compose", "render", "store", "other", "send"):
        if stage == "other":  # the rest of enqueueing: walking the due list, wire bytes, bookkeeping
            wall = seconds["enqueue"] - sum(seconds[s] for s in ("due", "compose", "render", "store"))
            used = cpu["enqueue"] - sum(cpu[s] for s in ("due", "compose", "render", "store"))
        else:
            wall, used = seconds[stage], cpu[stage]
        rows[stage] = {"wall_s": round(wall, 2), "cpu_s": round(used, 2), "cpu_ms_per_digest": per(used, due)}
    rows["smtp sink (its process)"] = {
        "wall_s": None,
        "cpu_s": round(sink_cpu, 2),
        "cpu_ms_per_digest": per(sink_cpu, due),
    }
    if server_cpu is not None:  # on the same cores: what a separate database machine would take off them
        rows["postgresql server (its processes)"] = {
            "wall_s": None,
            "cpu_s": round(server_cpu, 2),
            "cpu_ms_per_digest": per(server_cpu, due),
        }
    worker_cpu = cpu["enqueue"] + cpu["send"]
    return {
        "backend": backend,
        "corpus": facts,
        "subscribers": subscribers,
        "processes": processes,
        "alerts": alert_count,
        "accounts": account_count,
        "enqueue": {key: sum(e[key] for _, _, e, _ in reports) for key in reports[0][2]},
        "delivery": {key: sum(d[key] for *_, d in reports) for key in ("sent", "skipped", "retried", "failed", "lost")},
        "trending_refresh_s": round(refresh_s, 2),
        "worker_startup_s": round(startup_s, 2),  # not in the timing: a running worker has started already
        "stages": rows,
        "total": {"wall_s": round(total_s, 2), "worker_cpu_s": round(worker_cpu, 2)},
        "digests_per_s": round(sent / total_s, 1),
        "digests_per_worker_cpu_s": round(sent / worker_cpu, 1),
    }


def per(seconds: float, count: int) -> float:
    return round(1000 * seconds / max(1, count), 2)


def print_report(name: str, result: dict) -> None:
    corpus_facts = result["corpus"]
    print(
        f"\n{name} on {result['backend']}: {corpus_facts['papers']:,} papers + {corpus_facts['arrivals']:,} arrivals, "
        f"{result['subscribers']:,} subscribers ({result['alerts']:,} alerts, {result['accounts']:,} with upvotes); "
        "trending refresh "
        f"{result['trending_refresh_s']} s; workers ready in {result['worker_startup_s']} s (neither timed)"
    )
    if "postgresql" in corpus_facts:
        copied = corpus_facts["postgresql"]
        print(f"copied into PostgreSQL in {copied['copy_s']} s ({copied['papers_per_s']:,} papers/s); "
              f"{copied['database_mb']:,} MB there, {copied['sqlite_mb']:,} MB in SQLite")  # fmt: skip
    print(f"enqueue: {result['enqueue']}\nsend: {result['delivery']}")
    print("\n| stage | wall s | CPU s | CPU ms per digest |\n|---|---|---|---|")
    for stage, row in result["stages"].items():
        print(f"| {stage} | {row['wall_s'] if row['wall_s'] is not None else '-'} | {row['cpu_s']} | "
              f"{row['cpu_ms_per_digest']} |")  # fmt: skip
    total = result["total"]
    print(f"| **all, end to end** | **{total['wall_s']}** | **{total['worker_cpu_s']}** (workers) | |")
    print(
        f"\n{result['digests_per_s']} digests/s end to end with {result['processes']} worker process(es); "
        f"{result['digests_per_worker_cpu_s']} per CPU second of the workers (target >= 200 digests/s)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50,000 papers and 1,000 subscribers: a quick run")
    parser.add_argument("--subscribers", type=int, help="how many subscribers (default 10,000; --small 1,000)")
    parser.add_argument("--processes", type=int, default=1, help="worker processes, each composing a shard")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sink", nargs=2, metavar=("LOG", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    pg.add_argument(parser)
    pg.add_cache_argument(parser)
    args = parser.parse_args()
    if args.sink:
        run_sink(Path(args.sink[0]), int(args.sink[1]))
        return 0
    corpus_or_exit()
    name = "small" if args.small else "1m"
    result = measure(name, args.subscribers or SIZES[name][1], args.processes, args.seed, args.cache, args.backend)
    print_report(name, result)
    if args.json:
        args.json.write_text(json.dumps({name: result}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
