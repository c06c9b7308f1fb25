"""Keeping trending current: incremental refreshes equal a full rebuild and a from-scratch reference, and
processes refreshing or reading at once stay correct."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from papertide.search.query import Filters
from papertide.store.db.schema import trending_changes, trending_papers
from papertide.store.trending import TrendingStore
from papertide.trending import Trending, Window, upkeep
from tests.trending.reference import reference
from tests.trending.world import PARAMS, World

CATEGORIES = [("cs.LG",), ("cs.CV", "cs.LG"), ("cs.CL",), ("math.PR",), ("hep-th",), ("stat.ML", "cs.LG")]
FILTERS = [Filters(), Filters(("cs.*",)), Filters(("cs.LG", "hep-th")), Filters((), ("cs.LG",))]


@pytest.fixture
def world(database_url: str) -> World:
    return World.create(database_url)


def stored_rows(world: World) -> dict[int, tuple]:
    with world.store.engine.connect() as conn:
        rows = conn.execute(select(trending_papers)).mappings().all()
    return {row["paper_pk"]: tuple(v for k, v in row.items() if k != "generation") for row in rows}


def change_log_size(world: World) -> int:
    with world.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(trending_changes)).scalar_one()


def ids(trending: Trending, window: Window = Window.WEEK) -> list[str]:
    return [item.paper.paper_id for item in trending.trending(window, limit=100)]


def assert_matches_reference(world: World, trending: Trending) -> None:
    for window in Window:
        for filters in FILTERS:
            got = [(i.paper.paper_id, i.score, i.activity.upvotes) for i in trending.trending(window, filters, 100)]
            expected = reference(world, window, world.clock(), PARAMS, filters)
            assert [(p, pytest.approx(s), n) for p, s, n in expected] == got, (window, filters)


def test_a_vote_and_its_withdrawal_show_after_the_next_refresh(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    trending = world.trending()
    trending.refresh()
    world.vote(voter, "2411.00001")
    assert ids(trending) == []  # not before a refresh: reads never compute
    report = trending.refresh()
    assert (report.full, report.changes, report.papers, report.rows) == (False, 1, 1, 1)
    assert ids(trending) == ["2411.00001"]
    world.unvote(voter, "2411.00001")
    trending.refresh()
    assert ids(trending) == []
    assert stored_rows(world) == {}
    assert change_log_size(world) == 0


def test_deleting_an_account_takes_its_votes_out_at_the_next_refresh(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    voters = world.users(3)
    for voter in voters:
        world.vote(voter, "2411.00001")
    trending = world.trending()
    trending.refresh()
    world.delete_user(voters[0])  # votes go by cascade; the trigger still notes the paper
    trending.refresh()
    assert [item.activity.upvotes for item in trending.trending()] == [2]


def test_a_paper_moved_to_another_category_is_filtered_by_its_new_one(world: World) -> None:
    world.paper("2411.00001", ("cs.LG",), age=timedelta(days=1))
    world.vote(world.user("reader@example.org"), "2411.00001")
    trending = world.trending()
    trending.refresh()
    world.recategorise("2411.00001", ("math.PR",))
    trending.refresh()
    assert [item.paper.paper_id for item in trending.trending(filters=Filters(("math.*",)))] == ["2411.00001"]
    assert trending.trending(filters=Filters(("cs.LG",))) == []


def test_incremental_refreshes_equal_a_full_rebuild_and_the_reference_on_random_activity(world: World) -> None:
    rng = random.Random(8)
    paper_ids = [f"2411.{n:05d}" for n in range(30)]
    for paper_id in paper_ids:
        world.paper(paper_id, rng.choice(CATEGORIES), age=timedelta(hours=rng.uniform(0, 24 * 60)))
    voters = world.users(30, age=timedelta(days=90), prefix="old")
    trending = world.trending()
    trending.refresh()
    cast: set[tuple[int, str]] = set()
    for step in range(40):
        world.clock.advance(minutes=rng.choice([5, 30, 120, 600, 1500]))
        if step % 7 == 0:  # a wave of brand-new accounts voting one paper
            target = rng.choice(paper_ids)
            for voter in world.users(rng.randint(3, 9), age=timedelta(minutes=30), prefix=f"new{step}-"):
                world.vote(voter, target, at=world.clock() + timedelta(seconds=rng.randint(0, 3000)))
        for _ in range(rng.randint(0, 12)):
            pair = (rng.choice(voters), rng.choice(paper_ids[:20]))
            if pair in cast:
                world.unvote(*pair)
                cast.discard(pair)
            else:
                world.vote(*pair)
                cast.add(pair)
        if rng.random() < 0.4:
            paper_id = rng.choice(paper_ids)
            name = rng.choice(["hf_upvotes", "github_stars"])
            value = rng.choice([0, 5, 20, 40, 80, 200])
            world.observe(paper_id, name, value, at=world.clock() - timedelta(hours=rng.uniform(0, 100)))
        if rng.random() < 0.6:
            assert trending.refresh().full is False
            assert_matches_reference(world, trending)
    trending.refresh()
    incremental = stored_rows(world)
    assert incremental  # the data set is not trivially empty
    assert_matches_reference(world, trending)
    assert trending.refresh(full=True).full
    assert stored_rows(world) == incremental
    assert_matches_reference(world, trending)


def test_a_refresh_that_lost_the_race_writes_nothing(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    trending = world.trending()
    trending.refresh()
    store = TrendingStore(world.store.engine, world.clock)
    before = store.state()
    world.vote(voter, "2411.00001")
    assert trending.refresh().generation == before.generation + 1  # another process got there first
    rows, _ = upkeep.compute(store, [world.pk("2411.00001")], world.clock(), PARAMS)
    stale = replace(rows[0], values=tuple(99 for _ in rows[0].values))
    assert store.commit(before, as_of=world.clock(), papers_seq=0, vote_rules="", rows=[stale]) is None
    assert [item.activity.upvotes for item in trending.trending()] == [1]


def test_processes_refreshing_at_once_end_correct(world: World) -> None:
    paper_ids = [f"2411.{n:05d}" for n in range(6)]
    for paper_id in paper_ids:
        world.paper(paper_id, age=timedelta(days=2))
    voters = world.users(20)
    processes = [world.trending() for _ in range(4)]
    processes[0].refresh()
    outcomes: list[int | None] = []

    def vote_and_refresh(process: Trending, batch: int) -> None:
        for voter in voters[batch * 5 : batch * 5 + 5]:
            world.vote(voter, paper_ids[batch])
        outcomes.append(process.refresh().generation)

    threads = [threading.Thread(target=vote_and_refresh, args=(p, n)) for n, p in enumerate(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert any(generation is not None for generation in outcomes)
    processes[0].refresh()  # whatever a lost race left in the change log
    for process in processes:
        assert [item.activity.upvotes for item in process.trending()] == [5, 5, 5, 5]
    assert change_log_size(world) == 0
    assert_matches_reference(world, processes[1])


def test_a_reader_follows_another_process_refreshes_including_removals(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    web, worker = world.trending(), world.trending()
    world.vote(voter, "2411.00001")
    worker.refresh()
    assert ids(web) == ["2411.00001"]
    world.unvote(voter, "2411.00001")
    world.vote(voter, "2411.00002")
    worker.refresh()
    assert ids(web) == ["2411.00002"]
    assert web.as_of == world.clock()


def test_a_reader_behind_the_purged_removals_reloads_everything(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    web, worker = world.trending(), world.trending()
    world.vote(voter, "2411.00001")
    world.vote(voter, "2411.00002")
    worker.refresh()
    assert ids(web) == ["2411.00002", "2411.00001"]
    world.unvote(voter, "2411.00001")
    worker.refresh()
    world.clock.advance(hours=2)
    worker.refresh()  # forgets the removal of 2411.00001, which the web process never read
    state = TrendingStore(world.store.engine).state()
    assert (state.generation, state.purged_generation) == (3, 2)
    assert ids(web) == ["2411.00002"]  # read incrementally, 2411.00001 would linger


def test_changed_anti_abuse_settings_rebuild_everything(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.vote(world.user("new@example.org", age=timedelta(hours=1)), "2411.00001")
    world.trending().refresh()
    stricter = replace(PARAMS, votes=replace(PARAMS.votes, young_vote_weight=0.5))
    trending = world.trending(stricter)
    assert trending.refresh().full
    assert [item.activity.counted for item in trending.trending()] == [0.5]


def test_a_long_change_log_is_taken_in_one_pass(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(upkeep, "MAX_INCREMENTAL_CHANGES", 3)
    monkeypatch.setattr(upkeep, "REBUILD_LEAVES_CHANGES", 0)
    world.paper("2411.00001", age=timedelta(days=1))
    trending = world.trending()
    trending.refresh()
    for voter in world.users(5):
        world.vote(voter, "2411.00001")
    report = trending.refresh()
    assert report.full and report.rows == 1
    assert change_log_size(world) == 0
    assert [item.activity.upvotes for item in trending.trending()] == [5]


def test_staleness_and_the_background_refresh(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.vote(world.user("reader@example.org"), "2411.00001")
    trending = world.trending()
    assert trending.is_stale()  # never refreshed
    thread = trending.refresh_soon()
    assert thread is not None
    thread.join()
    assert not trending.is_stale() and trending.refresh_soon() is None
    assert ids(trending) == ["2411.00001"]
    world.clock.advance(seconds=29)
    assert not trending.is_stale()
    world.clock.advance(seconds=1)
    assert trending.is_stale()


def test_a_full_rebuild_leaves_the_newest_changes_to_the_next_refresh(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A vote whose transaction is still open when a rebuild reads may be numbered below the newest entry."""
    monkeypatch.setattr(upkeep, "REBUILD_LEAVES_CHANGES", 2)
    voter = world.user("reader@example.org")
    for n in range(5):
        world.paper(f"2411.{n:05d}", age=timedelta(days=1))
        world.vote(voter, f"2411.{n:05d}")
    trending = world.trending()
    rebuilt = trending.refresh(full=True)
    assert (rebuilt.full, rebuilt.changes, change_log_size(world)) == (True, 3, 2)
    following = trending.refresh()
    assert (following.full, following.changes, following.papers, change_log_size(world)) == (False, 2, 2, 0)
    assert len(ids(trending)) == 5


