"""Trending in the JSON API: ``/api/v1/trending`` (the home page's service call) and ``/api/v1/discussed``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from papertide.trending import Window
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.params import CategoryFiltersDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.schemas import PaperSummary, TrendingList, trending_paper
from papertide.web.trending.discussed import most_discussed
from papertide.web.trending.listing import WindowParam, trending_items

router = APIRouter(prefix="/api/v1", responses=problem_responses(400, 422, 503))


@router.get("/trending", tags=["papers"], summary="Trending papers")
def trending(
    services: ServicesDep,
    filters: CategoryFiltersDep,
    window: WindowParam = Window.WEEK,
    limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = 20,
) -> TrendingList:
    """Papers drawing attention in the window, best first: upvotes here (votes from accounts younger than a
    day, and bursts of them, count less), Hugging Face upvotes and GitHub stars gained in the window, and the
    paper's age (newer first on equal attention). Each paper says why it trends."""
    items = trending_items(services, window, filters, limit)
    return TrendingList(window=window.value, as_of=services.trending.as_of, papers=[trending_paper(i) for i in items])


class DiscussedOut(BaseModel):
    paper: PaperSummary
    comments: int = Field(description="Comments written on it in the last seven days (neither deleted nor hidden).")


class DiscussedList(BaseModel):
    """The papers most discussed this week, most comments first."""

    since: datetime = Field(description="Comments written since this moment count (seven days ago).")
    papers: list[DiscussedOut]


@router.get("/discussed", tags=["papers"], summary="Most discussed papers this week")
def discussed(
    services: ServicesDep, limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = 20
) -> DiscussedList:
    """Papers by the number of comments written on them in the last seven days, most first."""
    since, items = most_discussed(services, limit)
    return DiscussedList(since=since, papers=[DiscussedOut(paper=i.paper, comments=i.comments) for i in items])
