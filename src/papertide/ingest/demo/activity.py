"""The demo's activity, replayed relative to the day it is loaded, so the demo is alive on any date.

The papers keep their true facts (arXiv ids, versions, submission dates, the Hugging Face upvote
counts recorded with them). What is placed relative to ``now`` is only activity a papertide
instance would have seen: when the newest papers were listed here (a few a day over the past
week, the newest today), Hugging Face upvote observations rising to the recorded count, and
upvotes by a handful of demo accounts. Loading again later replaces the previous replay (see
:class:`~papertide.store.demo_activity.DemoActivityStore`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from papertide.store.demo_activity import DemoActivityStore, Replay
from papertide.store.papers.store import PaperStore, StoredPaper
from papertide.trending.score import HF_UPVOTES

FEATURED = 60  # the newest papers of the corpus, listed here over the past week
LISTING_SPAN = timedelta(days=7)
# Hugging Face upvote observations: (days before the load, share of the recorded count). The week
# and month windows each start after one of them, so both see the paper gain upvotes.
OBSERVATIONS = ((45.0, 0.1), (8.0, 0.4), (3.0, 0.7), (0.0, 1.0))
ACCOUNTS = tuple(f"reader{n}@demo.papertide.invalid" for n in range(1, 7))
ACCOUNT_AGE = timedelta(days=120)  # established accounts: their votes count in full
VOTE_SPACING = timedelta(minutes=47)


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    loaded_at: datetime
    listed: int
    observations: int
    votes: int

    def as_dict(self) -> dict:
        """As ``papertide demo --json`` reports it."""
        counts = {"listed": self.listed, "observations": self.observations, "votes": self.votes}
        return {"activity": {"loaded_at": self.loaded_at.isoformat(), **counts}}

    def __str__(self) -> str:
        return (
            f"activity replayed relative to {self.loaded_at:%Y-%m-%d %H:%M} UTC: {self.listed} papers listed over "
            f"the past week, {self.observations} Hugging Face upvote observations, {self.votes} upvotes by "
            f"{len(ACCOUNTS)} demo accounts"
        )


def replay_activity(store: PaperStore, activity: DemoActivityStore, paper_ids: list[str]) -> ReplaySummary:
    """Place the demo's activity relative to the store's clock, replacing any earlier replay."""
    now = store.now()
    stored = store.get_many_by_id(paper_ids)
    featured = _newest(stored)[:FEATURED]
    step = LISTING_SPAN / len(featured) if featured else LISTING_SPAN
    listed = {paper.pk: now - step * n for n, paper in enumerate(featured)}
    observations = [
        (paper.pk, HF_UPVOTES, now - timedelta(days=days), round(recorded * share))
        for paper in stored
        if (recorded := _recorded_upvotes(paper))
        for days, share in OBSERVATIONS
    ]
    votes = [
        (ACCOUNTS[k], paper.pk, min(now, listed[paper.pk] + VOTE_SPACING * (k + 1)))
        for n, paper in enumerate(featured)
        for k in range(_votes_for(n))
    ]
    accounts = {email: now - ACCOUNT_AGE for email in ACCOUNTS}
    activity.replace(Replay(now, listed, observations, accounts, votes))
    return ReplaySummary(now, len(listed), len(observations), len(votes))


def _newest(papers: list[StoredPaper]) -> list[StoredPaper]:
    """Dated papers, newest submission first (ties by id, so every load picks the same ones)."""
    dated = [paper for paper in papers if paper.paper.submitted is not None]
    return sorted(dated, key=lambda paper: (paper.paper.submitted, paper.paper_id), reverse=True)


def _recorded_upvotes(paper: StoredPaper) -> float:
    """The upvote count recorded with the paper by a real harvest (0 without one)."""
    signal = paper.signals.get(HF_UPVOTES)
    return signal.value if signal else 0.0


def _votes_for(position: int) -> int:
    """How many demo accounts upvote the ``position``-th featured paper: 1 to all, varied but fixed."""
    return 1 + (position * 7 + 3) % len(ACCOUNTS)
