"""The outbox table: one row per digest, atomic claims, leases that run out, conclusions bound to the claim."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert

from papertide.errors import StoreError
from papertide.store.db.engine import create_store_engine
from papertide.store.db.schema import checkpoints
from papertide.store.digest.outbox import NewDigest, OutboxStore, outbox_key
from tests.clock import ControlledClock
from tests.worker.conftest import subscribe


def digest(n: int, period: str = "2026-03-02") -> NewDigest:
    return NewDigest(n, period, f"reader{n}@example.org", f"message {n}".encode(), (n, n + 1000))


@pytest.fixture(autouse=True)
def subscriptions(request: pytest.FixtureRequest, engine: Engine) -> None:
    subscribe(engine, 300 if "racing" in request.node.name else 3)  # subscription pks 1, 2, ...


def test_enqueue_stores_once_per_subscription_and_period(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)

    assert outbox.enqueue(digest(1))
    assert not outbox.enqueue(NewDigest(1, "2026-03-02", "reader1@example.org", b"another rendering", (7,)))
    assert outbox.enqueue(digest(1, "2026-03-03"))

    row = outbox.get(outbox_key(1, "2026-03-02"))
    assert row.state == "pending" and row.paper_pks == [1, 1001] and row.attempts == 0
    assert outbox.existing(["2026-03-02", "2026-03-04"]) == {(1, "2026-03-02")}
    assert outbox.counts() == {"pending": 2, "sending": 0, "sent": 0, "failed": 0, "skipped": 0}


def test_a_digest_with_nothing_to_send_is_recorded_as_skipped(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)
    outbox.enqueue(NewDigest(2, "2026-03-02", "b@example.org", None, detail="nothing new"))

    row = outbox.get(outbox_key(2, "2026-03-02"))
    assert (row.state, row.detail, row.has_message) == ("skipped", "nothing new", False)
    assert outbox.claim("w", 10, 60) == []


def test_enqueue_and_the_history_commit_together(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)

    def history_fails(conn) -> None:
        conn.execute(insert(checkpoints).values(key="history", value="x", updated_at=clock()))
        conn.execute(insert(checkpoints).values(key="history", value="x", updated_at=clock()))  # duplicate key

    with pytest.raises(StoreError):
        outbox.enqueue(digest(3), also=history_fails)
    assert outbox.get(outbox_key(3, "2026-03-02")) is None  # nothing half-written: no row without its history

    def history(conn) -> None:
        conn.execute(insert(checkpoints).values(key="history", value="x", updated_at=clock()))

    assert outbox.enqueue(digest(3), also=history)
    assert outbox.get(outbox_key(3, "2026-03-02")).state == "pending"


def test_racing_claimers_each_get_their_own_rows(db_url: str, engine: Engine) -> None:
    filler = OutboxStore(engine)
    for n in range(1, 301):
        filler.enqueue(digest(n))
    claimed: dict[str, list[str]] = {}
    start = threading.Barrier(6)

    def claimer(name: str) -> None:
        outbox = OutboxStore(create_store_engine(db_url))  # an engine each, as separate processes have
        mine = claimed.setdefault(name, [])
        start.wait()
        while batch := outbox.claim(name, 7, 300):
            mine.extend(c.key for c in batch)

    threads = [threading.Thread(target=claimer, args=(f"worker-{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    every_claim = [key for keys in claimed.values() for key in keys]
    assert len(every_claim) == 300
    assert len(set(every_claim)) == 300  # no row went to two workers
    assert sum(1 for keys in claimed.values() if keys) > 1  # and the work was shared
    assert filler.counts()["sending"] == 300


def test_a_dead_workers_rows_are_claimed_again_when_the_lease_runs_out(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)
    for n in range(1, 4):
        outbox.enqueue(digest(n))
    first = outbox.claim("dies", 10, lease_s=60)
    assert outbox.handoff(first[0], lease_s=60)  # it was in the middle of sending the first one

    clock.advance(seconds=59)
    assert outbox.claim("survivor", 10, lease_s=60) == []  # still leased
    clock.advance(seconds=2)
    second = outbox.claim("survivor", 10, lease_s=60)

    assert [c.key for c in second] == [c.key for c in first]
    assert [c.uncertain for c in second] == [1, 0, 0]  # only the one handed over may have been delivered
    assert not outbox.sent(first[1])  # the dead worker's claim no longer counts
    assert outbox.sent(second[1])
    assert outbox.get(second[1].key).state == "sent"


def test_one_commit_records_a_message_sent_and_hands_over_the_next(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)
    for n in (1, 2):
        outbox.enqueue(digest(n))
    one, two = outbox.claim("w", 10, lease_s=60)
    outbox.handoff(one, lease_s=60)

    assert outbox.sent_then_handoff(one, two, lease_s=60) == (True, True)
    assert outbox.get(one.key).state == "sent"
    assert (outbox.get(two.key).state, outbox.get(two.key).attempts) == ("sending", 1)

    clock.advance(seconds=61)  # the worker stalled mid-transaction: another one takes the row over
    [again] = outbox.claim("other", 10, lease_s=60)
    assert (again.key, again.uncertain) == (two.key, 1)
    assert outbox.sent_then_handoff(two, again, lease_s=60) == (False, True)  # the stale claim records nothing
    assert outbox.get(two.key).state == "sending"


def test_a_retried_row_waits_for_its_time_and_a_released_one_does_not(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)
    outbox.enqueue(digest(1))
    outbox.enqueue(digest(2))
    one, two = outbox.claim("w", 10, 60)
    outbox.handoff(one, 60)
    outbox.retry(one, clock() + timedelta(minutes=5), "451 try later", 451, uncertain=False)
    outbox.release([two])

    again = outbox.claim("w", 10, 60)
    assert [(c.key, c.uncertain) for c in again] == [(two.key, 0)]
    outbox.sent(again[0])
    clock.advance(minutes=5)
    [retried] = outbox.claim("w", 10, 60)
    assert (retried.key, retried.attempts, retried.uncertain) == (one.key, 1, 0)
    row = outbox.get(one.key)
    assert (row.detail, row.smtp_code) == ("451 try later", 451)


def test_failed_rows_stay_failed_and_sent_messages_are_purged_later(engine: Engine, clock: ControlledClock) -> None:
    outbox = OutboxStore(engine, clock)
    outbox.enqueue(digest(1))
    outbox.enqueue(digest(2))
    one, two = outbox.claim("w", 10, 60)
    outbox.failed(one, "550 no such mailbox", 550)
    outbox.sent(two)

    clock.advance(days=1)
    assert outbox.claim("w", 10, 60) == []
    assert outbox.purge_messages(clock() - timedelta(days=2)) == 0
    assert outbox.purge_messages(clock()) == 1
    assert not outbox.get(two.key).has_message
    assert outbox.get(two.key).state == "sent"
    assert outbox.get(one.key).has_message  # a failed digest keeps its message for inspection
