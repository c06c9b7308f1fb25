"""The search API's throughput through one process against the CPU time of one search (issue 27).

One server process answers at most 1 / (its CPU time per request) requests a second. If the web
layer cost nothing, that would be 1 / (the CPU time of one search in process); issue 27's target
is requests per second >= 0.8 x that, i.e. the web layer costs at most a fifth. Both are measured
here in one run, over the same data directory and the same distinct title-word queries as
bench/web_load.py, top 20, with the query-embedding cache off on both sides (every request embeds
its query, as a new query does)::

    .venv/bin/python bench/api_ratio.py --data-dir bench/.cache/search-1m [--mode hybrid] [--searches 600]
                                        [--duration 30] [--concurrency 8] [--json out.json]

In process: ``SearchEngine.search`` called in a loop, CPU time of the whole process (the query
embedding's thread included) over wall time's worth of searches. Through the API: ``papertide serve
--workers 1`` driven by wrk (one C thread; without wrk, the Python client, which takes more of a
two-core machine from the server). The server's own CPU per request is shown beside, from /proc.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx
import web_load

from papertide.config import load_settings
from papertide.search.engine import SearchEngine
from papertide.store import open_store

WARMUP = 50


def in_process_cpu_ms(data_dir: Path, queries: list[str], mode: str) -> dict:
    """CPU and wall ms per search of ``SearchEngine.search`` over ``queries`` (after a warm-up)."""
    settings = load_settings(data_dir=data_dir, query_embedding_cache=0)
    store = open_store(settings.resolved_database_url)
    engine = SearchEngine.open(settings, store)
    for query in queries[:WARMUP]:
        engine.search(query, mode=mode, limit=20)
    timed = queries[WARMUP:]
    cpu, wall = time.process_time(), time.perf_counter()
    for query in timed:
        engine.search(query, mode=mode, limit=20)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    store.engine.dispose()
    return {"searches": len(timed), "cpu_ms": 1000 * cpu / len(timed), "wall_ms": 1000 * wall / len(timed)}


def api_throughput(data_dir: Path, queries: list[str], mode: str, args: argparse.Namespace) -> dict:
    """Requests per second of ``GET /api/v1/search`` through one server process, and its CPU per request."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env["PAPERTIDE_QUERY_EMBEDDING_CACHE"] = "0"
    port = web_load.free_port()
    server = web_load.start_server(data_dir, port, workers=1, env=env)
    paths = (f"/api/v1/search?{httpx.QueryParams({'q': q, 'mode': mode})}" for q in itertools.cycle(queries))
    try:
        result = web_load.run_scenario("search", f"http://127.0.0.1:{port}", paths, server.pid, args)
    finally:
        server.terminate()
        server.wait(60)
    return {
        "requests_per_s": result.requests_per_s,
        "errors": result.errors,
        "p50_ms": result.p50_ms,
        "p99_ms": result.p99_ms,
        "server_cpu_ms_per_request": result.server_cpu_ms_per_request,
        "server_cores": result.server_cores,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a papertide data directory with its indexes")
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "lexical", "semantic"))
    parser.add_argument("--searches", type=int, default=600, help="timed in-process searches")
    parser.add_argument("--duration", type=float, default=30, help="seconds of load on the API")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not (args.data_dir / "index").is_dir():
        print(f"no indexed data directory at {args.data_dir} (build one with bench/search_speed.py)", file=sys.stderr)
        return 0
    args.client = "wrk" if shutil.which("wrk") else "python"
    _, titles = web_load.sample_papers(args.data_dir)
    queries = web_load.distinct_queries(titles)
    inside = in_process_cpu_ms(args.data_dir, queries[: WARMUP + args.searches], args.mode)
    api = api_throughput(args.data_dir, queries[WARMUP + args.searches :], args.mode, args)
    ceiling = 1000 / inside["cpu_ms"]
    result = {
        "data_dir": str(args.data_dir),
        "mode": args.mode,
        "client": args.client,
        "load_average": os.getloadavg(),
        "in_process": inside,
        "api": api,
        "ceiling_per_s": ceiling,
        "ratio": api["requests_per_s"] / ceiling,
    }
    print(f"{'in-process CPU per search':<34} {inside['cpu_ms']:8.2f} ms  (wall {inside['wall_ms']:.2f} ms)")
    print(f"{'1 / that':<34} {ceiling:8.1f} /s")
    print(
        f"{'API through one process':<34} {api['requests_per_s']:8.1f} req/s  ({args.client}, "
        f"{args.concurrency} in flight, p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms, {api['errors']} errors)"
    )
    print(f"{'server CPU per request':<34} {api['server_cpu_ms_per_request']:8.2f} ms  ({api['server_cores']} cores)")
    print(f"{'ratio (target >= 0.8)':<34} {result['ratio']:8.2f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
