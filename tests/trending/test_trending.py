"""Trending over a real SQLite store on a controlled clock: ordering, windows, filters, signals, anti-abuse."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import create_engine

from papertide.errors import StoreError
from papertide.search.query import Filters
from papertide.store import PaperStore
from papertide.store.trending import TrendingStore
from papertide.trending import Trending, Window
from papertide.trending.service import EVERYTHING
from tests.trending.world import PARAMS, World


@pytest.fixture
def world(database_url: str) -> World:
    return World.create(database_url)


def listing(trending: Trending, window: Window = Window.WEEK, filters: Filters = EVERYTHING) -> list[str]:
    return [item.paper.paper_id for item in trending.trending(window, filters, limit=50)]


def test_more_attention_ranks_higher_and_nothing_without_attention_trends(world: World) -> None:
    for paper_id in ("2411.00001", "2411.00002", "2411.00003"):
        world.paper(paper_id, age=timedelta(days=2))
    voters = world.users(5)
    for voter in voters[:2]:
        world.vote(voter, "2411.00001")
    for voter in voters:
        world.vote(voter, "2411.00002")
    trending = world.trending()
    assert trending.trending() == []  # nothing until the first refresh
    trending.refresh()
    items = trending.trending()
    assert [item.paper.paper_id for item in items] == ["2411.00002", "2411.00001"]
    assert [item.reason for item in items] == ["+5 upvotes this week", "+2 upvotes this week"]
    assert items[0].score == pytest.approx(5 * 2 ** (-2 / 7))


def test_with_equal_attention_the_newer_paper_leads_until_both_are_older_than_the_window(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=3))
    voter = world.user("reader@example.org")
    for paper_id in ("2411.00001", "2411.00002"):
        world.vote(voter, paper_id)
    trending = world.trending()
    trending.refresh()
    assert listing(trending, Window.MONTH) == ["2411.00001", "2411.00002"]
    first, second = trending.trending(Window.MONTH)
    assert first.score / second.score == pytest.approx(2 ** (2 / 30))
    world.clock.advance(days=29)  # both papers are now older than the month: the same handicap
    trending.refresh()
    first, second = trending.trending(Window.MONTH)
    assert first.score == second.score == pytest.approx(0.5)
    assert [first.paper.paper_id, second.paper.paper_id] == ["2411.00002", "2411.00001"]  # tie: newer store key


def test_a_surge_on_an_old_paper_beats_a_trickle_on_a_new_one(world: World) -> None:
    world.paper("1706.03762", age=timedelta(days=3000))
    world.paper("2411.00001", age=timedelta(hours=2))
    voters = world.users(7)
    for voter in voters:
        world.vote(voter, "1706.03762")
    for voter in voters[:3]:
        world.vote(voter, "2411.00001")
    trending = world.trending()
    trending.refresh()
    assert listing(trending, Window.DAY) == ["1706.03762", "2411.00001"]  # 7 * 0.5 = 3.5 > 3 * 0.94
    world.vote(world.user("late@example.org"), "2411.00001")
    trending.refresh()
    assert listing(trending, Window.DAY) == ["2411.00001", "1706.03762"]  # 4 * 0.94 > 3.5


def test_the_order_changes_as_time_passes_without_any_new_vote(world: World) -> None:
    """Scores are computed at the moment asked: the ranking ages between refreshes too."""
    world.paper("2411.00001", age=timedelta(days=0))
    world.paper("2411.00002", age=timedelta(days=6))
    voters = world.users(10)
    for voter in voters[:6]:
        world.vote(voter, "2411.00001")
    for voter in voters:
        world.vote(voter, "2411.00002")
    trending = world.trending()
    trending.refresh()
    assert listing(trending, Window.WEEK) == ["2411.00001", "2411.00002"]  # 6 > 10 * 2^(-144/168) = 5.52
    world.clock.advance(hours=20)
    assert listing(trending, Window.WEEK) == ["2411.00001", "2411.00002"]  # 6 * 2^(-20/168) = 5.53 > 5.08
    world.clock.advance(hours=45)
    assert listing(trending, Window.WEEK) == ["2411.00002", "2411.00001"]  # 6 * 2^(-65/168) = 4.59 < 5


def test_votes_count_in_the_windows_they_fall_in_and_leave_them(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=40))
    voter, other = world.users(2)
    world.vote(voter, "2411.00001", at=world.clock() - timedelta(days=2))
    world.vote(other, "2411.00001", at=world.clock() - timedelta(hours=3))
    trending = world.trending()
    trending.refresh()
    reasons = {window: [item.reason for item in trending.trending(window)] for window in Window}
    assert reasons == {
        Window.DAY: ["+1 upvote today"],
        Window.WEEK: ["+2 upvotes this week"],
        Window.MONTH: ["+2 upvotes this month"],
    }
    world.clock.advance(days=1)
    trending.refresh()
    assert listing(trending, Window.DAY) == []
    world.clock.advance(days=5, hours=12)  # the first vote is 8.5 days old, the second 6.6
    trending.refresh()
    assert [item.reason for item in trending.trending(Window.WEEK)] == ["+1 upvote this week"]
    world.clock.advance(days=30)
    trending.refresh()
    assert listing(trending, Window.MONTH) == []


def test_category_filters_mean_what_they_mean_in_listings(world: World) -> None:
    categories = {
        "2411.00001": ("cs.LG", "stat.ML"),
        "2411.00002": ("cs.CV",),
        "2411.00003": ("math.PR",),
        "2411.00004": ("hep-th",),
        "2411.00005": ("cs.CL", "cs.AI"),
    }
    voters = world.users(5)
    for rank, (paper_id, cats) in enumerate(categories.items()):
        world.paper(paper_id, cats, age=timedelta(days=1))
        for voter in voters[: 5 - rank]:
            world.vote(voter, paper_id)
    trending = world.trending()
    trending.refresh()
    cases = {
        Filters(("cs.LG",)): ["2411.00001"],
        Filters(("cs.*",)): ["2411.00001", "2411.00002", "2411.00005"],
        Filters(("math.*", "hep-th")): ["2411.00003", "2411.00004"],
        Filters((), ("cs.*",)): ["2411.00003", "2411.00004"],
        Filters(("cs.*",), ("stat.ML", "cs.AI")): ["2411.00002"],
        Filters(("q-bio.*",)): [],
    }
    for filters, expected in cases.items():
        assert listing(trending, filters=filters) == expected, filters


def test_signal_growth_comes_from_the_history_within_the_window(world: World) -> None:
    now = world.clock()
    world.paper("2410.21276", age=timedelta(days=60))
    world.observe("2410.21276", "hf_upvotes", 40, now - timedelta(days=20))
    world.observe("2410.21276", "hf_upvotes", 55, now - timedelta(days=8))
    world.observe("2410.21276", "hf_upvotes", 61, now - timedelta(days=2))
    world.observe("2410.21276", "github_stars", 1000, now - timedelta(days=9))
    world.observe("2410.21276", "github_stars", 1300, now - timedelta(hours=1))
    world.paper("2411.00002", age=timedelta(days=2))  # new: everything it has was gained this week
    world.observe("2411.00002", "hf_upvotes", 12, now - timedelta(days=1))
    world.paper("1512.03385", age=timedelta(days=3000))  # first harvested now, with its all-time count
    world.observe("1512.03385", "github_stars", 5000, now - timedelta(hours=2))
    trending = world.trending()
    trending.refresh()
    assert [(item.paper.paper_id, item.reason) for item in trending.trending(Window.WEEK)] == [
        ("2410.21276", "+6 Hugging Face upvotes and +300 GitHub stars this week"),  # 0.5 * (6 + 30) = 18
        ("2411.00002", "+12 Hugging Face upvotes this week"),  # 12 * 2^(-2/7) = 9.8
    ]
    month = trending.trending(Window.MONTH)
    assert month[0].reason == "+21 Hugging Face upvotes and +300 GitHub stars this month"
    world.clock.advance(days=2)  # the 1,000-star observation is older than the week: it becomes the baseline
    world.observe("2410.21276", "github_stars", 1350)
    trending.refresh()
    assert trending.trending(Window.WEEK)[0].reason == "+6 Hugging Face upvotes and +350 GitHub stars this week"


def test_a_signal_gain_fades_when_the_paper_is_no_longer_new_to_the_window(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=6))
    world.observe("2411.00001", "hf_upvotes", 50, world.clock() - timedelta(days=1))
    trending = world.trending()
    trending.refresh()
    assert listing(trending) == ["2411.00001"]
    world.clock.advance(days=2)  # listed 8 days ago: only growth seen since its first observation counts
    trending.refresh()
    assert listing(trending) == []
    assert listing(trending, Window.MONTH) == ["2411.00001"]


def test_young_accounts_count_less_and_their_bursts_barely_count(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=1))
    established = world.users(3, prefix="old")
    fresh = world.users(12, age=timedelta(hours=2), prefix="new")
    for voter in established:
        world.vote(voter, "2411.00001")
    for minute, voter in enumerate(fresh):  # twelve brand-new accounts within twelve minutes
        world.vote(voter, "2411.00002", at=world.clock() + timedelta(minutes=minute))
    world.clock.advance(minutes=15)
    trending = world.trending()
    trending.refresh()
    items = trending.trending(Window.DAY)
    assert [item.paper.paper_id for item in items] == ["2411.00001", "2411.00002"]
    young, dampened = PARAMS.votes.young_vote_weight, PARAMS.votes.young_vote_weight * PARAMS.votes.burst_vote_weight
    assert items[0].activity.counted == 3
    assert items[1].activity.counted == pytest.approx(5 * young + 7 * dampened)  # 1.425, not 12
    assert items[1].reason == "+12 upvotes today"  # the reason says what happened; the score what counts


def test_an_account_that_ages_counts_fully_for_its_later_votes(world: World) -> None:
    world.paper("2411.00001", age=timedelta(days=1))
    world.paper("2411.00002", age=timedelta(days=1))
    voter = world.user("patient@example.org", age=timedelta(hours=1))
    world.vote(voter, "2411.00001")  # cast while young
    world.clock.advance(days=1)
    world.vote(voter, "2411.00002")  # cast once a day old
    trending = world.trending()
    trending.refresh()
    counted = {item.paper.paper_id: item.activity.counted for item in trending.trending(Window.WEEK)}
    assert counted == {"2411.00001": PARAMS.votes.young_vote_weight, "2411.00002": 1.0}


def test_offset_and_limit_page_through_the_same_order(world: World) -> None:
    voters = world.users(12)
    for n in range(12):
        world.paper(f"2411.{n:05d}", age=timedelta(days=1))
        for voter in voters[: n + 1]:
            world.vote(voter, f"2411.{n:05d}")
    trending = world.trending()
    trending.refresh()
    everything = listing(trending)
    assert len(everything) == 12
    pages = [trending.trending(Window.WEEK, limit=5, offset=offset) for offset in (0, 5, 10)]
    assert [item.paper.paper_id for page in pages for item in page] == everything


def test_a_warm_up_that_cannot_read_the_store_logs_and_the_next_request_gets_the_error(
    tmp_path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = PaperStore(create_engine(f"sqlite:///{tmp_path / 'no-such-dir' / 'papertide.db'}"))
    trending = Trending(missing, TrendingStore(missing.engine), PARAMS, refresh_after=timedelta(seconds=30))
    with caplog.at_level("ERROR", logger="papertide.trending.service"):
        trending.warm_up()
        for thread in [t for t in threading.enumerate() if t.name == "trending-warm-up"]:
            thread.join(timeout=30)
    assert "trending could not catch up" in caplog.text
    with pytest.raises(StoreError):
        trending.trending()
