""" "For you": new papers near what the reader saved and upvoted; the windows the page (library/pages.py)
and the API (library/api.py) share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from fastapi import Query

from papertide.library.for_you import ForYouPage
from papertide.store.accounts.store import User
from papertide.web.kit.dependencies import Services

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
class Answer:
    found: ForYouPage
    window: ForYouWindow  # the window the recommendations are from
    since: date | None
    fallback_from: ForYouWindow | None  # the default window, when it held nothing and a wider one was used


def recommend(services: Services, user: User, asked: ForYouWindow | None, limit: int) -> Answer:
    """Recommendations in the asked window; with none asked, the default one, else the next wider one with picks."""
    submitted = services.store.newest_submitted()
    newest = submitted.date() if submitted else None
    tried = [asked] if asked else list(ForYouWindow)[list(ForYouWindow).index(DEFAULT_WINDOW) :]
    for window in tried:
        since = window.since(newest)
        found = services.library.for_you.recommend(user, since, limit)
        if found.recommendations:
            return Answer(found, window, since, None if window is tried[0] else tried[0])
        if not found.liked:
            break
    return Answer(found, tried[0], tried[0].since(newest), None)
