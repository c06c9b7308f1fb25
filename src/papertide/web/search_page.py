"""The search page: one box for the query language, one for pasted text to find related papers, a few
options, highlighted results.

Both boxes are in one form, so the options apply to either. The related-papers box has its own
submit button, sent as ``find=related``: Enter in the query box searches the query even when
text was left in the other box.
"""

from __future__ import annotations

from math import ceil
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.errors import QueryError
from papertide.search.engine import MAX_OFFSET
from papertide.search.query import MAX_QUERY_CHARS
from papertide.web.feed_links import search_link
from papertide.web.params import CategoryFiltersDep, ModeParam, QueryParam, RelatedParam, SortParam
from papertide.web.schemas import search_hit
from papertide.web.services import ServicesDep
from papertide.web.templating import templates

PAGE_SIZE = 20
MAX_PAGE = MAX_OFFSET // PAGE_SIZE + 1
MODES = {"hybrid": "Hybrid", "lexical": "Keywords", "semantic": "Meaning"}
SORTS = {"relevance": "Relevance", "newest": "Newest"}

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/search")
async def search(
    request: Request,
    services: ServicesDep,
    filters: CategoryFiltersDep,
    q: QueryParam = "",
    related: RelatedParam = "",
    find: Annotated[str, Query(include_in_schema=False)] = "",
    mode: ModeParam = "hybrid",
    sort: SortParam = "relevance",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    by_related = bool(related.strip()) and (find == "related" or not q.strip())
    context = {
        "q": q, "related": related, "by_related": by_related, "mode": mode, "sort": sort, "filters": filters,
        "page": page, "modes": MODES, "sorts": SORTS, "max_chars": MAX_QUERY_CHARS,
    }  # fmt: skip
    if not (q.strip() or by_related) and filters.is_empty:  # nothing asked yet: the page explains the syntax
        return templates.TemplateResponse(request, "search.html", context)
    try:
        response = await services.search(
            related if by_related else q,
            mode=mode,
            filters=filters,
            sort=sort,
            limit=PAGE_SIZE,
            offset=(page - 1) * PAGE_SIZE,
            operators=not by_related,
        )
    except QueryError as exc:
        return templates.TemplateResponse(request, "search.html", context | {"error": exc.message}, status_code=400)
    if response.paper_id and response.results and not response.query.positive_terms:
        return RedirectResponse(f"/paper/{quote(response.paper_id)}", status_code=303)  # a pasted id or URL
    context |= {
        "response": response,
        "hits": [search_hit(result) for result in response.results],
        "pages": min(ceil(response.total / PAGE_SIZE), MAX_PAGE),
        "feed": None if by_related else search_link(q, mode, filters),  # a pasted text is no feed to follow
    }
    return templates.TemplateResponse(request, "search.html", context)
