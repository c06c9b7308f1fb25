"""The trending score: what counts as attention, how much, and how a paper's age weighs on it.

For a paper ``p``, a window ``W`` (a day, a week or 30 days ending now) and its weights::

    attention(p, W) = counted upvotes cast in W
                    + hf_upvote_weight   * Hugging Face upvotes gained in W
                    + github_star_weight * GitHub stars gained in W
    score(p, W)     = attention(p, W) * 2 ** (-age_halvings * min(age(p), W) / W)

Counted upvotes carry the anti-abuse weights of :func:`vote_weights`. A signal's gain is its
latest value minus its value at the window's start (:func:`signal_growth`). The age factor is a
half-life that stops at the window's length: among papers competing in one window the newer wins
a tie, yet a classic that suddenly draws attention can still trend (README "Trending" compares
this with gravity and log-votes rankings on a worked example).

Everything here is pure: times are POSIX seconds, and "now" is always an argument.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum

import numpy as np

from papertide.config import Settings

HF_UPVOTES = "hf_upvotes"
GITHUB_STARS = "github_stars"
SIGNALS = (HF_UPVOTES, GITHUB_STARS)


class Window(StrEnum):
    """A trending window: the span before now whose attention counts."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def length(self) -> timedelta:
        return _LENGTHS[self]

    @property
    def seconds(self) -> float:
        return self.length.total_seconds()

    @property
    def label(self) -> str:
        """As a tab names it: "This week"."""
        return _LABELS[self]

    @property
    def phrase(self) -> str:
        """As a sentence ends: "... this week"."""
        return _LABELS[self].lower()


_LENGTHS = {Window.DAY: timedelta(days=1), Window.WEEK: timedelta(days=7), Window.MONTH: timedelta(days=30)}
_LABELS = {Window.DAY: "Today", Window.WEEK: "This week", Window.MONTH: "This month"}
LONGEST = max(Window, key=lambda window: window.length)


