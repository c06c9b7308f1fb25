"""Listing filters as pages and the API take them: categories to include or exclude, a date range.

The result is the search engine's :class:`~papertide.search.query.Filters`, so one parsed filter
serves both a store listing and a search; :func:`to_paper_filter` adapts it for the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from papertide.search.query import Filters
from papertide.store.papers import PaperFilter
from papertide.web.taxonomy import canonical

# Patterns are separated by commas or ASCII white space (spelled out: regex engines differ on \s).
_SEPARATOR = r"[ \t\n\r\f\v,]"
_SEPARATORS = re.compile(_SEPARATOR + "+")
# One pattern as typed: a category (cs.LG), an archive (hep-th) or an archive's wildcard (cs.*, cs*).
_PATTERN = r"[A-Za-z][A-Za-z-]*(?:\.[A-Za-z-]+|\.*\*+)?"
# What one form or query value may hold: exactly the values :func:`category_patterns` accepts, so the
# API schema can publish it.
CATEGORY_LIST_PATTERN = rf"^{_SEPARATOR}*(?:{_PATTERN}(?:{_SEPARATOR}+{_PATTERN})*{_SEPARATOR}*)?$"


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
