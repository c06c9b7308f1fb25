"""Trending papers: a documented score over local upvotes, Hugging Face upvotes and GitHub stars.

:mod:`.score` is the formula and the anti-abuse rules, :mod:`.upkeep` keeps the stored attention
current, :mod:`.ranking` ranks it at the current time, and :class:`Trending` is what callers use.
"""

from __future__ import annotations

from papertide.trending.score import Activity, ScoreParams, VoteRules, Window
from papertide.trending.service import Trending, TrendingItem
from papertide.trending.upkeep import RefreshReport

__all__ = ["Activity", "RefreshReport", "ScoreParams", "Trending", "TrendingItem", "VoteRules", "Window"]
