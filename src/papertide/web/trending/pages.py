"""Trending: the home page; ``/api/v1/trending`` (trending/api.py) and the feed make the same service call.

Viewing it starts a background refresh when the stored attention is older than ``trending_refresh_s``
(a worker may keep it fresh instead); the answer never waits for it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from papertide.trending import Window
from papertide.web.feeds.links import trending_link
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.filters import without_blank_filters
from papertide.web.kit.params import CategoryFiltersDep
from papertide.web.kit.schemas import trending_paper
from papertide.web.kit.templating import templates
from papertide.web.trending.listing import WindowParam, trending_items

PAGE_SIZE = 30

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/")
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
