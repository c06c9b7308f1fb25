""" "For you": new papers near what the reader saved and upvoted, as a page and in the API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from papertide.library.for_you import ForYouPage
from papertide.store.accounts.store import User
from papertide.web.kit.auth import UserDep
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.templating import templates
from papertide.web.library.schemas import ForYouResults, for_you_item

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", responses=problem_responses(401, 422, 503))

PAGE_SIZE = 20


class ForYouWindow(StrEnum):
    """How new a recommended paper must be, counted back from the newest submission in the library."""

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


DEFAULT_WINDOW = ForYouWindow.MONTH
WindowParam = Annotated[
    ForYouWindow | None,
    Query(
        description="How new the papers must be: `week`, `month`, `year`, `all`. Left out: the past month, or, "
        "when nothing there is near the caller's papers, the next wider window that has some (`fallback_from` says so)."
    ),
]


@dataclass(frozen=True, slots=True)
class _Answer:
    found: ForYouPage
    window: ForYouWindow  # the window the recommendations are from
    since: date | None
    fallback_from: ForYouWindow | None  # the default window, when it held nothing and a wider one was used


def _recommend(services: Services, user: User, asked: ForYouWindow | None, limit: int) -> _Answer:
    """Recommendations in the asked window; with none asked, the default one, else the next wider one with picks."""
    submitted = services.store.newest_submitted()
    newest = submitted.date() if submitted else None
    tried = [asked] if asked else list(ForYouWindow)[list(ForYouWindow).index(DEFAULT_WINDOW) :]
    for window in tried:
        since = window.since(newest)
        found = services.library.for_you.recommend(user, since, limit)
        if found.recommendations:
            return _Answer(found, window, since, None if window is tried[0] else tried[0])
        if not found.liked:
            break
    return _Answer(found, tried[0], tried[0].since(newest), None)


@pages.get("/for-you", response_class=HTMLResponse)
def for_you(request: Request, services: ServicesDep, user: UserDep, window: WindowParam = None) -> Response:
    answer = _recommend(services, user, window, PAGE_SIZE)
    context = {
        "items": [for_you_item(recommendation) for recommendation in answer.found.recommendations],
        "liked": answer.found.liked,
        "window": answer.window,
        "windows": list(ForYouWindow),
        "since": answer.since,
        "fallback_from": answer.fallback_from,
    }
    return templates.TemplateResponse(request, "for_you.html", context)


@api.get("/for-you", tags=["library"], summary="Recommended for me")
def api_for_you(
    services: ServicesDep,
    user: UserDep,
    window: WindowParam = None,
    limit: Annotated[int, Query(ge=1, le=100, description="How many papers.")] = PAGE_SIZE,
) -> ForYouResults:
    """New papers near what the caller saved and upvoted (neither included), each with the saved or upvoted paper
    it is nearest to. Empty until the caller saves or upvotes something (`based_on` is then 0).
    """
    answer = _recommend(services, user, window, limit)
    return ForYouResults(
        window=answer.window.value,
        since=answer.since,
        fallback_from=answer.fallback_from.value if answer.fallback_from else None,
        based_on=answer.found.liked,
        results=[for_you_item(recommendation) for recommendation in answer.found.recommendations],
    )
