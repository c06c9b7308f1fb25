"""Job leases and worker heartbeats: how several workers share one schedule without running a job twice.

A job (``ingest``, ``index``, ...) has one row. A worker may start it only by winning a conditional
update: nobody holds an unexpired lease on it, the run asked for (``run_key``, e.g. the day of a
daily job) is newer than the last one that finished, and no failure asked to wait (``retry_at``). The holder renews
the lease while the job runs; a worker that dies stops renewing, and once the lease has run out
another worker takes the job over (every job is written to be resumable). The update's rowcount
says who won, which is atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update

from papertide.store.db.base import Clock, TableStore, system_clock, utc
from papertide.store.db.claims import claims_for
from papertide.store.db.schema import worker_jobs, worker_processes

_j = worker_jobs.c
_w = worker_processes.c


@dataclass(frozen=True, slots=True)
class JobState:
    name: str
    state: str
    holder: str | None
    run_key: str | None
    done_key: str | None
    runs: int
    started_at: datetime | None
    finished_at: datetime | None
    retry_at: datetime | None
    detail: dict | None


@dataclass(frozen=True, slots=True)
class WorkerState:
    worker_id: str
    host: str
    pid: int
    started_at: datetime
    seen_at: datetime
    step: str | None
    stopped_at: datetime | None


class JobStore(TableStore):
    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        super().__init__(engine, clock)
        self._claims = claims_for(engine)

    # -- job leases ----------------------------------------------------------------------------

    def acquire(self, name: str, holder: str, lease_s: float, run_key: str) -> bool:
        """Whether ``holder`` now runs job ``name``'s run ``run_key``: it won the lease, and no run as new is done.

        Run keys of a job sort in time order (ISO days, zero-padded numbers): a worker that lags
        behind, asking for a run older than the last finished one, gets nothing to do.
        """
        now = self._clock()
        statement = (
            update(worker_jobs)
            .where(
                _j.name == name,
                or_(_j.lease_until.is_(None), _j.lease_until < now),
                or_(_j.retry_at.is_(None), _j.retry_at <= now),
                or_(_j.done_key.is_(None), _j.done_key < run_key),
            )
            .values(
                holder=holder,
                lease_until=now + timedelta(seconds=lease_s),
                run_key=run_key,
                state="running",
                started_at=now,
                runs=_j.runs + 1,
            )
        )
        with self._writing() as conn:
            self._claims.insert_missing(conn, worker_jobs, {"name": name, "state": "idle", "runs": 0})
            return conn.execute(statement).rowcount == 1

    def renew(self, name: str, holder: str, lease_s: float) -> bool:
        """Extend the lease ``holder`` has; False if it lost it (it ran out and another worker took over)."""
        statement = (
            update(worker_jobs)
            .where(_j.name == name, _j.holder == holder)
            .values(lease_until=self._clock() + timedelta(seconds=lease_s))
        )
        with self._writing() as conn:
            return conn.execute(statement).rowcount == 1

    def finish(self, name: str, holder: str, *, ok: bool, detail: dict, retry_at: datetime | None = None) -> bool:
        """Record the outcome and free the job; a successful run's key is done and will not run again."""
        values = {
            "holder": None,
            "lease_until": None,
            "state": "done" if ok else "failed",
            "finished_at": self._clock(),
            "retry_at": retry_at,
            "detail": detail,
        }
        if ok:
            values["done_key"] = _j.run_key
        statement = update(worker_jobs).where(_j.name == name, _j.holder == holder).values(values)
        with self._writing() as conn:
            return conn.execute(statement).rowcount == 1

    def jobs(self) -> list[JobState]:
        with self._reading() as conn:
            rows = conn.execute(select(worker_jobs).order_by(_j.name)).all()
        return [
            JobState(
                name=r.name,
                state=r.state,
                holder=r.holder,
                run_key=r.run_key,
                done_key=r.done_key,
                runs=r.runs,
                started_at=utc(r.started_at),
                finished_at=utc(r.finished_at),
                retry_at=utc(r.retry_at),
                detail=r.detail,
            )
            for r in rows
        ]

    # -- worker heartbeats ---------------------------------------------------------------------

    def beat(self, worker_id: str, host: str, pid: int, step: str | None) -> None:
        """Record that ``worker_id`` is alive and what it is doing."""
        now = self._clock()
        first = {"worker_id": worker_id, "host": host, "pid": pid, "started_at": now, "seen_at": now, "step": step}
        with self._writing() as conn:
            if not self._claims.insert_missing(conn, worker_processes, first):
                conn.execute(update(worker_processes).where(_w.worker_id == worker_id).values(seen_at=now, step=step))

    def stopped(self, worker_id: str) -> None:
        now = self._clock()
        statement = (
            update(worker_processes).where(_w.worker_id == worker_id).values(seen_at=now, step=None, stopped_at=now)
        )
        with self._writing() as conn:
            conn.execute(statement)

    def forget_workers(self, seen_before: datetime) -> int:
        """Drop the rows of workers not seen since ``seen_before`` (stopped or dead long ago)."""
        with self._writing() as conn:
            return conn.execute(delete(worker_processes).where(_w.seen_at < seen_before)).rowcount

    def workers(self, seen_since: datetime | None = None) -> list[WorkerState]:
        """Workers, most recently seen first; only those seen since ``seen_since`` when given."""
        statement = select(worker_processes).order_by(_w.seen_at.desc())
        if seen_since is not None:
            statement = statement.where(_w.seen_at >= seen_since)
        with self._reading() as conn:
            rows = conn.execute(statement).all()
        return [
            WorkerState(r.worker_id, r.host, r.pid, utc(r.started_at), utc(r.seen_at), r.step, utc(r.stopped_at))
            for r in rows
        ]
