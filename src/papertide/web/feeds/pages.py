"""RSS 2.0 and Atom feeds of what the pages list, so any listing can be followed from a feed reader.

Every feed comes in both formats, chosen by the extension, and takes the same parameters as the
page it mirrors (see the README's "Feeds"; names and addresses are in :mod:`.feed_links`):

- ``/feeds/new.atom`` / ``.rss``: the newest papers; ``category`` and ``exclude`` as on ``/new``.
- ``/feeds/search.atom?q=...``: a search, in the search page's query language and ``mode``.
- ``/feeds/author/<name>.atom``: the papers of an author page, newest first.
- ``/feeds/trending.atom?window=week``: trending papers, best first, as on the home page, each
  saying why it trends.
- ``/feeds/c/<public_id>.atom``: a public collection, latest saves first, each paper dated when it
  was saved and with the collector's note (public collections show their notes to anyone). A
  private or unknown collection is 404 to everyone, its owner included: a feed URL is fetched
  without a session and cached as public, so it must never hold anything private.

Feeds are newest first, searches included: a reader shows items by date and wants to be told of
new ones, and in relevance order a newly submitted match would sink below older, better matches
that the reader has already seen. In ``lexical`` mode that is every match, by date; ``semantic``
and ``hybrid`` order their most relevant candidates by date, as the search page's "Newest" does.

Each answer carries an ETag and Last-Modified computed from the listed papers before any XML is
built (:mod:`papertide.web.feeds.documents`), and a conditional GET that matches gets 304 with no body.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from papertide.author_names import checked_name, name_key
from papertide.authors.profile import Authors
from papertide.errors import NotFound, QueryError
from papertide.store.papers.store import StoredPaper
from papertide.trending import Window
from papertide.web.feeds.documents import Feed, FeedEntry, FeedFormat, render
from papertide.web.feeds.links import (
    DEFAULT_MODE,
    FeedLink,
    author_link,
    collection_link,
    new_papers_link,
    search_link,
    trending_link,
)
from papertide.web.kit.conditional import conditional_response
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.filters import to_paper_filter
from papertide.web.kit.params import CategoryFiltersDep, ModeParam, QueryParam
from papertide.web.trending.listing import WindowParam, trending_items

router = APIRouter(prefix="/feeds", include_in_schema=False)


@router.get("/new.{fmt}")
def new_papers(request: Request, services: ServicesDep, filters: CategoryFiltersDep, fmt: str) -> Response:
    feed_format, settings = format_of(fmt), services.settings
    page = services.store.list_papers(to_paper_filter(filters), limit=settings.feed_items)
    listed = [(paper, paper.listed_at, "") for paper in page.papers]
    return _answer(request, services, new_papers_link(filters), feed_format, listed)


@router.get("/search.{fmt}")
def search(
    request: Request,
    services: ServicesDep,
    filters: CategoryFiltersDep,
    fmt: str,
    q: QueryParam = "",
    mode: ModeParam = DEFAULT_MODE,
) -> Response:
    feed_format, settings = format_of(fmt), services.settings
    if not q.strip():  # a feed titled 'Search “”' would follow nothing; the newest papers have their own feed
        raise QueryError(f"q: a search feed needs a query; for the newest papers follow /feeds/new.{fmt}")
    response = services.engine.search(q, mode=mode, filters=filters, sort="newest", limit=settings.feed_items)
    listed = [(hit.paper, hit.paper.listed_at, "") for hit in response.results]
    return _answer(request, services, search_link(q, mode, filters), feed_format, listed)


@router.get("/author/{name:path}.{fmt}")
def author(request: Request, services: ServicesDep, name: str, fmt: str) -> Response:
    """The papers an author page lists, newest first; 404 for a name without papers."""
    feed_format, settings = format_of(fmt), services.settings
    found = Authors(services.engine).newest(name, settings.feed_items)
    listed = [(paper, paper.listed_at, "") for paper in found]
    key = name_key(checked_name(name))
    written = next((a for p in found for a in p.authors if name_key(a) == key), name)
    return _answer(request, services, author_link(key, written), feed_format, listed)


@router.get("/trending.{fmt}")
def trending(
    request: Request, services: ServicesDep, filters: CategoryFiltersDep, fmt: str, window: WindowParam = Window.WEEK
) -> Response:
    feed_format, settings = format_of(fmt), services.settings
    items = trending_items(services, window, filters, settings.feed_items)
    # Dated by submission (when a paper began to trend is not kept); each says why it trends.
    listed = [(item.paper, item.paper.listed_at, item.reason) for item in items]
    # Last-Modified: the latest refresh of the attention behind the order (the ETag also follows the order).
    link = trending_link(window, filters)
    return _answer(request, services, link, feed_format, listed, changed_at=services.trending.as_of)


@router.get("/c/{public_id}.{fmt}")
def collection(request: Request, services: ServicesDep, public_id: str, fmt: str) -> Response:
    feed_format, settings = format_of(fmt), services.settings
    page = services.library.collections.public_papers(public_id, limit=settings.feed_items)
    link = collection_link(page.collection)
    assert link is not None  # public_papers finds public collections only
    listed = [(saved.paper, saved.added_at, f"Note: {saved.note}" if saved.note else "") for saved in page.papers]
    # changed_at: a rename, a removal or a note changes the feed without changing any paper
    return _answer(request, services, link, feed_format, listed, changed_at=page.collection.updated_at)


def _answer(
    request: Request,
    services: Services,
    link: FeedLink,
    fmt: FeedFormat,
    listed: list[tuple[StoredPaper, datetime, str]],
    *,
    changed_at: datetime | None = None,
) -> Response:
    """The feed of ``listed`` (paper, when it entered the list, note), or 304 if the client has it already."""
    settings, base = services.settings, services.site.current()
    feed = Feed(
        title=link.title,
        description=link.description,
        page_url=base + link.page_url,
        self_url=base + link.url(fmt),
        entries=tuple(
            FeedEntry(paper, f"{base}/paper/{quote(paper.paper_id)}", at, note) for paper, at, note in listed
        ),
        changed_at=changed_at,
    )
    return conditional_response(
        request,
        etag=feed.etag(),
        last_modified=feed.last_modified(),
        max_age_s=settings.feed_max_age_s,
        media_type=f"{fmt.media_type}; charset=utf-8",
        render=lambda: render(feed, fmt),
    )


def format_of(extension: str) -> FeedFormat:
    """The format an extension names; 404 naming the two there are for any other."""
    try:
        return FeedFormat(extension)
    except ValueError:
        raise NotFound(f"no feed format {extension!r}: use .atom or .rss") from None
