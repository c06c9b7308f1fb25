"""Replaying the demo's activity: placed relative to the clock, true facts untouched, a second replay moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from papertide.config import Settings, load_settings
from papertide.ingest.demo import load_demo, replay_demo
from papertide.ingest.demo.activity import ACCOUNTS, FEATURED, LISTING_SPAN
from papertide.store import Stores
from papertide.store.db.schema import paper_signals, papers, users, votes
from papertide.store.demo_activity import DemoActivityStore
from papertide.store.papers.store import PaperStore
from tests.clock import ControlledClock

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
CORPUS_RECORDED = datetime(2026, 3, 7, tzinfo=UTC)  # the corpus's newest real observation is before this


@pytest.fixture
def demo(store: PaperStore, tmp_path) -> tuple[PaperStore, ControlledClock, Settings]:
    clock = ControlledClock(START)
    clocked = PaperStore(store.engine, clock)
    load_demo(clocked)
    return clocked, clock, load_settings(data_dir=tmp_path)  # replay_demo reads only the trending settings


def facts(store: PaperStore) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(
            select(papers.c.paper_id, papers.c.version, papers.c.submitted_at).order_by("paper_id")
        ).all()


def real_observations(store: PaperStore) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.execute(select(paper_signals).where(paper_signals.c.observed_at < CORPUS_RECORDED)).all()


def test_replay_places_activity_before_now_and_a_later_one_moves_it_without_duplicates(demo) -> None:
    store, clock, settings = demo
    true_facts, true_observations = facts(store), real_observations(store)
    first = replay_demo(Stores.beside(store), settings)
    assert first.listed == FEATURED and first.votes > 0 and first.observations > 0
    clock.advance(days=1500)
    second = replay_demo(Stores.beside(store), settings)
    assert (second.listed, second.observations, second.votes) == (first.listed, first.observations, first.votes)

    now = clock()
    with store.engine.connect() as conn:
        listed = conn.execute(select(papers.c.listed_at).where(papers.c.listed_at > START)).scalars().all()
        replayed = (
            conn.execute(select(paper_signals.c.observed_at).where(paper_signals.c.observed_at >= CORPUS_RECORDED))
            .scalars()
            .all()
        )
        cast = conn.execute(select(votes.c.created_at)).scalars().all()
        accounts = conn.execute(select(func.count()).select_from(users)).scalar_one()
    assert len(listed) == FEATURED
    assert all(now - LISTING_SPAN <= _utc(at) <= now for at in listed)
    assert len(replayed) == second.observations  # the first replay's observations are gone
    assert all(now - timedelta(days=46) <= _utc(at) <= now for at in replayed)
    assert len(cast) == second.votes and all(now - LISTING_SPAN <= _utc(at) <= now for at in cast)
    assert accounts == len(ACCOUNTS)
    assert facts(store) == true_facts and real_observations(store) == true_observations
    assert DemoActivityStore(store.engine).loaded_at() == now


def test_the_latest_upvote_count_shown_is_the_recorded_one(demo) -> None:
    store, _, settings = demo
    recorded = store.get("2410.17243").signals["hf_upvotes"].value
    replay_demo(Stores.beside(store), settings)
    assert store.get("2410.17243").signals["hf_upvotes"].value == recorded


def test_a_reader_s_own_votes_survive_a_replay(demo) -> None:
    from papertide.store.accounts.store import AccountStore
    from papertide.store.library.votes import VoteStore

    store, clock, settings = demo
    replay_demo(Stores.beside(store), settings)
    reader, _ = AccountStore(store.engine, clock).get_or_create_user("reader@example.org")
    VoteStore(store.engine, clock).set_vote(reader.pk, store.get("0704.0001").pk, True)
    replay_demo(Stores.beside(store), settings)
    assert VoteStore(store.engine).voted_pks(reader.pk) == [store.get("0704.0001").pk]


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
