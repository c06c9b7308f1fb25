"""Crash safety of discussion notifications: a worker sending 400 of them is killed with SIGKILL eight times.

The same harness as the digests' (tests/worker/test_crash.py): a mail server in its own process
that records each message before answering "250", kills at random moments, and at the end each
follower has their notification exactly once, except where a kill fell in the SMTP window that the
outbox counts as ``uncertain``.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from papertide.store import PaperStore
from papertide.store.db.schema import users
from papertide.store.discussion.follows import FollowStore, NotificationOutbox
from tests.discussion.test_follow_mail import Commenting
from tests.store.test_votes import paper
from tests.worker.processes import ServerProcess, mail_server_process, run_worker, start_worker, worker_command
from tests.worker.test_crash import kill_at_random

pytestmark = pytest.mark.slow

PAPERS = 20
FOLLOWERS_EACH = 20
KILLS = 8


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    with mail_server_process(tmp_path / "received") as running:
        yield running


def discussions(engine: Engine) -> set[tuple[int, int]]:
    """PAPERS papers, each followed by FOLLOWERS_EACH readers, each with a new comment by someone else."""
    store = PaperStore(engine)
    ids = [f"2410.{n:05d}" for n in range(1, PAPERS + 1)]
    store.write_batch([paper(paper_id) for paper_id in ids])
    paper_pks = [p.pk for p in store.get_many_by_id(ids)]
    now = datetime.now(UTC)
    rows = [{"email": f"reader{n}@example.org", "created_at": now} for n in range(PAPERS * FOLLOWERS_EACH + 1)]
    with engine.begin() as conn:
        conn.execute(insert(users), rows)
        user_pks = sorted(conn.execute(users.select().with_only_columns(users.c.pk)).scalars())
    speaker, readers = user_pks[0], user_pks[1:]
    follows, comments, wanted = FollowStore(engine), Commenting(engine), set()
    for index, paper_pk in enumerate(paper_pks):
        for reader in readers[index * FOLLOWERS_EACH : (index + 1) * FOLLOWERS_EACH]:
            follows.set_following(reader, paper_pk, True)
            wanted.add((reader, paper_pk))
        comments.add(paper_pk, speaker, f"News on paper {paper_pk}")
    return wanted


def test_sigkill_while_notifying_and_every_follower_gets_one_mail(
    tmp_path: Path, db_url: str, engine: Engine, server: ServerProcess, record_property
) -> None:
    command = worker_command("notify", tmp_path, server.port)
    wanted = discussions(engine)
    seed = int(os.environ.get("PAPERTIDE_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)

    moments = [kill_at_random(start_worker(command, db_url), server, rng) for _ in range(KILLS)]
    outbox = NotificationOutbox(engine)
    runs = 0
    while outbox.waiting() != {"pending": 0, "sending": 0} or len(outbox.states()) < len(wanted):
        runs += 1  # rows a killed worker held come back when their one-second lease runs out
        assert runs <= 20, f"the outbox does not drain: {outbox.counts()}"
        assert run_worker(command, db_url) == 0
        time.sleep(1.1 if outbox.waiting()["sending"] else 0)

    server.wait_for(len(wanted))
    received = server.keys()
    rows = outbox.states()
    keys = {key for key, _state, _uncertain in rows}
    assert len(rows) == len(wanted)  # one row per follower and discussion: enqueueing never doubled one
    assert {tuple(map(int, key.split(".")[1:3])) for key in keys} == wanted
    assert {state for _key, state, _uncertain in rows} == {"sent"}
    assert set(received) == keys  # nobody lost, nothing foreign
    uncertain = {key: count for key, _state, count in rows}
    duplicates = {key: count - 1 for key, count in received.items() if count > 1}
    for key, extra in duplicates.items():
        assert extra <= uncertain[key], f"{key} arrived {extra + 1} times; reclaimed mid-hand-over {uncertain[key]}"

    report = (
        f"seed {seed}; {KILLS} kills ({'; '.join(moments)}); {runs} runs to finish; kills inside an SMTP "
        f"hand-over: {sum(uncertain.values())}, of which the relay had the message: {sum(duplicates.values())}"
    )
    record_property("crash_report", report)
    print(report)
