"""``papertide serve --workers``: several processes behind one port, over one data directory and store.

A real ``papertide serve`` in a subprocess, its real worker processes, and the store of the
backend under test. The workers get the command line's options (``--data-dir``,
``--database-url``) through their environment, with the vector graph mapped to share its pages,
and their index followers take turns: they all come up ready, none reports a failed pass, and all
of them see papers stored while they serve.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from papertide.ingest.pipeline import ingest
from papertide.store import open_store
from papertide.store.db.engine import create_store_engine
from papertide.web.server.http_protocol import MAX_HEAD_BYTES
from tests.search.topical_papers import topical_papers
from tests.web.live_server import free_port
from tests.web.metrics_helpers import parse, total, value

pytestmark = pytest.mark.slow  # run first (tests/conftest.py): each starts and stops a two-worker server

FOLLOW_S = "0.2"
AGREEING_ANSWERS = 12  # answers in a row, from whichever worker the kernel hands each connection to


def every_worker(check: Callable[[], bool], what: str, timeout_s: float = 90.0) -> None:
    """Wait until ``check`` holds for :data:`AGREEING_ANSWERS` requests in a row."""
    deadline = time.monotonic() + timeout_s
    in_a_row = 0
    while in_a_row < AGREEING_ANSWERS:
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        try:
            in_a_row = in_a_row + 1 if check() else 0
        except httpx.TransportError:
            in_a_row = 0
        if not in_a_row:
            time.sleep(0.1)


def started_workers(served: Served, count: int, timeout_s: float = 90.0) -> list[int]:
    """Wait until ``count`` worker processes have logged uvicorn's "Application startup complete".

    Answers alone cannot show this: while one worker is still starting, the kernel hands every
    connection to the other, so a run of good answers may all come from one process.
    """
    deadline = time.monotonic() + timeout_s
    while served.log_text().count("Application startup complete") < count:
        if time.monotonic() > deadline or served.server.poll() is not None:
            raise AssertionError(f"{count} workers did not start:\n{served.log_text()}")
        time.sleep(0.1)
    workers = worker_pids(served.server.pid)
    assert len(workers) == count, served.log_text()
    return workers


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]


@contextmanager
def serving_two_workers(database_url: str, tmp_path: Path, env: dict[str, str]) -> Iterator[Served]:
    """``papertide serve --workers 2`` over ``database_url`` on a free port; on leaving, stopped, and what it logged."""
    port = free_port()
    command = ["--data-dir", str(tmp_path / "data"), "--database-url", database_url]
    command += ["serve", "--port", str(port), "--workers", "2"]
    with tempfile.NamedTemporaryFile() as log:
        server = subprocess.Popen([sys.executable, "-m", "papertide", *command], env=env, stderr=log)
        served = Served(server, f"http://127.0.0.1:{port}", Path(log.name))
        try:
            yield served
        finally:
            server.terminate()
            server.wait(60)
        served.logged = served.log_text()


@dataclass
class Served:
    server: subprocess.Popen
    base: str
    log: Path
    logged: str = ""

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def test_two_workers_serve_one_port_and_follow_the_store_in_turn(database_url: str, tmp_path: Path) -> None:
    papers = topical_papers()
    store = open_store(database_url)
    ingest(papers[:8], store)
    env = {k: v for k, v in os.environ.items() if k not in ("PAPERTIDE_DATA_DIR", "PAPERTIDE_DATABASE_URL")}
    env["PAPERTIDE_INDEX_FOLLOW_S"] = FOLLOW_S  # on SQLite too: every worker runs a follower
    with serving_two_workers(database_url, tmp_path, env) as served:
        base = served.base

        def ready() -> bool:
            answer = httpx.get(f"{base}/readyz", timeout=10)
            return answer.status_code == 200 and answer.json()["index"]["error"] is None

        workers = started_workers(served, 2)
        every_worker(ready, "both workers to be ready")
        for pid in workers:  # they share the vector graph's pages, and search on their event loops
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            assert {b"PAPERTIDE_MAP_VECTOR_GRAPH=true", b"PAPERTIDE_SEARCH_ON_EVENT_LOOP=true"} <= set(environ)
        # stored while they serve: every worker's follower indexes it, or finds its turn taken and done
        ingest(papers[8:], store)
        newest = papers[-1]

        def found() -> bool:
            params = {"q": f'title:"{newest.title}"', "mode": "lexical"}
            answer = httpx.get(f"{base}/api/v1/search", params=params, timeout=10)
            hits = answer.json()["results"] if answer.status_code == 200 else []
            return newest.id in [hit["paper"]["id"] for hit in hits]

        every_worker(found, "both workers to find the new paper")

        def refuses_long_heads() -> bool:  # each worker speaks papertide's HTTP protocol (web.http_protocol)
            answer = httpx.get(f"{base}/healthz", headers={"X-Big": "x" * MAX_HEAD_BYTES}, timeout=10)
            return answer.status_code == 431 and answer.headers["content-type"] == "application/problem+json"

        every_worker(refuses_long_heads, "both workers to refuse a request head over the limit with a problem")
    logged = served.logged
    assert served.server.returncode == 0, logged
    assert "index follower" not in logged and "Traceback" not in logged, logged  # no pass failed on a busy index


SLOW_START = '''
import os, sys, time
if "spawn_main" in " ".join(sys.orig_argv):  # a worker process of `serve --workers`, not the parent
    time.sleep(float(os.environ["SLOW_START_S"]))
'''


def test_a_worker_that_starts_slowly_is_not_killed_by_the_health_ping(database_url: str, tmp_path: Path) -> None:
    """Issue 21 finding 9: uvicorn pings each worker and, by its own default, kills one that has not answered
    within 5 s; on a busy machine a worker starting up took longer, and was replaced again and again. Here each
    worker process starts 7 s late (a sitecustomize module holds it back before it can answer)."""
    ingest(topical_papers()[:3], open_store(database_url))
    (tmp_path / "slow").mkdir()
    (tmp_path / "slow" / "sitecustomize.py").write_text(SLOW_START)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env |= {"SLOW_START_S": "7", "PYTHONPATH": os.pathsep.join([str(tmp_path / "slow"), *sys.path])}
    with serving_two_workers(database_url, tmp_path, env) as served:
        base = served.base
        started_workers(served, 2)
        every_worker(lambda: httpx.get(f"{base}/readyz", timeout=10).status_code == 200, "both workers to answer")
        # with no base URL, a request to an untrusted name links to where serve listens, in every worker
        feed = httpx.get(f"{base}/feeds/new.atom", headers={"Host": "evil.example"}, timeout=10).text
        assert f"{base}/paper/" in feed and "evil.example" not in feed
    logged = served.logged
    assert served.server.returncode == 0, logged
    assert "died" not in logged, logged  # uvicorn: "Child process [pid] died" when it killed one
    assert len(re.findall(r"Started server process \[\d+\]", logged)) == 2, logged  # the first two, never replaced


def test_one_scrape_counts_every_worker_and_forgets_a_dead_ones_pool(database_url: str, tmp_path: Path) -> None:
    """prometheus_client's multiprocess mode: each worker process writes its counts to files under the data
    directory, and whichever worker answers /metrics merges them all. A worker killed and replaced keeps its
    counts (those requests happened) but its pool leaves the live gauges. Every line it logs is JSON here."""
    ingest(topical_papers()[:3], open_store(database_url))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")}
    env["PAPERTIDE_LOG_FORMAT"] = "json"
    stale = tmp_path / "data" / "metrics" / "counter_1.db"  # a previous run's file: removed at start
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"stale")
    with serving_two_workers(database_url, tmp_path, env) as served:
        base = served.base
        workers = started_workers(served, 2)
        assert not stale.exists()
        requests = 40
        for _ in range(requests):  # a connection each: the kernel hands them to both workers
            assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        counted_by = {int(path.stem.rsplit("_", 1)[1]) for path in stale.parent.glob("counter_*.db")}
        assert counted_by == set(workers)

        def scrape() -> dict:
            return parse(httpx.get(f"{base}/metrics", timeout=10).text)

        per_process = create_store_engine(database_url).pool.size()
        every_worker(lambda: total(scrape(), "papertide_http_requests_total", route="/healthz") == requests,
                     "every worker's scrape to count every worker's requests")  # fmt: skip
        every_worker(lambda: value(scrape(), "papertide_db_pool_size") == 2 * per_process, "pools of two")

        os.kill(workers[0], signal.SIGKILL)  # uvicorn's supervisor starts another in its place
        started_workers_after = 3
        deadline = time.monotonic() + 90
        while served.log_text().count("Application startup complete") < started_workers_after:
            assert time.monotonic() < deadline, served.log_text()
            time.sleep(0.1)
        every_worker(lambda: value(scrape(), "papertide_db_pool_size") == 2 * per_process, "the dead pool gone")
        assert total(scrape(), "papertide_http_requests_total", route="/healthz") == requests
    lines = served.logged.splitlines()
    assert lines and all(json.loads(line)["msg"] for line in lines)
    assert any("Application startup complete" in json.loads(line)["msg"] for line in lines)
