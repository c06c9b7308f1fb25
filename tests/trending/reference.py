"""Trending computed the slow, obvious way from the raw tables: what the precomputed ranking must equal."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from papertide.search.query import Filters
from papertide.store.db.base import utc
from papertide.store.db.schema import paper_categories, paper_signals, papers, users, votes
from papertide.trending import ScoreParams, Window
from papertide.trending.service import EVERYTHING
from tests.trending.world import World


def reference(
    world: World, window: Window, now: datetime, params: ScoreParams, filters: Filters = EVERYTHING
) -> list[tuple[str, float, int]]:
    """(paper id, score, upvotes in the window) of every paper with attention, best first."""
    with world.store.engine.connect() as conn:
        listed = {pk: (paper_id, utc(at)) for pk, paper_id, at in conn.execute(
            select(papers.c.pk, papers.c.paper_id, papers.c.listed_at))}  # fmt: skip
        categories: dict[int, list[str]] = {}
        for pk, category in conn.execute(select(paper_categories.c.paper_pk, paper_categories.c.category)):
            categories.setdefault(pk, []).append(category)
        joined = select(votes.c.paper_pk, votes.c.user_pk, votes.c.created_at, users.c.created_at)
        cast = conn.execute(joined.join(users, users.c.pk == votes.c.user_pk)).all()
        observed = conn.execute(select(paper_signals)).all()
    start = now - window.length
    results = []
    for pk, (paper_id, listed_at) in listed.items():
        if not filters.category_matches(categories.get(pk, [])):
            continue
        mine = sorted((utc(at), user, utc(created)) for paper, user, at, created in cast if paper == pk)
        counted, upvotes = 0.0, 0
        for i, (at, _, created) in enumerate(mine):
            young = (at - created).total_seconds() < params.votes.young_account_s
            if young:
                earlier = [
                    1 for other_at, _, other_created in mine[:i]
                    if (other_at - other_created).total_seconds() < params.votes.young_account_s
                    and (at - other_at).total_seconds() <= params.votes.burst_s
                ]  # fmt: skip
                weight = params.votes.young_vote_weight
                if len(earlier) >= params.votes.burst_votes:
                    weight *= params.votes.burst_vote_weight
            else:
                weight = 1.0
            if at > start:
                counted += weight
                upvotes += 1
        gains = {}
        for name in ("hf_upvotes", "github_stars"):
            history = sorted((utc(r.observed_at), r.value) for r in observed if r.paper_pk == pk and r.name == name)
            if not history:
                gains[name] = 0.0
                continue
            before = [value for at, value in history if at <= start]
            baseline = before[-1] if before else (0.0 if listed_at > start else history[0][1])
            gains[name] = max(0.0, history[-1][1] - baseline)
        attention = counted + params.hf_upvote_weight * gains["hf_upvotes"]
        attention += params.github_star_weight * gains["github_stars"]
        if attention <= 0:
            continue
        age = min(max((now - listed_at).total_seconds(), 0.0), window.seconds)
        score = attention * 2 ** (-params.age_halvings * age / window.seconds)
        results.append((-score, -attention, -pk, paper_id, upvotes))
    return [(paper_id, -negated, upvotes) for negated, _, _, paper_id, upvotes in sorted(results)]
