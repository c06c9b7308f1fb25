"""The search page: one box for the query language, one for pasted text to find related papers, a few
options, highlighted results.

Both boxes are in one form, so the options apply to either. The related-papers box has its own
submit button, sent as ``find=related``: Enter in the query box searches the query even when
text was left in the other box.

The form is sent as a POST, because a pasted text percent-encoded can pass the URL limit (20,000
CJK characters are 180 KB). The POST answers with a redirect (303) to the result page's address,
so that reload, back and sharing work: a short text travels in that URL as ``q`` or ``related``;
a longer one is kept in the store (:mod:`papertide.store.search_texts`) and the URL carries its
id (``text_id``). The POST needs no CSRF token: it changes nothing anyone sees (the kept row is
named by a digest of the text and belongs to no one), so a forged one only shows its sender a
result page, as a link would. What it may keep is bounded: one text of at most MAX_QUERY_CHARS, a
body of at most MAX_SEARCH_BODY_BYTES, ``search_texts_per_client`` texts per client and hour, each
kept ``search_text_days`` after it was last sent.
"""

from __future__ import annotations

from datetime import timedelta
from math import ceil
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from papertide.accounts.rate_limits import Limit, client_key
from papertide.errors import NotFound, QueryError
from papertide.search.engine import MAX_OFFSET
from papertide.search.query import MAX_QUERY_CHARS, Filters, check_query_length
from papertide.store.search_texts import TEXT_ID_CHARS
from papertide.web.feeds.links import FeedLink, new_papers_link, search_link
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.filters import without_blank_filters
from papertide.web.kit.params import (
    MAX_SEARCH_BODY_BYTES,
    CategoryFiltersDep,
    ModeParam,
    QueryParam,
    RelatedParam,
    SortParam,
    search_body_too_large,
)
from papertide.web.kit.schemas import search_hit
from papertide.web.kit.templating import templates
from papertide.web.server.body_limit import bounded_body_route

PAGE_SIZE = 20
MAX_PAGE = MAX_OFFSET // PAGE_SIZE + 1
# A text whose percent-encoding is at most this long travels in the result page's URL; a longer one is kept.
INLINE_TEXT_BYTES = 2_000
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
    text_id: Annotated[str, Query(max_length=TEXT_ID_CHARS, include_in_schema=False)] = "",
    mode: ModeParam = "hybrid",
    sort: SortParam = "relevance",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    if clean := without_blank_filters(request):
        return clean
    if text_id:  # a long text the form sent, kept in the store: it fills the box its button named
        kept = await services.lookup(lambda: _kept_text(services, text_id))
        q, related = (q, kept) if find == "related" else (kept, related)
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
        "feed": _feed(q, mode, filters, by_related=by_related, kept=bool(text_id)),
    }
    return templates.TemplateResponse(request, "search.html", context)


async def search_form(request: Request, services: ServicesDep) -> Response:
    """The search form, sent: a redirect (303) to its result page's address (see the module's docstring)."""
    form = await request.form()
    q, related, find = (_field(form.get(name)) for name in ("q", "related", "find"))
    by_related = bool(related.strip()) and (find == "related" or not q.strip())
    name, text = ("related", related) if by_related else ("q", q)
    text = text.replace("\r\n", "\n")  # a textarea sends CRLF line breaks, but counts them as one character
    check_query_length(text)
    if len(quote(text)) <= INLINE_TEXT_BYTES:
        params = [(name, text)] if text.strip() else []
    else:
        params = [("text_id", await run_in_threadpool(_keep, request, services, text))]  # a write: off the loop
    if by_related:
        params.append(("find", "related"))
    params += [  # the options (mode, sort, categories) as they were sent
        (key, value)
        for key, value in form.multi_items()
        if key not in ("q", "related", "find") and isinstance(value, str) and value
    ]
    return RedirectResponse(f"/search?{urlencode(params)}" if params else "/search", status_code=303)


router.add_api_route(
    "/search",
    search_form,
    methods=["POST"],
    route_class_override=bounded_body_route(MAX_SEARCH_BODY_BYTES, search_body_too_large),
)


def _field(value: object) -> str:
    return value if isinstance(value, str) else ""


def _keep(request: Request, services: Services, text: str) -> str:
    """Keep ``text`` in the store (counted against the client's hourly allowance) and return its id."""
    settings = services.settings
    client = request.client.host if request.client else "unknown"
    services.rate_limiter.hit(
        Limit(
            f"search-text:client:{client_key(client)}",
            settings.search_texts_per_client,
            f"Your network has sent {settings.search_texts_per_client} long search texts in the past hour, the most "
            "we keep for one client",
        )
    )
    return services.search_texts.save(text, keep=timedelta(days=settings.search_text_days))


def _kept_text(services: Services, text_id: str) -> str:
    kept = services.search_texts.load(text_id)
    if kept is None:
        raise NotFound(
            f"this search's text is no longer kept (long texts are kept {services.settings.search_text_days} days "
            "after they were last searched for); paste it into the search form again"
        )
    return kept


def _feed(q: str, mode: str, filters: Filters, *, by_related: bool, kept: bool) -> FeedLink | None:
    """The feed of this search; with filters alone (no words), the newest papers passing them, which is what
    the page lists; none for a pasted text (no feed to follow) or one too long for a feed's URL."""
    if by_related or kept:
        return None
    return search_link(q, mode, filters) if q.strip() else new_papers_link(filters)
