"""Bounce scores: +1 hard, +0.5 soft, one bounce a day, halving weekly; suspension at the threshold."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from papertide.store.db.engine import create_store_engine
from papertide.store.db.schema import mail_bounces
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from tests.clock import ControlledClock

ONE_DAY = timedelta(days=1)


@pytest.fixture
def bounces(engine: Engine, clock: ControlledClock) -> BounceStore:
    return BounceStore(engine, clock, BouncePolicy(hard=1.0, soft=0.5, half_life_days=7.0, threshold=3.0))


def test_hard_and_soft_bounces_score_differently(bounces: BounceStore) -> None:
    assert bounces.record("Gone@Example.org", hard=True, reason="550 no such user") == 1.0
    assert bounces.record("full@example.org", hard=False, reason="452 mailbox full") == 0.5
    assert bounces.score("gone@example.org") == 1.0  # addresses compare lower-cased
    assert bounces.score("never@example.org") == 0.0


def test_one_bounce_counts_per_day_and_a_hard_one_outranks_a_soft_one(
    bounces: BounceStore, clock: ControlledClock
) -> None:
    bounces.record("a@example.org", hard=False, reason="451")
    bounces.record("a@example.org", hard=False, reason="451")
    assert bounces.score("a@example.org") == 0.5
    bounces.record("a@example.org", hard=True, reason="550")
    bounces.record("a@example.org", hard=True, reason="550")
    assert bounces.score("a@example.org") == 1.0  # the day counts as one hard bounce
    clock.advance(days=1)
    assert bounces.record("a@example.org", hard=False, reason="451") == pytest.approx(1.0 * 0.5 ** (1 / 7) + 0.5)


def test_scores_halve_every_half_life(bounces: BounceStore, clock: ControlledClock) -> None:
    bounces.record("a@example.org", hard=True, reason="550")
    clock.advance(days=7)
    assert bounces.score("a@example.org") == pytest.approx(0.5)
    clock.advance(days=14)
    assert bounces.score("a@example.org") == pytest.approx(0.125)


def test_four_days_of_hard_bounces_suspend_and_resuming_clears(bounces: BounceStore, clock: ControlledClock) -> None:
    scores = []
    for _ in range(3):
        scores.append(bounces.record("gone@example.org", hard=True, reason="550 5.1.1 no such user"))
        clock.advance(days=1)
    assert scores == pytest.approx([1.0, 1.906, 2.726], abs=1e-3)
    assert bounces.suspension("gone@example.org") is None
    assert bounces.record("gone@example.org", hard=True, reason="550 5.1.1 no such user") >= 3.0

    suspension = bounces.suspension("GONE@example.org")
    assert suspension.since == clock()
    assert suspension.reason == "550 5.1.1 no such user"
    assert bounces.suspended(["gone@example.org", "fine@example.org"]) == {"gone@example.org"}
    clock.advance(days=60)
    assert bounces.suspension("gone@example.org") is not None  # decay alone never lifts it

    assert bounces.resume("gone@example.org")
    assert bounces.suspension("gone@example.org") is None
    assert bounces.score("gone@example.org") == 0.0
    assert not bounces.resume("gone@example.org")


def test_a_weekly_hard_bounce_never_suspends(bounces: BounceStore, clock: ControlledClock) -> None:
    for _ in range(20):
        score = bounces.record("flaky@example.org", hard=True, reason="550")
        clock.advance(days=7)
    assert score < 2.0
    assert bounces.suspension("flaky@example.org") is None


def test_concurrent_bounces_of_one_address_are_all_counted(db_url: str, clock: ControlledClock) -> None:
    start = threading.Barrier(4)

    def record(day: int) -> None:
        store = BounceStore(create_store_engine(db_url), lambda: clock() + day * ONE_DAY)
        start.wait()
        store.record("busy@example.org", hard=True, reason="550")

    threads = [threading.Thread(target=record, args=(day,)) for day in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with create_store_engine(db_url).connect() as conn:
        assert conn.execute(select(mail_bounces.c.bounces)).scalar_one() == 4
