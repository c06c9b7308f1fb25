"""SIGTERM lets a worker finish the step it is in (here: the batch it is sending), then it exits cleanly."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from papertide.store.digest.outbox import OutboxStore
from papertide.store.jobs import JobStore
from tests.worker.conftest import subscribe
from tests.worker.processes import WAIT_S, mail_server_process, start_worker, worker_command

pytestmark = pytest.mark.slow  # run first (tests/conftest.py): a worker process signalled mid-batch

BATCH = 20  # tests/worker/worker_process.py's outbox_batch


def test_sigterm_finishes_the_batch_in_hand_then_exits(tmp_path: Path, db_url: str, engine: Engine) -> None:
    subscribe(engine, 300)
    with mail_server_process(tmp_path / "received") as server:
        worker = start_worker(worker_command("run", tmp_path, server.port), db_url)
        server.wait_for(1)  # it is sending its first batch
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=WAIT_S) == 0

        outbox = OutboxStore(engine)
        counts = outbox.counts()
        assert counts["sending"] == 0  # nothing left half-done: every claimed digest was concluded
        assert counts["sent"] % BATCH == 0 and 0 < counts["sent"] < 300  # whole batches, then it stopped
        # It sends while it composes, so composing stopped too: what it composed waits, the rest is still due.
        assert counts["sent"] + counts["pending"] == sum(counts.values()) <= 300
        assert server.count() == counts["sent"]
    jobs = JobStore(engine)
    assert {job.name: job.state for job in jobs.jobs()} == {"digests": "done"}
    [process] = jobs.workers()
    assert process.stopped_at is not None and process.step is None
