"""Listing filters as pages and the API take them: categories to include or exclude, a date range.

The result is the search engine's :class:`~papertide.search.query.Filters`, so one parsed filter
serves both a store listing and a search; :func:`to_paper_filter` adapts it for the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import RedirectResponse

from papertide.search.query import Filters
from papertide.store.papers.store import PaperFilter
from papertide.taxonomy import canonical

# Patterns are separated by commas or ASCII white space (spelled out: regex engines differ on \s).
_SEPARATOR = r"[ \t\n\r\f\v,]"
_SEPARATORS = re.compile(_SEPARATOR + "+")
# One pattern as typed: a category (cs.LG), an archive (hep-th) or an archive's wildcard (cs.*, cs*).
_PATTERN = r"[A-Za-z][A-Za-z-]*(?:\.[A-Za-z-]+|\.*\*+)?"
# What one form or query value may hold: exactly the values :func:`category_patterns` accepts, so the
# API schema can publish it.
CATEGORY_LIST_PATTERN = rf"^{_SEPARATOR}*(?:{_PATTERN}(?:{_SEPARATOR}+{_PATTERN})*{_SEPARATOR}*)?$"
FILTER_PARAMS = ("category", "exclude")  # the query parameters of the pages' category filter form


def without_blank_filters(request: Request) -> RedirectResponse | None:
    """The same page without the blank ``category=`` and ``exclude=`` that the filter form's empty text fields
    send, so the address the reader shares or bookmarks is clean; None when it has none."""
    params = request.query_params.multi_items()
    kept = [(name, value) for name, value in params if name not in FILTER_PARAMS or value.strip()]
    if len(kept) == len(params):
        return None
    return RedirectResponse(request.url.path + (f"?{urlencode(kept)}" if kept else ""), status_code=302)


def category_patterns(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated and/or comma-separated form values as canonical, deduplicated patterns."""
    patterns = (canonical(piece) for value in values for piece in _SEPARATORS.split(value) if piece)
    return tuple(dict.fromkeys(patterns))


def build_filters(
    categories: Iterable[str] = (),
    exclude: Iterable[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
) -> Filters:
    """Validated filters; raises :class:`~papertide.errors.QueryError` for a bad pattern or empty range."""
    return Filters(category_patterns(categories), category_patterns(exclude), date_from, date_to)


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
