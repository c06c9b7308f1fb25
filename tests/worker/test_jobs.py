"""Job leases: of several workers exactly one runs each run; a dead worker's job is taken over; failures wait."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import Engine, select

from papertide.errors import SourceError
from papertide.store.db.engine import create_store_engine
from papertide.store.db.schema import worker_jobs
from papertide.store.jobs import JobStore
from papertide.worker.jobs import Job, JobRunner
from tests.clock import ControlledClock


def test_two_workers_racing_run_each_run_once(db_url: str) -> None:
    runs: list[tuple[str, str]] = []
    keys = [f"day-{n:02d}" for n in range(25)]
    start = threading.Barrier(2)

    def worker(name: str) -> None:
        runner = JobRunner(JobStore(create_store_engine(db_url)), name, lease_s=60, retry_s=60)
        start.wait()
        for key in keys:
            for _attempt in range(2):  # each worker asks twice for every run, as successive ticks would
                job = Job("ingest", lambda _now, key=key: key, lambda _stop, key=key: runs.append((name, key)) or {})
                runner.run(job, lambda: False)

    threads = [threading.Thread(target=worker, args=(f"worker-{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    ran = [key for _, key in runs]
    assert len(ran) == len(set(ran))  # no run twice
    assert ran == sorted(ran)  # and never an older run after a newer one (a newer run covers it)
    assert ran[-1] == "day-24"
    state = {job.name: job for job in JobStore(create_store_engine(db_url)).jobs()}["ingest"]
    assert (state.state, state.done_key, state.runs, state.holder) == ("done", "day-24", len(ran), None)


def test_nothing_runs_when_no_run_is_due(engine: Engine, clock: ControlledClock) -> None:
    runner = JobRunner(JobStore(engine, clock), "w", lease_s=60, retry_s=60)
    assert runner.run(Job("ingest", lambda _now: None, lambda _stop: {"ran": True}), lambda: False) is None
    assert JobStore(engine, clock).jobs() == []


def test_a_dead_workers_job_is_taken_over_when_its_lease_runs_out(engine: Engine, clock: ControlledClock) -> None:
    dead = JobStore(engine, clock)
    assert dead.acquire("ingest", "dead", 300, "2026-03-02")  # ... and then it was killed
    survivor = JobRunner(JobStore(engine, clock), "survivor", lease_s=300, retry_s=60)
    job = Job("ingest", lambda _now: "2026-03-02", lambda _stop: {"papers": 3})

    assert survivor.run(job, lambda: False) is None  # the lease still holds
    clock.advance(seconds=301)
    result = survivor.run(job, lambda: False)

    assert (result.ok, result.detail) == (True, {"papers": 3})
    assert not dead.finish("ingest", "dead", ok=True, detail={})  # the dead worker's word no longer counts
    assert survivor.run(job, lambda: False) is None  # done: the same day does not run again


def test_a_failed_run_waits_then_runs_again(engine: Engine, clock: ControlledClock) -> None:
    runner = JobRunner(JobStore(engine, clock), "w", lease_s=60, retry_s=1800)
    attempts = []

    def flaky(_stop) -> dict:
        attempts.append(clock())
        if len(attempts) == 1:
            raise SourceError("export.arxiv.org: connection refused")
        return {"papers": 1}

    job = Job("ingest", lambda _now: "2026-03-02", flaky)
    failed = runner.run(job, lambda: False)
    assert (failed.ok, failed.detail) == (False, {"error": "SourceError: export.arxiv.org: connection refused"})
    state = JobStore(engine, clock).jobs()[0]
    assert (state.state, state.done_key, state.retry_at) == ("failed", None, clock() + timedelta(seconds=1800))

    clock.advance(seconds=1799)
    assert runner.run(job, lambda: False) is None
    clock.advance(seconds=1)
    assert runner.run(job, lambda: False).ok
    assert len(attempts) == 2


def test_an_unexpected_error_is_recorded_and_the_worker_goes_on(engine: Engine, clock: ControlledClock) -> None:
    runner = JobRunner(JobStore(engine, clock), "w", lease_s=60, retry_s=60)
    result = runner.run(Job("index", lambda _now: "seq:1", lambda _stop: 1 / 0), lambda: False)
    assert (result.ok, result.detail) == (False, {"error": "ZeroDivisionError: division by zero"})


def test_a_running_job_keeps_its_lease(engine: Engine, clock: ControlledClock) -> None:
    """The runner renews the lease while the job runs, so a long job is not taken over."""
    other = JobStore(engine, clock)
    outcome = {}

    def long_job(_stop) -> dict:
        clock.advance(seconds=10)  # past the first lease
        with engine.connect() as conn:
            for _ in range(500):  # the keeper renews every lease_s / 3 = 0.1 s of real time
                lease_until = conn.execute(select(worker_jobs.c.lease_until)).scalar_one()
                if lease_until.replace(tzinfo=clock().tzinfo) > clock():
                    break
                time.sleep(0.02)
                conn.rollback()
        outcome["taken"] = other.acquire("index", "other", 0.3, "seq:1")
        return {}

    JobRunner(JobStore(engine, clock), "w", lease_s=0.3, retry_s=60).run(
        Job("index", lambda _now: "seq:1", long_job), lambda: False
    )
    assert outcome == {"taken": False}
