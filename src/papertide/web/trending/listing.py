"""The trending list as the home page, the API and the feed ask for it (one module, so that each imports it
without the others)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from papertide.search.query import Filters
from papertide.trending import TrendingItem, Window
from papertide.web.kit.dependencies import Services

WindowParam = Annotated[
    Window, Query(description="`day`, `week` or `month`: how far back the attention that counts goes.")
]


def trending_items(services: Services, window: Window, filters: Filters, limit: int) -> list[TrendingItem]:
    """The list a page, the API or a feed shows; viewing it starts a background refresh when stale."""
    services.trending.refresh_soon()
    return services.trending.trending(window, filters, limit=limit)
