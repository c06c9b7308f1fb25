"""The JSON API, ``/api/v1``: what the pages show, for the CLI and other tools.

Responses use the models in :mod:`papertide.web.kit.schemas`; errors are problem+json (see
:mod:`papertide.web.kit.problems`). Paper lookups are ``async`` handlers for the reason given in
:mod:`papertide.web.papers.pages`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from papertide.library.lookup import canonical_id, find_paper
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.filters import to_paper_filter
from papertide.web.kit.params import (
    MAX_SEARCH_BODY_BYTES,
    CursorParam,
    ListingFiltersDep,
    SearchBody,
    SearchRequest,
    search_body_too_large,
)
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.schemas import (
    PaperDetail,
    PaperList,
    SearchResults,
    SimilarPapers,
    Stats,
    paper_detail,
    paper_summary,
    search_hit,
    search_results,
)
from papertide.web.server.body_limit import bounded_body_route

router = APIRouter(prefix="/api/v1", responses=problem_responses(400, 422, 503))


@router.get("/papers", tags=["papers"], summary="List papers, newest first")
def list_papers(
    services: ServicesDep,
    filters: ListingFiltersDep,
    cursor: CursorParam = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Papers per page.")] = 20,
) -> PaperList:
    page = services.store.list_papers(to_paper_filter(filters), cursor=cursor, limit=limit)
    return PaperList(papers=[paper_summary(p) for p in page.papers], next_cursor=page.next_cursor)


# Declared before /papers/{paper_id:path}, whose path pattern would otherwise swallow "/similar".
@router.get(
    "/papers/{paper_id:path}/similar",
    tags=["search"],
    summary="Papers similar in meaning",
    responses=problem_responses(404),
)
async def similar_papers(
    services: ServicesDep,
    paper_id: str,
    limit: Annotated[int, Query(ge=1, le=50, description="How many papers.")] = 10,
) -> SimilarPapers:
    def lookup() -> SimilarPapers:
        stored = find_paper(services.store, canonical_id(paper_id))
        hits = services.engine.similar_to(stored, limit=limit)
        return SimilarPapers(paper_id=stored.paper_id, results=[search_hit(hit) for hit in hits])

    return await services.lookup(lookup)


@router.get("/papers/{paper_id:path}", tags=["papers"], summary="One paper", responses=problem_responses(404))
async def get_paper(services: ServicesDep, paper_id: str) -> PaperDetail:
    """`paper_id` may carry a version or an `arXiv:` prefix; the answer is the latest version stored."""
    return await services.lookup(lambda: paper_detail(find_paper(services.store, canonical_id(paper_id))))


@router.get("/search", tags=["search"], summary="Search papers")
async def search(services: ServicesDep, params: Annotated[SearchRequest, Query()]) -> SearchResults:
    """The filters narrow what the query's own `cat:` and `year:` terms select; both must hold.

    A phrase or exclusion that leaves nothing is relaxed (phrases searched as words, then
    exclusions dropped), and `warnings` says so. A text whose URL would pass the URL limit
    (65,535 bytes, percent-encoded) goes to `POST /api/v1/search` instead."""
    return await _search(services, params)


async def search_by_body(services: ServicesDep, params: SearchBody) -> SearchResults:
    """The same search as `GET /api/v1/search`, its parameters in a JSON body: for long texts, such as a
    pasted abstract in any script (a URL could not hold 20,000 CJK characters percent-encoded).

    A body over 256 KiB (262,144 bytes) is refused (413) before it is read."""
    return await _search(services, params)


router.add_api_route(
    "/search",
    search_by_body,
    methods=["POST"],
    tags=["search"],
    summary="Search papers (parameters in the body)",
    responses=problem_responses(413),
    route_class_override=bounded_body_route(MAX_SEARCH_BODY_BYTES, search_body_too_large),
)


async def _search(services: Services, params: SearchRequest) -> SearchResults:
    text, filters = params.text, params.filters()
    response = await services.search(
        text,
        mode=params.mode,
        filters=filters,
        sort=params.sort,
        limit=params.limit,
        offset=params.offset,
        operators=not params.pasted,
    )
    return search_results(text, params.sort, params.limit, params.offset, response, related=params.pasted)


@router.get("/stats", tags=["library"], summary="What the library holds")
def stats(services: ServicesDep) -> Stats:
    return Stats(**services.store.stats())
