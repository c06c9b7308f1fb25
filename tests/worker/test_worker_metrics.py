"""The worker's metrics: job runs by outcome and last success, on its own port (``worker_metrics_port``),
under the same access rules as the web app's /metrics; and a real ``papertide worker`` serving them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from papertide.config import Settings, load_settings
from papertide.metrics.worker_server import serve_worker_metrics
from papertide.store.db.engine import create_store_engine
from papertide.store.jobs import JobStore
from papertide.worker.jobs import Job, JobRunner
from tests.web.live_server import free_port
from tests.web.metrics_helpers import parse, value

TOKEN = "worker-metrics-token-0123456789"


@contextmanager
def serving(settings: Settings) -> Iterator[str]:
    server = serve_worker_metrics(settings)
    assert isinstance(server, ThreadingHTTPServer)
    try:
        yield f"http://127.0.0.1:{settings.worker_metrics_port}/metrics"
    finally:
        server.shutdown()
        server.server_close()


def test_job_runs_are_counted_by_outcome_with_the_last_success_time(db_url: str, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, worker_metrics_port=free_port())
    runner = JobRunner(JobStore(create_store_engine(db_url)), "worker-1", lease_s=60, retry_s=60)

    def broken(_stop: object) -> dict:
        raise RuntimeError("the source is down")

    with serving(settings) as url:
        before = parse(httpx.get(url).text)
        started = time.time()
        runner.run(Job("metrics-test-ok", lambda _now: "run-1", lambda _stop: {}), lambda: False)
        runner.run(Job("metrics-test-broken", lambda _now: "run-1", broken), lambda: False)
        after = parse(httpx.get(url).text)

    runs = "papertide_job_runs_total"
    for job, outcome in (("metrics-test-ok", "ok"), ("metrics-test-broken", "failed")):
        assert value(after, runs, job=job, outcome=outcome) == value(before, runs, job=job, outcome=outcome) + 1
    assert value(after, runs, job="metrics-test-broken", outcome="ok") == 0
    last = "papertide_job_last_success_timestamp_seconds"
    assert value(after, last, job="metrics-test-ok") >= int(started)
    assert (last, frozenset({("job", "metrics-test-broken")})) not in after


def test_the_worker_port_follows_the_access_rules(tmp_path: Path) -> None:
    off = load_settings(data_dir=tmp_path, worker_metrics_port=free_port(), metrics_access="off")
    assert serve_worker_metrics(off) is None
    assert serve_worker_metrics(load_settings(data_dir=tmp_path)) is None  # no port set: none served

    token = load_settings(
        data_dir=tmp_path, worker_metrics_port=free_port(), metrics_access="token", metrics_token=TOKEN
    )
    with serving(token) as url:
        missing = httpx.get(url)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        assert httpx.get(url, headers={"Authorization": "Bearer wrong-token"}).status_code == 403
        allowed = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200 and "papertide_job_runs" in allowed.text
        other = httpx.get(url.replace("/metrics", "/other"), headers={"Authorization": f"Bearer {TOKEN}"})
        assert other.status_code == 404


def test_a_running_worker_serves_its_job_runs_and_logs_json_lines(db_url: str, tmp_path: Path) -> None:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAPERTIDE_")}
    env |= {
        "PAPERTIDE_DATA_DIR": str(tmp_path),
        "PAPERTIDE_DATABASE_URL": db_url,
        "PAPERTIDE_WORKER_METRICS_PORT": str(port),
        "PAPERTIDE_WORKER_OAI_SETS": "[]",
        "PAPERTIDE_WORKER_HF_DAYS": "0",
        "PAPERTIDE_WORKER_EMBED": "false",
        "PAPERTIDE_WORKER_TICK_S": "0.5",
        "PAPERTIDE_LOG_FORMAT": "json",
    }
    logged = tmp_path / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "papertide", "worker"], env=env, stderr=logged.open("w"))
    try:
        samples: dict = {}
        deadline = time.monotonic() + 120
        while value(samples, "papertide_job_runs_total", job="trending", outcome="ok") < 2:
            if time.monotonic() > deadline or worker.poll() is not None:
                pytest.fail(f"no job runs on the worker's port; it logged:\n{logged.read_text()}")
            with suppress(httpx.TransportError):
                samples = parse(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
            time.sleep(0.2)
        assert value(samples, "papertide_job_runs_total", job="index", outcome="ok") == 1
        assert value(samples, "papertide_db_pool_size") >= 1
    finally:
        worker.terminate()
        worker.wait(60)
    lines = [json.loads(line) for line in logged.read_text().splitlines()]  # every line is JSON
    assert any(line["msg"].startswith("job index") for line in lines)
    assert all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)
