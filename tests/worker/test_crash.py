"""Crash safety for real: a worker sending 1,000 digests is killed with SIGKILL ten times and restarted.

The SMTP server (aiosmtpd) runs in a process of its own and writes every message it accepts to a
file before it answers "250", so what it received survives the worker's deaths. At the end each
subscriber must have received their digest, and exactly once, except where a kill fell inside the
window no SMTP client can close (after the relay accepted the message, before the outbox recorded
it: see papertide.digest.send). The outbox counts each reclaim of a row whose SMTP hand-over had
begun and not concluded (``uncertain``); the test proves that every duplicate is one of those, and
reports how many kills hit the window.

Kills land at random moments (seeded; the seed is reported): some while digests are composed and
enqueued, most while they are sent, chosen by time or by the number of messages received since
the worker started.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from papertide.store.digest.outbox import OutboxStore, outbox_key
from tests.worker.conftest import subscribe
from tests.worker.processes import WAIT_S, ServerProcess, mail_server_process, run_worker, start_worker, worker_command

pytestmark = pytest.mark.slow

SUBSCRIBERS = 1000
KILLS = 10
PERIOD = "2026-03-02"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with mail_server_process(tmp_path / "received") as running:
        yield running


def kill_at_random(worker, server: ServerProcess, rng: random.Random) -> str:
    """SIGKILL the worker at a random moment: after a random time, or after a random number of messages."""
    before = server.count()
    if rng.random() < 0.3:
        delay = rng.uniform(0.2, 2.5)  # often while it starts or composes and enqueues
        time.sleep(delay)
        moment = f"after {delay:.2f} s"
    else:
        wanted = rng.randint(1, 120)
        deadline = time.monotonic() + WAIT_S
        while server.count() - before < wanted and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        moment = f"after {server.count() - before} messages"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=WAIT_S)
    return moment


def test_sigkill_ten_times_and_every_subscriber_gets_one_digest(
    tmp_path: Path, db_url: str, engine: Engine, server: ServerProcess, record_property
) -> None:
    command = worker_command("send", tmp_path, server.port, PERIOD)
    subscriptions = subscribe(engine, SUBSCRIBERS)
    seed = int(os.environ.get("PAPERTIDE_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)

    moments = []
    for _ in range(KILLS):
        moments.append(kill_at_random(start_worker(command, db_url), server, rng))
    outbox = OutboxStore(engine)
    runs = 0
    while outbox.waiting() != {"pending": 0, "sending": 0} or not outbox.rows():
        runs += 1  # the last runs: rows a killed worker held come back when their one-second lease runs out
        assert runs <= 20, f"the outbox does not drain: {outbox.counts()}"
        assert run_worker(command, db_url) == 0
        time.sleep(1.1 if outbox.waiting()["sending"] else 0)

    server.wait_for(SUBSCRIBERS)
    received = server.keys()
    rows = {row.key: row for row in outbox.rows()}
    keys = {outbox_key(s.pk, PERIOD) for s in subscriptions}

    assert len(rows) == SUBSCRIBERS  # one row per subscriber: enqueueing never doubled a digest
    assert {row.state for row in rows.values()} == {"sent"}
    assert set(received) == keys  # nobody lost, nothing foreign
    duplicates = {key: count - 1 for key, count in received.items() if count > 1}
    for key, extra in duplicates.items():
        reclaims = rows[key].uncertain
        assert extra <= reclaims, f"{key} arrived {extra + 1} times; reclaimed mid-hand-over {reclaims} times"
    window_hits = sum(row.uncertain for row in rows.values())

    report = (
        f"seed {seed}; {KILLS} kills ({'; '.join(moments)}); {runs} runs to finish; "
        f"kills inside an SMTP hand-over: {window_hits}, of which the relay had the message: {sum(duplicates.values())}"
    )
    record_property("crash_report", report)
    print(report)
