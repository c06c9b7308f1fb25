"""/readyz reports the workers and the outbox, and stays ready whether or not a worker runs."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from papertide.config import load_settings
from papertide.store import open_store
from papertide.store.digest.outbox import NewDigest, OutboxStore
from papertide.store.jobs import JobStore
from papertide.web.app import create_app
from tests.worker.conftest import subscribe


def test_readyz_shows_live_workers_jobs_and_waiting_digests(tmp_path: Path, db_url: str) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=db_url)
    store = open_store(settings.resolved_database_url)
    [subscription] = subscribe(store.engine, 1)
    OutboxStore(store.engine).enqueue(NewDigest(subscription.pk, "2026-03-02", subscription.email, b"m", (1,)))
    jobs = JobStore(store.engine)
    jobs.beat("host:1:abc", "host", 1, "digests")
    jobs.acquire("ingest", "host:1:abc", 300, "2026-03-02")
    jobs.beat("host:2:def", "host", 2, None)
    jobs.stopped("host:2:def")

    with TestClient(create_app(settings, store)) as client:
        ready = client.get("/readyz")
    assert ready.status_code == 200
    worker = ready.json()["worker"]
    assert worker["workers_alive"] == 1  # the stopped one is not counted
    assert worker["jobs"] == {"ingest": "running"}
    assert worker["outbox"]["pending"] == 1 and worker["outbox"]["sending"] == 0
    assert worker["outbox"]["oldest_due"] is not None
