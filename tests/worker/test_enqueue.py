"""Enqueueing due digests in batches: one transaction per batch, all of it stored or none, errors kept apart."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, Engine

from papertide.config import Settings
from papertide.digest.enqueue import STORE_EVERY, Composed, DueDigest, enqueue_due
from papertide.errors import InvalidInput, StoreError
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from papertide.store.digest.outbox import OutboxStore
from papertide.store.digest.subscriptions import SubscriptionStore
from tests.clock import ControlledClock
from tests.worker.composer import PlainComposer
from tests.worker.conftest import subscribe

COUNT = 2 * STORE_EVERY + 20  # two whole batches and a part of one


class FailingComposer(PlainComposer):
    """Fails the digests of chosen subscribers: with a PapertideError when composing, or when storing."""

    def __init__(self, settings: Settings, subscriptions: SubscriptionStore, *, bad=(), unstorable=()) -> None:
        super().__init__(settings, subscriptions)
        self.bad, self.unstorable, self.composed = set(bad), set(unstorable), 0

    def compose(self, due: DueDigest) -> Composed:
        self.composed += 1
        if due.address in self.bad:
            raise InvalidInput(f"{due.address}: cannot be composed")
        composed = super().compose(due)
        if due.address not in self.unstorable:
            return composed

        def record(conn: Connection) -> None:
            raise StoreError("the database went away")

        return Composed(composed.message, composed.paper_pks, record=record)


@pytest.fixture
def parts(mail_settings: Settings, engine: Engine, clock: ControlledClock):
    subscribe(engine, COUNT)
    subscriptions = SubscriptionStore(engine, clock)
    return mail_settings, subscriptions, OutboxStore(engine, clock), BounceStore(engine, clock, BouncePolicy())


def address(n: int) -> str:
    return f"reader{n}@example.org"


def test_every_due_digest_is_stored_once_whatever_the_batches(parts, clock: ControlledClock) -> None:
    settings, subscriptions, outbox, bounces = parts
    report = enqueue_due(PlainComposer(settings, subscriptions), outbox, bounces, clock())
    assert (report.due, report.enqueued, report.already) == (COUNT, COUNT, 0)
    assert outbox.counts()["pending"] == COUNT
    again = enqueue_due(PlainComposer(settings, subscriptions), outbox, bounces, clock())
    assert (again.enqueued, again.already) == (0, COUNT)
    assert outbox.counts()["pending"] == COUNT


def test_a_digest_that_cannot_be_composed_is_counted_and_the_others_are_stored(parts, clock) -> None:
    settings, subscriptions, outbox, bounces = parts
    composer = FailingComposer(settings, subscriptions, bad={address(3), address(STORE_EVERY + 7)})
    report = enqueue_due(composer, outbox, bounces, clock())
    assert (report.enqueued, report.errors) == (COUNT - 2, 2)
    assert outbox.counts()["pending"] == COUNT - 2
    retried = enqueue_due(PlainComposer(settings, subscriptions), outbox, bounces, clock())
    assert (retried.enqueued, retried.already) == (2, COUNT - 2)  # the next run composes only those two


def test_a_store_failure_keeps_the_batches_before_it_and_nothing_of_its_own(parts, clock) -> None:
    settings, subscriptions, outbox, bounces = parts
    failing = STORE_EVERY + 10  # in the second batch
    composer = FailingComposer(settings, subscriptions, unstorable={address(failing)})
    with pytest.raises(StoreError, match="went away"):
        enqueue_due(composer, outbox, bounces, clock())
    assert composer.composed == 2 * STORE_EVERY  # the step ended with the failing batch
    assert outbox.counts()["pending"] == STORE_EVERY  # the first batch, whole; none of the second
    resumed = enqueue_due(PlainComposer(settings, subscriptions), outbox, bounces, clock())
    assert (resumed.enqueued, resumed.already) == (COUNT - STORE_EVERY, STORE_EVERY)


def test_a_stop_keeps_what_was_composed_before_it(parts, clock) -> None:
    settings, subscriptions, outbox, bounces = parts
    composer = PlainComposer(settings, subscriptions)
    seen: list[int] = []

    def stop() -> bool:
        seen.append(1)
        return len(seen) > STORE_EVERY + 5

    report = enqueue_due(composer, outbox, bounces, clock(), stop=stop)
    assert report.enqueued == STORE_EVERY + 5 == outbox.counts()["pending"]


def test_suspended_addresses_are_recorded_in_their_batch(parts, clock) -> None:
    settings, subscriptions, outbox, bounces = parts
    for _ in range(4):  # a hard bounce a day reaches the default threshold
        bounces.record(address(2), hard=True, reason="550 no such user")
        clock.advance(days=1)
    assert bounces.suspended([address(2)]) == {address(2)}
    report = enqueue_due(PlainComposer(settings, subscriptions), outbox, bounces, clock())
    assert (report.enqueued, report.suspended) == (COUNT - 1, 1)
    assert outbox.counts()["skipped"] == 1
