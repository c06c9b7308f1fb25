"""Where a search API request's CPU goes: each stage's CPU time per request, in one process.

On a small machine the search API's throughput is its CPU time per request (two cores busy
at ~15 ms a request bound it near 130 req/s), so work on it should aim at the largest stage.
This drives the app in-process (ASGI, no sockets), with the same distinct title-word queries
as bench/web_load.py, and times the stages by wrapping them: each call's wall time and the
CPU time of the thread that ran it (the query embedding runs on a thread of its own, beside
the lexical leg). What no stage accounts for is shown as two remainders: the rest of the
search (parsing, fusion, the pool's own scores) and the rest of the request (the web layer,
thread hand-offs, the in-process client). A second pass answers every search from memory to
measure the web layer alone::

    .venv/bin/python bench/search_cpu.py [--data-dir bench/.cache/digest-1m] [--mode hybrid]
                                         [--requests 1000] [--json out.json]

Without ``--data-dir`` it runs over the demo corpus (bench/.cache/web-demo, as web_load.py).
Wrapping adds ~2 us a call; the machine's noise (see bench/README.md) is far larger.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import web_load

from papertide.config import load_settings
from papertide.search import engine as engine_module
from papertide.search.lexical.index import LexicalIndex
from papertide.search.semantic.embed import OnnxEmbedder
from papertide.search.semantic.index import VectorIndex
from papertide.store.papers.store import PaperStore
from papertide.web.app import create_app

WARMUP_REQUESTS = 50
# What is timed, (owner, attribute, name): the search, and its stages, none inside another.
SEARCH = (engine_module.SearchEngine, "search", "search")
STAGES = (
    (LexicalIndex, "search", "lexical leg (BM25 top of the pool)"),
    (LexicalIndex, "scores", "BM25 of the other leg's candidates"),
    (OnnxEmbedder, "embed_query", "query embedding"),
    (VectorIndex, "search", "HNSW walk"),
    (VectorIndex, "subset", "the pool's vectors"),
    (PaperStore, "get_many", "hydrating the page's papers"),
    (engine_module, "highlight", "marking titles"),
    (engine_module, "snippet", "abstract snippets"),
)


@dataclass(slots=True)
class Stage:
    name: str
    calls: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    cpu_in_search_s: float = 0.0  # on the searching thread (not the embedding's own)


class Stages:
    """Per-stage totals, gathered afresh by wrapping each stage for the length of a ``with timing()``."""

    def __init__(self) -> None:
        self.stages: dict[str, Stage] = {}
        self._searching = threading.local()

    @contextmanager
    def timing(self) -> Iterator[None]:
        saved = [(owner, attribute, getattr(owner, attribute)) for owner, attribute, _ in (SEARCH, *STAGES)]
        try:
            for timed in (SEARCH, *STAGES):
                self._wrap(*timed, marks_search=timed is SEARCH)
            yield
        finally:
            for owner, attribute, original in saved:
                setattr(owner, attribute, original)

    def _wrap(self, owner: object, attribute: str, name: str, *, marks_search: bool = False) -> None:
        original = getattr(owner, attribute)
        stage = self.stages[name] = Stage(name)
        searching = self._searching

        @functools.wraps(original)
        def timed(*args, **kwargs):
            inside = getattr(searching, "inside", False)
            if marks_search:
                searching.inside = True
            wall, cpu = time.perf_counter(), time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.thread_time() - cpu
                stage.calls += 1
                stage.wall_s += time.perf_counter() - wall
                stage.cpu_s += spent
                if inside:
                    stage.cpu_in_search_s += spent
                if marks_search:
                    searching.inside = False

        setattr(owner, attribute, timed)


async def _requests(app, paths: list[str]) -> tuple[float, float]:
    """Wall and process CPU seconds of ``paths``, asked one after another; any error stops the run."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        wall, cpu = time.perf_counter(), time.process_time()
        for path in paths:
            response = await client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}: {response.text[:200]}")
        return time.perf_counter() - wall, time.process_time() - cpu


