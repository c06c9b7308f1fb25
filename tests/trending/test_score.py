"""The score's parts on their own: vote weights, signal growth, the age factor and the reason text."""

from __future__ import annotations

from dataclasses import replace

import pytest

from papertide.trending.score import Activity, Window, age_factor, paper_activity, signal_growth, vote_weights
from tests.trending.world import PARAMS

HOUR, DAY = 3600.0, 86400.0
RULES = PARAMS.votes
YOUNG = RULES.young_vote_weight
DAMPENED = RULES.young_vote_weight * RULES.burst_vote_weight
T = 1_000 * DAY  # some moment, in POSIX seconds


def test_the_defaults_are_the_documented_ones() -> None:
    assert (RULES.young_account_s, RULES.young_vote_weight) == (DAY, 0.25)
    assert (RULES.burst_votes, RULES.burst_s, RULES.burst_vote_weight) == (5, HOUR, 0.1)
    assert (PARAMS.hf_upvote_weight, PARAMS.github_star_weight, PARAMS.age_halvings) == (1.0, 0.1, 1.0)


def test_an_established_account_counts_fully_and_a_young_one_less() -> None:
    old_account, new_account = T - 30 * DAY, T - HOUR
    assert vote_weights([(T, old_account), (T + 1, new_account)], RULES) == [1.0, YOUNG]
    # a day old exactly is no longer young
    assert vote_weights([(T, T - DAY), (T, T - DAY + 1)], RULES) == [1.0, YOUNG]


def test_a_burst_of_young_accounts_is_dampened_beyond_the_allowance() -> None:
    burst = [(T + minute * 60, T - HOUR) for minute in range(8)]  # eight fresh accounts within 8 minutes
    assert vote_weights(burst, RULES) == [YOUNG] * 5 + [DAMPENED] * 3


def test_young_votes_spread_out_are_not_a_burst() -> None:
    spread = [(T + n * (HOUR + 1), T + n * (HOUR + 1) - HOUR) for n in range(8)]  # one an hour
    assert vote_weights(spread, RULES) == [YOUNG] * 8


def test_the_burst_span_slides_and_established_accounts_neither_count_towards_nor_suffer_it() -> None:
    young, old = T - HOUR, T - 90 * DAY
    votes = [(T + n, young) for n in range(5)]  # five young votes: the allowance
    votes += [(T + 10 + n, old) for n in range(3)]  # established accounts during the burst
    votes += [(T + 20, young)]  # the sixth young vote within the hour: dampened
    votes += [(T + HOUR + 5, young)]  # an hour after the first five: the window holds only one other
    assert vote_weights(votes, RULES) == [YOUNG] * 5 + [1.0] * 3 + [DAMPENED, YOUNG]


def test_votes_at_the_same_moment_take_their_order_as_given() -> None:
    same = [(T, T - HOUR)] * 7
    assert vote_weights(same, RULES) == [YOUNG] * 5 + [DAMPENED] * 2


def test_a_zero_allowance_dampens_every_young_vote_after_the_first() -> None:
    strict = replace(RULES, burst_votes=0)
    assert vote_weights([(T, T - HOUR), (T + 1, T - HOUR)], strict) == [DAMPENED, DAMPENED]


@pytest.mark.parametrize(
    ("history", "listed_at", "expected"),
    [
        ([], T - 90 * DAY, 0.0),  # never observed
        ([(T - 10 * DAY, 40.0), (T - 2 * DAY, 70.0), (T - HOUR, 100.0)], T - 90 * DAY, 60.0),  # since the start
        ([(T - 7 * DAY, 40.0), (T - HOUR, 100.0)], T - 90 * DAY, 60.0),  # observed exactly at the start
        ([(T - 2 * DAY, 70.0), (T - HOUR, 100.0)], T - 3 * DAY, 100.0),  # a new paper gained all it has
        ([(T - 2 * DAY, 70.0), (T - HOUR, 100.0)], T - 90 * DAY, 30.0),  # an old paper first seen: seen growth
        ([(T - 2 * DAY, 900.0)], T - 90 * DAY, 0.0),  # an old paper's first harvest is no surge
        ([(T - 10 * DAY, 100.0), (T - HOUR, 80.0)], T - 90 * DAY, 0.0),  # it fell: no growth, not negative
        ([(T - 10 * DAY, 100.0)], T - 90 * DAY, 0.0),  # nothing observed within the window
    ],
)
def test_signal_growth_is_latest_minus_the_value_at_the_window_start(
    history: list[tuple[float, float]], listed_at: float, expected: float
) -> None:
    assert signal_growth(history, T - 7 * DAY, listed_at) == expected


def test_paper_activity_counts_each_window_from_the_same_votes() -> None:
    account = T - 90 * DAY
    votes = [(T - 20 * DAY, account), (T - 3 * DAY, account), (T - HOUR, account), (T - HOUR, T - 2 * HOUR)]
    signals = {"hf_upvotes": [(T - 40 * DAY, 5.0), (T - 5 * DAY, 25.0), (T - HOUR, 45.0)]}
    activity = paper_activity(votes, signals, T - 60 * DAY, T, RULES)
    assert activity[Window.DAY] == Activity(upvotes=2, counted=1 + YOUNG, hf_upvotes=20.0)
    assert activity[Window.WEEK] == Activity(upvotes=3, counted=2 + YOUNG, hf_upvotes=40.0)
    assert activity[Window.MONTH] == Activity(upvotes=4, counted=3 + YOUNG, hf_upvotes=40.0)


def test_the_age_factor_halves_over_the_window_then_stops() -> None:
    week = Window.WEEK.seconds
    assert age_factor(0.0, Window.WEEK, PARAMS) == 1.0
    assert age_factor(week / 2, Window.WEEK, PARAMS) == pytest.approx(2**-0.5)
    assert age_factor(week, Window.WEEK, PARAMS) == 0.5
    assert age_factor(50 * week, Window.WEEK, PARAMS) == 0.5  # a classic carries the same handicap as a week-old
    assert age_factor(-HOUR, Window.WEEK, PARAMS) == 1.0  # a clock ahead of ours gives no bonus
    assert age_factor(Window.DAY.seconds, Window.DAY, replace(PARAMS, age_halvings=3)) == 0.125


def test_score_weighs_each_source_of_attention() -> None:
    activity = Activity(upvotes=10, counted=8.5, hf_upvotes=20, github_stars=300)
    assert activity.attention(PARAMS) == 8.5 + 20 + 30
    assert activity.attention(PARAMS) * age_factor(Window.MONTH.seconds, Window.MONTH, PARAMS) == (8.5 + 20 + 30) / 2


@pytest.mark.parametrize(
    ("activity", "window", "expected"),
    [
        (Activity(upvotes=23, counted=23), Window.WEEK, "+23 upvotes this week"),
        (Activity(upvotes=1, counted=1), Window.DAY, "+1 upvote today"),
        (Activity(github_stars=120), Window.WEEK, "+120 GitHub stars this week"),
        (Activity(upvotes=2, counted=0.5, hf_upvotes=1), Window.MONTH,
         "+2 upvotes and +1 Hugging Face upvote this month"),
        (Activity(upvotes=3, hf_upvotes=14.0, github_stars=1), Window.DAY,
         "+3 upvotes, +14 Hugging Face upvotes and +1 GitHub star today"),
        (Activity(), Window.DAY, ""),
    ],
)  # fmt: skip
def test_the_reason_says_what_drew_the_attention(activity: Activity, window: Window, expected: str) -> None:
    assert activity.reason(window) == expected
