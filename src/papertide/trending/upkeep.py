"""Keeping the stored attention current: incremental refreshes, and full rebuilds when needed.

Attention changes for four reasons, and a refresh from ``as_of`` to ``now`` recomputes exactly the
papers concerned, each from its own votes and signal history:

1. a vote was cast or withdrawn, or a signal observed: triggers on ``votes`` and
   ``paper_signals`` note the paper in ``trending_changes``, whatever wrote it;
2. a vote's time left a window (cast in ``(as_of - W, now - W]``);
3. a signal observation became a window's baseline (observed in that same span);
4. a paper stopped being new to a window (listed in that span), or its record changed.

Recomputing a paper costs what its votes in the past month cost to read (one indexed range), so a
refresh costs in proportion to what happened since the last one, not to the library's size. A
full rebuild reads every vote of the past month instead; it runs the first time, when the
anti-abuse settings change, or when the change log holds more than an incremental refresh should
take on.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import astuple, dataclass
from datetime import datetime, timedelta

from papertide.store.trending import AttentionRow, TrendingState, TrendingStore, seconds
from papertide.trending.score import LONGEST, SIGNALS, Activity, ScoreParams, Window, paper_activity

# Past this many change-log entries one pass over the month's votes is cheaper than a lookup per paper.
MAX_INCREMENTAL_CHANGES = 50_000
# Removals stay readable this long, so readers catch up incrementally; one further behind reloads all.
REMOVALS_KEPT = timedelta(hours=1)
# A full rebuild leaves this many of the newest change-log entries to the next refresh: PostgreSQL
# numbers an entry when a vote is inserted, not when it commits, so a vote still in flight while
# the rebuild read may sit below the last number it saw. Recomputing a paper twice is harmless.
REBUILD_LEAVES_CHANGES = 1000


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh did; ``generation`` is None when another process refreshed meanwhile."""

    generation: int | None
    full: bool
    as_of: datetime
    changes: int  # change-log entries consumed
    papers: int  # papers recomputed
    rows: int  # papers with attention written
    seconds: float


def refresh(store: TrendingStore, params: ScoreParams, now: datetime, *, full: bool = False) -> RefreshReport:
    """Bring the stored attention to ``now``: incrementally when possible, else by a full rebuild."""
    started = time.perf_counter()
    state = store.state()
    rules = params.votes.fingerprint()
    changes = [] if full else store.changes(MAX_INCREMENTAL_CHANGES + 1)
    if full or state.generation == 0 or state.vote_rules != rules or len(changes) > MAX_INCREMENTAL_CHANGES:
        return _rebuild(store, params, state, now, started)
    papers_seq = store.papers_seq()
    dirty = {pk for _, pk in changes} | store.rows_changed(state.papers_seq)
    if now > state.as_of:
        for window in Window:
            after, until = state.as_of - window.length, now - window.length
            dirty |= store.voted_papers(after, until)
            dirty |= store.observed_papers(SIGNALS, after, until)
            dirty |= store.rows_listed(after, until)
    rows, zero = compute(store, dirty, now, params)
    committed = store.commit(
        state,
        as_of=now,
        papers_seq=papers_seq,
        vote_rules=rules,
        rows=rows,
        zero_pks=zero,
        consumed=[seq for seq, _ in changes],
        purge_before=now - REMOVALS_KEPT,
    )
    return _report(committed, False, now, len(dirty), len(rows), started)


def _rebuild(
    store: TrendingStore, params: ScoreParams, state: TrendingState, now: datetime, started: float
) -> RefreshReport:
    """Recompute every paper that drew attention in the longest window, replacing all rows."""
    through = store.last_change() - REBUILD_LEAVES_CHANGES  # whatever is noted later, the next refresh handles
    papers_seq = store.papers_seq()
    votes = store.votes_since(_votes_since(now, params))
    candidates = set(votes) | store.observed_papers(SIGNALS, now - LONGEST.length)
    rows, _ = compute(store, candidates, now, params, votes=votes)
    committed = store.commit(
        state,
        as_of=now,
        papers_seq=papers_seq,
        vote_rules=params.votes.fingerprint(),
        rows=rows,
        consumed_through=through,
        replace_all=True,
    )
    return _report(committed, True, now, len(candidates), len(rows), started)


def _report(
    committed: tuple[int, int] | None, full: bool, now: datetime, papers: int, rows: int, started: float
) -> RefreshReport:
    generation, consumed = committed or (None, 0)
    return RefreshReport(generation, full, now, consumed, papers, rows, time.perf_counter() - started)


def _votes_since(now: datetime, params: ScoreParams) -> datetime:
    """Votes that can count: those in the longest window, and those whose burst rule reaches into it."""
    return now - LONGEST.length - timedelta(seconds=params.votes.burst_s)


def compute(
    store: TrendingStore,
    pks: Iterable[int],
    now: datetime,
    params: ScoreParams,
    *,
    votes: dict[int, list[tuple[float, float]]] | None = None,
) -> tuple[list[AttentionRow], list[int]]:
    """The rows of ``pks`` as of ``now``, and the papers among them without any attention."""
    pks = sorted(pks)
    if votes is None:
        votes = store.votes_of(pks, _votes_since(now, params))
    signals = store.signals_of(pks, SIGNALS)
    listed = store.listed_at_of(pks)
    now_s = seconds(now)
    rows, zero = [], []
    for pk in pks:
        if pk not in listed:  # the paper is gone
            zero.append(pk)
            continue
        activity = paper_activity(votes.get(pk, ()), signals.get(pk, {}), listed[pk], now_s, params.votes)
        if any(a.upvotes or a.hf_upvotes or a.github_stars for a in activity.values()):
            rows.append(AttentionRow(pk, listed[pk], row_values(activity)))
        else:
            zero.append(pk)
    return rows, zero


def row_values(activity: dict[Window, Activity]) -> tuple[float, ...]:
    """A paper's activity in the order of the store's ``ACTIVITY_COLUMNS``: window by window, part by part."""
    return tuple(value for window in Window for value in astuple(activity[window]))
