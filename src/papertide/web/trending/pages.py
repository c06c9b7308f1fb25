"""Trending: the home page and ``/api/v1/trending``, both translating a request into one service call.

Viewing either starts a background refresh when the stored attention is older than
``trending_refresh_s`` (a worker may keep it fresh instead); the answer never waits for it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from papertide.search.query import Filters
from papertide.trending import TrendingItem, Window
from papertide.web.feeds.links import trending_link
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.filters import without_blank_filters
from papertide.web.kit.params import CategoryFiltersDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.schemas import TrendingList, trending_paper
from papertide.web.kit.templating import templates

PAGE_SIZE = 30

WindowParam = Annotated[
    Window, Query(description="`day`, `week` or `month`: how far back the attention that counts goes.")
]

pages = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
api = APIRouter(prefix="/api/v1", responses=problem_responses(400, 422, 503))


def trending_items(services: Services, window: Window, filters: Filters, limit: int) -> list[TrendingItem]:
    """The list a page, the API or a feed shows; viewing it starts a background refresh when stale."""
    services.trending.refresh_soon()
    return services.trending.trending(window, filters, limit=limit)


@pages.get("/")
def home(
    request: Request, services: ServicesDep, filters: CategoryFiltersDep, window: WindowParam = Window.WEEK
) -> Response:
    if clean := without_blank_filters(request):
        return clean
    items = trending_items(services, window, filters, PAGE_SIZE)
    context = {
        "items": [trending_paper(item) for item in items],
        "window": window,
        "windows": list(Window),
        "filters": filters,
        "as_of": services.trending.as_of,
        "params": services.trending.params,
        "feed": trending_link(window, filters),
    }
    return templates.TemplateResponse(request, "trending.html", context)


@api.get("/trending", tags=["papers"], summary="Trending papers")
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
