"""Trending in the JSON API: ``/api/v1/trending``, the same service call as the home page's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from papertide.trending import Window
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.params import CategoryFiltersDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.schemas import TrendingList, trending_paper
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
