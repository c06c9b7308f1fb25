""" "For you": new papers near what the reader saved and upvoted, as a page and in the API."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from papertide.library.for_you import ForYouPage
from papertide.search.query import Filters
from papertide.store.accounts import User
from papertide.web.auth import UserDep
from papertide.web.library_schemas import ForYouResults, for_you_item
from papertide.web.problems import problem_responses
from papertide.web.services import Services, ServicesDep
from papertide.web.templating import templates

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", responses=problem_responses(401, 422, 503))

PAGE_SIZE = 20


class ForYouWindow(StrEnum):
    """How new a recommended paper must be, counted back from the newest paper in the library."""

    WEEK = "week"
    MONTH = "month"
    YEAR = "year"
    ALL = "all"

    @property
    def label(self) -> str:
        return {"week": "Past week", "month": "Past month", "year": "Past year", "all": "All time"}[self.value]

    def since(self, newest: date | None) -> date | None:
        days = {"week": 7, "month": 30, "year": 365}.get(self.value)
        return None if days is None or newest is None else newest - timedelta(days=days - 1)


WindowParam = Annotated[ForYouWindow, Query(description="How new the papers must be: `week`, `month`, `year`, `all`.")]


def _recommend(services: Services, user: User, window: ForYouWindow, limit: int) -> tuple[ForYouPage, date | None]:
    since = window.since(services.newest_days.get(Filters()))
    return services.library.for_you.recommend(user, since, limit), since


@pages.get("/for-you", response_class=HTMLResponse)
def for_you(
    request: Request, services: ServicesDep, user: UserDep, window: WindowParam = ForYouWindow.MONTH
) -> Response:
    found, since = _recommend(services, user, window, PAGE_SIZE)
    context = {
        "items": [for_you_item(recommendation) for recommendation in found.recommendations],
        "liked": found.liked,
        "window": window,
        "windows": list(ForYouWindow),
        "since": since,
    }
    return templates.TemplateResponse(request, "for_you.html", context)


@api.get("/for-you", tags=["library"], summary="Recommended for me")
def api_for_you(
    services: ServicesDep,
    user: UserDep,
    window: WindowParam = ForYouWindow.MONTH,
    limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = PAGE_SIZE,
) -> ForYouResults:
    """New papers near what the caller saved and upvoted (neither included), each with the saved or upvoted paper
    it is nearest to. Empty until the caller saves or upvotes something (`based_on` is then 0).
    """
    found, since = _recommend(services, user, window, limit)
    return ForYouResults(
        window=window.value,
        since=since,
        based_on=found.liked,
        results=[for_you_item(recommendation) for recommendation in found.recommendations],
    )
