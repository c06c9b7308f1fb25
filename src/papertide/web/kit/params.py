"""Query parameters that the API and the pages share, declared once with their documentation; the search's
parameters as one model, for the query string and the JSON body alike."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel, Field, WithJsonSchema

from papertide.category_filter import CATEGORY_LIST_PATTERN
from papertide.errors import QueryError
from papertide.search.engine import MAX_OFFSET, Mode, Sort
from papertide.search.query import MAX_QUERY_CHARS, Filters, build_filters
from papertide.store.db.cursors import CURSOR_PATTERN
from papertide.web.kit.border import IsoDay, whole_number

MAX_PATTERNS = 32

# Documented, not enforced here: build_filters checks each value and names the bad pattern (a 400).
_CategoryList = Annotated[str, WithJsonSchema({"type": "string", "pattern": CATEGORY_LIST_PATTERN})]

# Typed without "| None" (the default is None all the same), so the schema is a plain array.
CategoriesParam = Annotated[
    list[_CategoryList],
    Query(
        max_length=MAX_PATTERNS,
        description="Only papers in one of these categories: ids (`cs.LG`) or whole archives (`cs.*`). "
        "Repeat the parameter or separate with commas.",
    ),
]
ExcludeParam = Annotated[
    list[_CategoryList],
    Query(max_length=MAX_PATTERNS, description="Leave out papers in any of these categories (same forms)."),
]
CursorParam = Annotated[
    str | None,
    Query(pattern=CURSOR_PATTERN, description="`next_cursor` of the previous page; omit for the first page."),
]


# Both async: FastAPI runs a plain function dependency in the thread pool, a thread hop per request
# for microseconds of parsing.
async def category_filters(category: CategoriesParam = None, exclude: ExcludeParam = None) -> Filters:
    return build_filters(category or (), exclude or ())


SubmittedFromParam = Annotated[IsoDay | None, Query(description="First submission day, inclusive (YYYY-MM-DD).")]
SubmittedToParam = Annotated[IsoDay | None, Query(description="Last submission day, inclusive (YYYY-MM-DD).")]


async def listing_filters(
    category: CategoriesParam = None,
    exclude: ExcludeParam = None,
    submitted_from: SubmittedFromParam = None,
    submitted_to: SubmittedToParam = None,
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


class SearchRequest(BaseModel):
    """A search: the query string of `GET /api/v1/search` or the JSON body of `POST /api/v1/search`.

    One model for both, so the two answer alike; POST is for texts whose percent-encoding would
    pass the URL limit (a pasted abstract in a non-Latin script).
    """

    q: QueryParam = ""
    related: RelatedParam = ""
    mode: ModeParam = "hybrid"
    sort: SortParam = "relevance"
    category: CategoriesParam = None
    exclude: ExcludeParam = None
    submitted_from: SubmittedFromParam = None
    submitted_to: SubmittedToParam = None
    limit: int = Field(default=20, ge=1, le=100, description="Results per page.")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Results to skip.")

    def filters(self) -> Filters:
        return build_filters(self.category or (), self.exclude or (), self.submitted_from, self.submitted_to)

    @property
    def text(self) -> str:
        """The text to search: ``related`` (pasted text, read as prose) or ``q`` (the query language), not both."""
        return related_or_query(self.q, self.related)

    @property
    def pasted(self) -> bool:
        return bool(self.related.strip())


_BodyLimit = whole_number(1, 100)
_BodyOffset = whole_number(0, MAX_OFFSET)


class SearchBody(SearchRequest):
    """The search as a JSON body, whose numbers must be JSON numbers (the query string's are text)."""

    limit: _BodyLimit = Field(default=20, description="Results per page.")
    offset: _BodyOffset = Field(default=0, description="Results to skip.")


# A search's body holds one text of up to MAX_QUERY_CHARS characters, each at most 12 bytes however it
# is sent (a JSON-escaped surrogate pair, or a percent-encoded 4-byte UTF-8 character), and a few options.
MAX_SEARCH_BODY_BYTES = 256 * 1024  # 240,000 bytes for such a text


def search_body_too_large(size: int) -> str:
    return (
        f"the request body has {size:,} bytes or more; a search takes at most {MAX_SEARCH_BODY_BYTES:,} "
        f"(a text of up to {MAX_QUERY_CHARS:,} characters and its options)"
    )
