"""The web's side of the listing filters: the filter form's query parameters, and the store's form of a filter.

Reading the patterns is :mod:`papertide.category_filter`'s (shared with the CLI); the result is the search
engine's :class:`~papertide.search.query.Filters`, so one parsed filter serves both a store listing and a
search; :func:`to_paper_filter` adapts it for the store.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from papertide.search.query import Filters
from papertide.store.papers.store import PaperFilter

FILTER_PARAMS = ("category", "exclude")  # the query parameters of the pages' category filter form


def without_blank_filters(request: Request) -> RedirectResponse | None:
    """The same page without the blank ``category=`` and ``exclude=`` that the filter form's empty text fields
    send, so the address the reader shares or bookmarks is clean; None when it has none."""
    params = request.query_params.multi_items()
    kept = [(name, value) for name, value in params if name not in FILTER_PARAMS or value.strip()]
    if len(kept) == len(params):
        return None
    return RedirectResponse(request.url.path + (f"?{urlencode(kept)}" if kept else ""), status_code=302)


def to_paper_filter(filters: Filters) -> PaperFilter:
    """The store's form: datetimes in UTC, the upper bound exclusive."""
    last_day = filters.date_to
    return PaperFilter(
        categories=filters.categories_include,
        exclude_categories=filters.categories_exclude,
        submitted_from=_midnight(filters.date_from) if filters.date_from else None,
        submitted_to=_midnight(last_day + timedelta(days=1)) if last_day and last_day < date.max else None,
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