async def measure(data_dir: Path, mode: str, count: int) -> dict:
    queries = web_load.distinct_queries(web_load.sample_papers(data_dir)[1])[: count + WARMUP_REQUESTS]
    if len(queries) < count + WARMUP_REQUESTS:
        raise SystemExit(f"{data_dir} yields {len(queries)} distinct queries; ask for fewer --requests")
    paths = [f"/api/v1/search?{httpx.QueryParams({'q': query, 'mode': mode})}" for query in queries]
    warmup, timed = paths[:WARMUP_REQUESTS], paths[WARMUP_REQUESTS:]
    app = create_app(load_settings(data_dir=data_dir))
    stages = Stages()
    async with app.router.lifespan_context(app):
        await _requests(app, warmup)
        with stages.timing():
            wall_s, cpu_s = await _requests(app, timed)
        engine = app.state.services.engine
        answers = {}
        searching = engine.search
        # The same requests again, each search answered from memory: what the web layer costs.
        engine.search = lambda text, **options: answers[text]
        for query in queries[WARMUP_REQUESTS:]:
            answers[query] = searching(query, mode=mode)
        web_s = (await _requests(app, timed))[1]
        del engine.search
    return report(stages.stages, len(timed), wall_s, cpu_s, web_s)


def report(stages: dict[str, Stage], requests: int, wall_s: float, cpu_s: float, web_s: float) -> dict:
    """Milliseconds per request of every stage and of the two remainders."""
    search = stages.pop("search")
    per = 1000 / requests
    rows = [
        {"stage": s.name, "calls": round(s.calls / requests, 2), "wall_ms": s.wall_s * per, "cpu_ms": s.cpu_s * per}
        for s in stages.values()
    ]
    in_search = sum(s.cpu_in_search_s for s in stages.values())
    beside = sum(s.cpu_s - s.cpu_in_search_s for s in stages.values())  # the embedding's own thread
    rows.append({"stage": "rest of the search", "calls": 1.0, "wall_ms": None,
                 "cpu_ms": (search.cpu_s - in_search) * per})  # fmt: skip
    rows.append({"stage": "rest of the request", "calls": 1.0, "wall_ms": None,
                 "cpu_ms": (cpu_s - search.cpu_s - beside) * per})  # fmt: skip
    return {
        "requests": requests,
        "wall_ms_per_request": wall_s * per,
        "cpu_ms_per_request": cpu_s * per,
        "search_cpu_ms": search.cpu_s * per,
        "web_layer_cpu_ms": web_s * per,
        "stages": rows,
    }


def print_report(result: dict, mode: str) -> None:
    total = result["cpu_ms_per_request"]
    print(
        f"{result['requests']} {mode} search requests, one at a time: {result['wall_ms_per_request']:.2f} ms wall,"
        f" {total:.2f} ms CPU each ({result['search_cpu_ms']:.2f} on the searching thread)"
    )
    print(f"{'stage':58} {'calls':>5} {'wall ms':>8} {'CPU ms':>7} {'share':>6}")
    for row in sorted(result["stages"], key=lambda r: -r["cpu_ms"]):
        wall = "" if row["wall_ms"] is None else f"{row['wall_ms']:.2f}"
        print(f"{row['stage']:58} {row['calls']:5.2f} {wall:>8} {row['cpu_ms']:7.2f} {row['cpu_ms'] / total:6.1%}")
    print(f"the web layer and client alone, searches answered from memory: {result['web_layer_cpu_ms']:.2f} ms CPU")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a papertide data directory with store and indexes")
    parser.add_argument("--mode", choices=("hybrid", "semantic", "lexical"), default="hybrid")
    parser.add_argument("--requests", type=int, default=1000, help="timed requests, each a distinct query")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    data_dir = args.data_dir or web_load.prepare_demo(web_load.DEMO_DIR)
    logging.disable(logging.INFO)  # one access-log line a request would be timed too
    result = asyncio.run(measure(data_dir, args.mode, args.requests))
    print_report(result, args.mode)
    if args.json:
        args.json.write_text(json.dumps(result | {"mode": args.mode, "data_dir": str(data_dir)}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