def test_of_two_first_refreshes_one_writes_the_state(world: World) -> None:
    store = TrendingStore(world.store.engine, world.clock)
    never = store.state()
    assert never.generation == 0
    assert store.commit(never, as_of=world.clock(), papers_seq=0, vote_rules="", rows=[]) == (1, 0)
    assert store.commit(never, as_of=world.clock(), papers_seq=0, vote_rules="", rows=[]) is None
    assert store.state().generation == 1


def test_while_one_request_catches_up_the_others_serve_the_previous_refresh(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    web, worker = world.trending(), world.trending()
    worker.refresh()
    assert web.ranking().generation == 1
    world.vote(voter, "2411.00001")
    worker.refresh()
    with web._catch_up_lock:  # another request thread is reading the new rows
        assert web.ranking().generation == 1
    assert web.ranking().generation == 2
    assert ids(web) == ["2411.00001"]


def test_a_web_process_catches_up_in_the_background_and_answers_from_the_previous_refresh(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=1))
    voter = world.user("reader@example.org")
    web = Trending(world.store, TrendingStore(world.store.engine, world.clock), PARAMS,
                   refresh_after=timedelta(seconds=30), background_catch_up=True)  # fmt: skip
    worker = world.trending()
    world.vote(voter, "2411.00001")
    worker.refresh()
    assert ids(web) == ["2411.00001"]  # nothing to serve yet: the first request waits
    web.trending(Window.WEEK, Filters(("cs.*",)))
    world.vote(voter, "2411.00002")
    worker.refresh()
    assert ids(web) == ["2411.00001"]  # served from the previous refresh while a thread catches up
    for _ in range(1000):
        if web.ranking().generation == 2:
            break
        time.sleep(0.01)
    assert ids(web) == ["2411.00002", "2411.00001"]
    assert (Window.WEEK, ("cs.*",), ()) in web.ranking().prepared()  # the filter asked before was prepared