@dataclass(frozen=True, slots=True)
class VoteRules:
    """The anti-abuse weights of local votes. Stored attention depends on them: changing one rebuilds it."""

    young_account_s: float
    young_vote_weight: float
    burst_votes: int
    burst_s: float
    burst_vote_weight: float

    def fingerprint(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


@dataclass(frozen=True, slots=True)
class ScoreParams:
    """Every parameter of the score (settings ``trending_*``)."""

    hf_upvote_weight: float
    github_star_weight: float
    age_halvings: float
    votes: VoteRules

    @classmethod
    def from_settings(cls, settings: Settings) -> ScoreParams:
        return cls(
            hf_upvote_weight=settings.trending_hf_upvote_weight,
            github_star_weight=settings.trending_github_star_weight,
            age_halvings=settings.trending_age_halvings,
            votes=VoteRules(
                young_account_s=settings.trending_young_account_hours * 3600,
                young_vote_weight=settings.trending_young_vote_weight,
                burst_votes=settings.trending_burst_votes,
                burst_s=settings.trending_burst_minutes * 60,
                burst_vote_weight=settings.trending_burst_vote_weight,
            ),
        )


@dataclass(frozen=True, slots=True)
class Activity:
    """The attention one paper drew in one window."""

    upvotes: int = 0  # local votes cast in the window, as many as there were
    counted: float = 0.0  # what they count after the anti-abuse weights
    hf_upvotes: float = 0.0  # Hugging Face upvotes gained in the window
    github_stars: float = 0.0  # GitHub stars gained in the window

    def attention(self, params: ScoreParams) -> float:
        return self.counted + params.hf_upvote_weight * self.hf_upvotes + params.github_star_weight * self.github_stars

    def reason(self, window: Window) -> str:
        """Why it trends, as a reader wants it: "+23 upvotes and +120 GitHub stars this week"."""
        parts = [
            _count(round(value), noun)
            for value, noun in (
                (self.upvotes, "upvote"),
                (self.hf_upvotes, "Hugging Face upvote"),
                (self.github_stars, "GitHub star"),
            )
            if round(value) > 0
        ]
        if not parts:
            return ""
        listed = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"
        return f"{listed} {window.phrase}"


def _count(value: int, noun: str) -> str:
    return f"+{value} {noun}{'' if value == 1 else 's'}"


def vote_weights(votes: Sequence[tuple[float, float]], rules: VoteRules) -> list[float]:
    """What each vote on one paper counts; ``votes`` are (cast at, account created at), in casting order.

    - A vote from an account older than ``young_account_s`` when it was cast counts 1.
    - A vote from a younger account counts ``young_vote_weight``.
    - A young account's vote cast when at least ``burst_votes`` other young-account votes on the
      same paper came in the ``burst_s`` before it (equal times in casting order) counts a further
      ``burst_vote_weight`` of that: a burst from fresh accounts barely moves a paper, while the
      same number of votes spread out, or from established accounts, counts in full.
    """
    weights = []
    recent_young: deque[float] = deque()
    for cast_at, account_created_at in votes:
        if cast_at - account_created_at >= rules.young_account_s:
            weights.append(1.0)
            continue
        while recent_young and recent_young[0] < cast_at - rules.burst_s:
            recent_young.popleft()
        burst = len(recent_young) >= rules.burst_votes
        weights.append(rules.young_vote_weight * (rules.burst_vote_weight if burst else 1.0))
        recent_young.append(cast_at)
    return weights


def signal_growth(history: Sequence[tuple[float, float]], start: float, listed_at: float) -> float:
    """How much a signal (observations (at, value), oldest first) grew since ``start``; never negative.

    The gain is the latest value minus the value at the window's start: the last observation at or
    before it. A paper listed after ``start`` gained everything it has within the window. An older
    paper first observed within the window counts only the growth seen since that first
    observation, so the first harvest of an old paper's all-time count does not read as a surge.
    """
    if not history:
        return 0.0
    baseline = None
    for observed_at, value in history:
        if observed_at > start:
            break
        baseline = value
    if baseline is None:
        baseline = 0.0 if listed_at > start else history[0][1]
    return max(0.0, history[-1][1] - baseline)


def paper_activity(
    votes: Sequence[tuple[float, float]],
    signals: dict[str, Sequence[tuple[float, float]]],
    listed_at: float,
    now: float,
    rules: VoteRules,
) -> dict[Window, Activity]:
    """One paper's attention in every window ending at ``now``.

    ``votes`` are (cast at, account created at) in casting order, at least those cast in the longest
    window and the burst span before it; ``signals`` are observation histories by signal name. A
    vote counts from the moment it is cast; one stamped after ``now`` (another process's clock)
    counts too.
    """
    weights = vote_weights(votes, rules)
    activity = {}
    for window in Window:
        start = now - window.seconds
        in_window = [weight for (cast_at, _), weight in zip(votes, weights, strict=True) if cast_at > start]
        activity[window] = Activity(
            upvotes=len(in_window),
            counted=sum(in_window),
            hf_upvotes=signal_growth(signals.get(HF_UPVOTES, ()), start, listed_at),
            github_stars=signal_growth(signals.get(GITHUB_STARS, ()), start, listed_at),
        )
    return activity


def age_factor(age_s: np.ndarray | float, window: Window, params: ScoreParams) -> np.ndarray | float:
    """``2 ** (-age_halvings * min(age, W) / W)``: 1 for a new paper, ``2 ** -age_halvings`` from age W on.

    A paper's score is ``attention * age_factor(age)``; :class:`~papertide.trending.ranking.Ranking`
    computes it for every candidate at once.
    """
    share = np.clip(np.asarray(age_s, dtype=np.float64) / window.seconds, 0.0, 1.0)
    factor = np.exp2(-params.age_halvings * share)
    return float(factor) if np.ndim(factor) == 0 else factor
