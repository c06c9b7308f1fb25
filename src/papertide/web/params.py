"""Query parameters that the API and the pages share, declared once with their documentation."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from papertide.errors import QueryError
from papertide.search.engine import Mode, Sort
from papertide.search.query import Filters
from papertide.web.filters import build_filters

MAX_PATTERNS = 32
MAX_CURSOR_CHARS = 64

CategoriesParam = Annotated[
    list[str] | None,
    Query(
        max_length=MAX_PATTERNS,
        description="Only papers in one of these categories: ids (`cs.LG`) or whole archives (`cs.*`). "
        "Repeat the parameter or separate with commas.",
    ),
]
ExcludeParam = Annotated[
    list[str] | None,
    Query(max_length=MAX_PATTERNS, description="Leave out papers in any of these categories (same forms)."),
]
CursorParam = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="`next_cursor` of the previous page; omit for the first page."),
]


# Both async: FastAPI runs a plain function dependency in the thread pool, a thread hop per request
# for microseconds of parsing.
async def category_filters(category: CategoriesParam = None, exclude: ExcludeParam = None) -> Filters:
    return build_filters(category or (), exclude or ())


async def listing_filters(
    category: CategoriesParam = None,
    exclude: ExcludeParam = None,
    submitted_from: Annotated[date | None, Query(description="First submission day, inclusive (YYYY-MM-DD).")] = None,
    submitted_to: Annotated[date | None, Query(description="Last submission day, inclusive (YYYY-MM-DD).")] = None,
) -> Filters:
    return build_filters(category or (), exclude or (), submitted_from, submitted_to)


CategoryFiltersDep = Annotated[Filters, Depends(category_filters)]
ListingFiltersDep = Annotated[Filters, Depends(listing_filters)]


QueryParam = Annotated[
    str,
    Query(
        description='What to search for: words, `"phrases"`, `-excluded`, `author:name`, `title:word`, '
        "`cat:cs.LG,cs.*`, `-cat:x`, `year:2020..2024`, `date:2024-01..2024-06`, or a pasted arXiv id or URL. "
        "Empty: the newest papers passing the filters.",
    ),
]
ModeParam = Annotated[
    Mode,
    Query(description="`lexical` matches words, `semantic` meaning, `hybrid` fuses both."),
]
SortParam = Annotated[Sort, Query(description="`relevance` or `newest` first.")]
RelatedParam = Annotated[
    str,
    Query(
        description="Text to find related papers for, such as a pasted abstract (up to 20,000 characters): "
        "read as prose, every word counting, with no query syntax. Give it instead of `q`.",
    ),
]


def related_or_query(q: str, related: str) -> str:
    """The text to search: ``related`` (pasted text, read as prose) or ``q`` (the query language), not both."""
    if q.strip() and related.strip():
        raise QueryError("give either q (a query) or related (text to find related papers for), not both")
    return related if related.strip() else q
