"""What the workers are doing and what the outbox holds: for ``papertide status`` and ``/readyz``."""

from __future__ import annotations

from datetime import datetime, timedelta

from papertide.config import Settings
from papertide.store import Stores
from papertide.store.jobs import WorkerState

SHOWN_WORKERS = timedelta(days=1)  # workers seen within this are listed, alive or not


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def alive_within(settings: Settings) -> timedelta:
    """A worker not seen for this long is presumed dead: three ticks, or a job lease if longer."""
    return timedelta(seconds=max(3 * settings.worker_tick_s, settings.worker_job_lease_s))


def _worker(worker: WorkerState, now: datetime, alive: timedelta) -> dict:
    return {
        "id": worker.worker_id,
        "host": worker.host,
        "pid": worker.pid,
        "started_at": _iso(worker.started_at),
        "seen_at": _iso(worker.seen_at),
        "step": worker.step,
        "alive": worker.stopped_at is None and now - worker.seen_at <= alive,
    }


def worker_status(stores: Stores, settings: Settings) -> dict:
    """Workers seen in the last day, every job's last run, the outbox's rows per state."""
    jobs, outbox = stores.jobs, stores.outbox
    now = jobs.now()
    return {
        "workers": [_worker(w, now, alive_within(settings)) for w in jobs.workers(seen_since=now - SHOWN_WORKERS)],
        "jobs": [
            {
                "name": job.name,
                "state": job.state,
                "holder": job.holder,
                "run_key": job.run_key,
                "done_key": job.done_key,
                "runs": job.runs,
                "started_at": _iso(job.started_at),
                "finished_at": _iso(job.finished_at),
                "retry_at": _iso(job.retry_at),
                "detail": job.detail,
            }
            for job in jobs.jobs()
        ],
        "outbox": {**outbox.counts(), "oldest_due": _iso(outbox.oldest_due())},
    }


def readiness_summary(stores: Stores, settings: Settings) -> dict:
    """The cheap part of the status for a probe: live workers, job states, digests waiting to go."""
    jobs, outbox = stores.jobs, stores.outbox
    now = jobs.now()
    alive = [w for w in jobs.workers(seen_since=now - alive_within(settings)) if w.stopped_at is None]
    return {
        "workers_alive": len(alive),
        "jobs": {job.name: job.state for job in jobs.jobs()},
        "outbox": {**outbox.waiting(), "oldest_due": _iso(outbox.oldest_due())},
    }
