"""The HTML pages: new papers by time window (``/new``), and one page per paper: its details, and the papers
trending in its category, similar to it and by its authors, each section shown only when it has papers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from papertide.discussion import Order
from papertide.errors import QueryError
from papertide.library.lookup import canonical_id, find_paper
from papertide.search.query import Filters
from papertide.store.papers.store import StoredPaper
from papertide.trending import Trending, TrendingItem
from papertide.trending import Window as TrendingWindow
from papertide.web.discussion.follows import follow_section
from papertide.web.discussion.pages import section as discussion_section
from papertide.web.feeds.links import new_papers_link
from papertide.web.kit.auth import page_user
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.filters import to_paper_filter, without_blank_filters
from papertide.web.kit.params import CategoryFiltersDep, CursorParam
from papertide.web.kit.schemas import paper_detail, paper_summary, search_hit, trending_paper
from papertide.web.kit.templating import STATIC_DIR, templates
from papertide.web.kit.windows import Window

PAGE_SIZE = 20
SIMILAR_COUNT = 5
SECTION_COUNT = 5  # papers in "Trending" and "From the same authors"

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


@router.get("/new")
def new_papers(
    request: Request,
    services: ServicesDep,
    filters: CategoryFiltersDep,
    window: Window = Window.WEEK,
    cursor: CursorParam = None,
) -> Response:
    if clean := without_blank_filters(request):
        return clean
    newest = services.newest_days.get(filters)
    start = window.start(newest) if newest else None
    listed_from = datetime.combine(start, time(), tzinfo=UTC) if start else None
    where = replace(to_paper_filter(filters), listed_from=listed_from)
    page = services.store.list_papers(where, cursor=cursor, limit=PAGE_SIZE)
    context = {
        "papers": [paper_summary(p) for p in page.papers],
        "next_cursor": page.next_cursor,
        "first_page": cursor is None,
        "window": window,
        "windows": list(Window),
        "newest": newest,
        "window_start": start,
        "filters": filters,
        "feed": new_papers_link(filters),
    }
    return templates.TemplateResponse(request, "new.html", context)


# async, like the API's paper lookups: a paper page is a few indexed reads and one narrow vector
# walk, run by Services.lookup (on the event loop over SQLite). Searches (~10 ms, mostly outside the
# GIL) and listings stay on threads.
@router.get("/paper/{paper_id:path}")
async def paper(request: Request, services: ServicesDep, paper_id: str, comments: Order = Order.BEST) -> Response:
    wanted = canonical_id(paper_id)
    if wanted != paper_id:  # versioned or pasted ids get one address, which caches and bookmarks well
        return RedirectResponse(f"/paper/{quote(wanted)}", status_code=301)

    def lookup() -> dict:
        user = page_user(request)  # the signed-in reader, read here rather than while the template renders
        stored = find_paper(services.store, wanted)
        similar = [search_hit(hit) for hit in services.engine.similar_to(stored, limit=SIMILAR_COUNT)]
        by_authors = [search_hit(hit) for hit in services.engine.by_same_authors(stored, limit=SECTION_COUNT)]
        trending = [trending_paper(item) for item in _trending_beside(services.trending, stored)]
        discussion = discussion_section(request, services, user, stored, comments)
        return {
            "paper": paper_detail(stored),
            "similar": similar,
            "by_authors": by_authors,
            "trending": trending,
            "discussion": discussion,
            "follow": follow_section(services, user, stored),
        }

    return templates.TemplateResponse(request, "paper.html", await services.lookup(lookup))


def _trending_beside(trending: Trending, stored: StoredPaper) -> list[TrendingItem]:
    """What trends this week in the paper's primary category, the paper itself aside: a read of the ranking
    in memory and one hydrating query."""
    category = stored.paper.primary_category
    try:
        filters = Filters(categories_include=(category,)) if category else None
    except QueryError:  # a category no filter can name (a source's odd spelling): no section
        filters = None
    if filters is None:
        return []
    items = trending.trending(TrendingWindow.WEEK, filters, limit=SECTION_COUNT + 1)
    return [item for item in items if item.paper.pk != stored.pk][:SECTION_COUNT]


@router.get("/favicon.ico")
async def favicon() -> Response:
    """The site's icon where browsers look for it by default: on documents without an icon link (a feed)."""
    return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
