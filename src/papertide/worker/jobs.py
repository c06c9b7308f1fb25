"""Running a job under a lease in the database, so that of several workers exactly one runs each run.

A job says which run is due now (its *run key*: the day of a daily job, the tick of a frequent one)
and how to do it. :class:`JobRunner` starts it only if it wins the lease for that key
(:class:`papertide.store.jobs.JobStore`), keeps the lease alive from a small thread while the job
runs, and records the outcome: a finished run key never runs again, a failed one waits
``retry_s`` before any worker tries again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.errors import PapertideError
from papertide.metrics import JOB_LAST_SUCCESS, JOB_RUNS
from papertide.store.jobs import JobStore

log = logging.getLogger("papertide.worker")

Stop = Callable[[], bool]


@dataclass(frozen=True, slots=True)
class Job:
    """``run_key(now)``: the run due at ``now`` (None: nothing due; keys sort in time order);
    ``run(stop)``: do it, and say what was done.

    ``retry_s``: the wait after a failed run, when it differs from the runner's (a job that runs
    every tick retries at the next one).
    """

    name: str
    run_key: Callable[[datetime], str | None]
    run: Callable[[Stop], dict]
    retry_s: float | None = None


@dataclass(frozen=True, slots=True)
class JobResult:
    name: str
    run_key: str
    ok: bool
    detail: dict


class _LeaseKeeper:
    """Renews a job's lease every third of its length until stopped."""

    def __init__(self, store: JobStore, name: str, holder: str, lease_s: float) -> None:
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._keep, args=(store, name, holder, lease_s), name=f"lease:{name}", daemon=True
        )

    def _keep(self, store: JobStore, name: str, holder: str, lease_s: float) -> None:
        while not self._done.wait(lease_s / 3):
            try:
                if not store.renew(name, holder, lease_s):
                    log.warning("job %s: lease lost to another worker; finishing this run anyway", name)
                    return
            except PapertideError as exc:  # the database hiccupped: try again at the next renewal
                log.warning("job %s: cannot renew its lease: %s", name, exc)

    def __enter__(self) -> _LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._done.set()
        self._thread.join()


class JobRunner:
    def __init__(self, store: JobStore, holder: str, *, lease_s: float, retry_s: float) -> None:
        self.store = store
        self.holder = holder
        self.lease_s = lease_s
        self.retry_s = retry_s

    def run(self, job: Job, stop: Stop) -> JobResult | None:
        """Run ``job`` if a run is due and this worker wins it; None when it did not run."""
        run_key = job.run_key(self.store.now())
        if run_key is None or not self.store.acquire(job.name, self.holder, self.lease_s, run_key):
            return None
        log.info("job %s (%s) started", job.name, run_key)
        ok, retry_at = True, None
        with _LeaseKeeper(self.store, job.name, self.holder, self.lease_s):
            try:
                detail = job.run(stop)
            except Exception as exc:  # recorded and retried later; one failing job must not stop the others
                wait_s = self.retry_s if job.retry_s is None else job.retry_s
                ok, retry_at = False, self.store.now() + timedelta(seconds=wait_s)
                detail = {"error": f"{exc.__class__.__name__}: {exc}"}
                if isinstance(exc, PapertideError):
                    log.error("job %s (%s) failed: %s", job.name, run_key, exc)
                else:
                    log.exception("job %s (%s) failed", job.name, run_key)
        self.store.finish(job.name, self.holder, ok=ok, detail=detail, retry_at=retry_at)
        JOB_RUNS.labels(job.name, "ok" if ok else "failed").inc()
        if ok:
            JOB_LAST_SUCCESS.labels(job.name).set_to_current_time()
            log.info("job %s (%s) done: %s", job.name, run_key, detail)
        return JobResult(job.name, run_key, ok, detail)
