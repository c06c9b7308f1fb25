"""Crash safety for real: a worker sending 1,000 digests is killed with SIGKILL ten times and restarted.

The SMTP server (aiosmtpd) runs in a process of its own and writes every message it accepts to a
file before it answers "250", so what it received survives the worker's deaths. At the end each
subscriber must have received their digest, and exactly once, except where a kill fell inside the
window no SMTP client can close (after the relay accepted the message, before the outbox recorded
it: see papertide.worker.outbox). The outbox counts each reclaim of a row whose SMTP hand-over had
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
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from papertide.store.outbox import OutboxStore, outbox_key
from tests.mail_server import read_out_dir
from tests.worker.conftest import subscribe

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
SUBSCRIBERS = 1000
KILLS = 10
WAIT_S = 60  # a bound on waiting for a process or the files, never a timing assertion
PERIOD = "2026-03-02"


@pytest.fixture
def mail_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    out = tmp_path / "received"
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.mail_server", "--port", "0", "--out", str(out)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        banner = server.stdout.readline()
        assert banner.startswith("listening on 127.0.0.1:"), banner
        yield int(banner.rsplit(":", 1)[1]), out
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=WAIT_S)


def received_keys(out: Path) -> Counter[str]:
    return Counter(message["Message-ID"].strip("<>").split("@")[0] for message in read_out_dir(out))


def received_count(out: Path) -> int:
    return len(list(out.glob("*.eml")))


def worker_env() -> dict[str, str]:
    """This process's environment (the database under test among it) and its import path."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def worker_command(data_dir: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "tests.worker.crash_worker", str(data_dir), str(port), PERIOD]


def start_worker(data_dir: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(worker_command(data_dir, port), cwd=ROOT, stdout=subprocess.DEVNULL, env=worker_env())


def kill_at_random(worker: subprocess.Popen, out: Path, rng: random.Random) -> str:
    """SIGKILL the worker at a random moment: after a random time, or after a random number of messages."""
    before = received_count(out)
    if rng.random() < 0.3:
        delay = rng.uniform(0.2, 2.5)  # often while it starts or composes and enqueues
        time.sleep(delay)
        moment = f"after {delay:.2f} s"
    else:
        wanted = rng.randint(1, 120)
        deadline = time.monotonic() + WAIT_S
        while received_count(out) - before < wanted and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        moment = f"after {received_count(out) - before} messages"
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=WAIT_S)
    return moment


def test_sigkill_ten_times_and_every_subscriber_gets_one_digest(
    tmp_path: Path, engine: Engine, mail_server: tuple[int, Path], record_property
) -> None:
    port, out = mail_server
    subscriptions = subscribe(engine, SUBSCRIBERS)
    seed = int(os.environ.get("PAPERTIDE_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)

    moments = []
    for _ in range(KILLS):
        worker = start_worker(tmp_path, port)
        moments.append(kill_at_random(worker, out, rng))
    outbox = OutboxStore(engine)
    runs = 0
    while outbox.waiting() != {"pending": 0, "sending": 0} or not outbox.rows():
        runs += 1  # the last runs: rows a killed worker held come back when their one-second lease runs out
        assert runs <= 20, f"the outbox does not drain: {outbox.counts()}"
        finished = subprocess.run(worker_command(tmp_path, port), cwd=ROOT, env=worker_env(), timeout=WAIT_S)
        assert finished.returncode == 0
        time.sleep(1.1 if outbox.waiting()["sending"] else 0)

    deadline = time.monotonic() + WAIT_S
    while received_count(out) < SUBSCRIBERS and time.monotonic() < deadline:
        time.sleep(0.05)
    received = received_keys(out)
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
