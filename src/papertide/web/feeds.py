"""RSS 2.0 and Atom feeds of what the pages list, so any listing can be followed from a feed reader.

Every feed comes in both formats, chosen by the extension, and takes the same parameters as the
page it mirrors (see the README's "Feeds"):

- ``/feeds/new.atom`` / ``.rss``: the newest papers; ``category`` and ``exclude`` as on ``/new``.
- ``/feeds/search.atom?q=...``: a search, in the search page's query language and ``mode``.
- ``/feeds/c/<public_id>.atom``: a public collection, latest saves first, each paper dated when it
  was saved and with the collector's note (public collections show their notes to anyone). A
  private or unknown collection is 404 to everyone, its owner included: a feed URL is fetched
  without a session and cached as public, so it must never hold anything private.

Feeds are newest first, searches included: a reader shows items by date and wants to be told of
new ones, and in relevance order a newly submitted match would sink below older, better matches
that the reader has already seen. In ``lexical`` mode that is every match, by date; ``semantic``
and ``hybrid`` order their most relevant candidates by date, as the search page's "Newest" does.

Each answer carries an ETag and Last-Modified computed from the listed papers before any XML is
built (:mod:`papertide.web.feed_xml`), and a conditional GET that matches gets 304 with no body.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from papertide.config import Settings
from papertide.errors import NotFound
from papertide.search.query import Filters
from papertide.store.collections import Collection
from papertide.store.papers import StoredPaper
from papertide.web.conditional import conditional_response
from papertide.web.feed_xml import Feed, FeedEntry, FeedFormat, render
from papertide.web.filters import to_paper_filter
from papertide.web.params import CategoryFiltersDep, ModeParam, QueryParam
from papertide.web.services import ServicesDep
from papertide.web.taxonomy import describe

DEFAULT_MODE = "hybrid"

router = APIRouter(prefix="/feeds", include_in_schema=False)

Params = list[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed as a page links it: ``<link rel="alternate">`` in its head and a visible link."""

    title: str
    path: str  # without the format's extension, e.g. "/feeds/new"
    params: tuple[tuple[str, str], ...] = ()

    @property
    def atom(self) -> str:
        return _url("", f"{self.path}.{FeedFormat.ATOM}", list(self.params))

    @property
    def rss(self) -> str:
        return _url("", f"{self.path}.{FeedFormat.RSS}", list(self.params))


def collection_link(collection: Collection) -> FeedLink | None:
    """A public collection's feed; a private one has none."""
    if not collection.is_public:
        return None
    return FeedLink(f"{collection.name} · papertide", f"/feeds/c/{collection.public_id}")


def new_papers_link(filters: Filters) -> FeedLink:
    return FeedLink(_new_title(filters), "/feeds/new", tuple(_filter_params(filters)))


def search_link(q: str, mode: str, filters: Filters) -> FeedLink:
    return FeedLink(_search_title(q, filters), "/feeds/search", tuple(_search_params(q, mode, filters)))


@router.get("/new.{fmt}")
def new_papers(request: Request, services: ServicesDep, filters: CategoryFiltersDep, fmt: str) -> Response:
    feed_format, settings = _format(fmt), services.settings
    page = services.store.list_papers(to_paper_filter(filters), limit=settings.feed_items)
    base, params = _base(settings), _filter_params(filters)
    feed = Feed(
        title=_new_title(filters),
        description=f"The newest papers{_scope(filters)} in papertide, latest submission first.",
        page_url=_url(base, "/new", params),
        self_url=_url(base, f"/feeds/new.{feed_format}", params),
        entries=_listed(base, page.papers),
    )
    return _answer(request, settings, feed, feed_format)


@router.get("/search.{fmt}")
def search(
    request: Request,
    services: ServicesDep,
    filters: CategoryFiltersDep,
    fmt: str,
    q: QueryParam = "",
    mode: ModeParam = DEFAULT_MODE,
) -> Response:
    feed_format, settings = _format(fmt), services.settings
    response = services.engine.search(q, mode=mode, filters=filters, sort="newest", limit=settings.feed_items)
    base, params = _base(settings), _search_params(q, mode, filters)
    feed = Feed(
        title=_search_title(q, filters),
        description=f"Papers in papertide matching “{q}”{_scope(filters)}, newest first.",
        page_url=_url(base, "/search", [*params, ("sort", "newest")]),
        self_url=_url(base, f"/feeds/search.{feed_format}", params),
        entries=_listed(base, [result.paper for result in response.results]),
    )
    return _answer(request, settings, feed, feed_format)


@router.get("/c/{public_id}.{fmt}")
def collection(request: Request, services: ServicesDep, public_id: str, fmt: str) -> Response:
    feed_format, settings = _format(fmt), services.settings
    page = services.library.collections.public_papers(public_id, limit=settings.feed_items)
    base, name = _base(settings), page.collection.name
    feed = Feed(
        title=f"{name} · papertide",
        description=f"Papers saved to “{name}”, a public collection on papertide, latest saves first.",
        page_url=f"{base}/c/{public_id}",
        self_url=f"{base}/feeds/c/{public_id}.{feed_format}",
        entries=tuple(
            FeedEntry(saved.paper, paper_url(base, saved.paper.paper_id), saved.added_at, _note(saved.note))
            for saved in page.papers
        ),
        changed_at=page.collection.updated_at,  # renamed, or a paper removed or its note changed
    )
    return _answer(request, settings, feed, feed_format)


def _answer(request: Request, settings: Settings, feed: Feed, feed_format: FeedFormat) -> Response:
    return conditional_response(
        request,
        etag=feed.etag(),
        last_modified=feed.last_modified(),
        max_age_s=settings.feed_max_age_s,
        media_type=f"{feed_format.media_type}; charset=utf-8",
        render=lambda: render(feed, feed_format),
    )


def _format(extension: str) -> FeedFormat:
    try:
        return FeedFormat(extension)
    except ValueError:
        raise NotFound(f"no feed format {extension!r}: use .atom or .rss") from None


def _listed(base: str, papers: list[StoredPaper]) -> tuple[FeedEntry, ...]:
    """Entries of a listing, each dated when it was listed: its submission, else when it was first stored."""
    return tuple(FeedEntry(paper, paper_url(base, paper.paper_id), paper.listed_at) for paper in papers)


def _note(note: str) -> str:
    return f"Note: {note}" if note else ""


def paper_url(base: str, paper_id: str) -> str:
    """The absolute URL of a paper's page, as the pages link it."""
    return f"{base}/paper/{quote(paper_id)}"


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


def _url(base: str, path: str, params: Params) -> str:
    return f"{base}{path}{'?' + urlencode(params) if params else ''}"


def _filter_params(filters: Filters) -> Params:
    params = []
    if filters.categories_include:
        params.append(("category", ",".join(filters.categories_include)))
    if filters.categories_exclude:
        params.append(("exclude", ",".join(filters.categories_exclude)))
    return params


def _search_params(q: str, mode: str, filters: Filters) -> Params:
    mode_param = [("mode", mode)] if mode != DEFAULT_MODE else []
    return [("q", q), *mode_param, *_filter_params(filters)]


def _new_title(filters: Filters) -> str:
    return f"New papers{_scope(filters)} · papertide"


def _search_title(q: str, filters: Filters) -> str:
    return f"Search “{q}”{_scope(filters)} · papertide"


def _scope(filters: Filters) -> str:
    """`` in Machine Learning (cs.LG), excluding ...``: what the category filters select, in words."""
    scope = ""
    if filters.categories_include:
        scope += f" in {_names(filters.categories_include)}"
    if filters.categories_exclude:
        scope += f"{',' if scope else ''} excluding {_names(filters.categories_exclude)}"
    return scope


def _names(patterns: tuple[str, ...]) -> str:
    return ", ".join(
        pattern if describe(pattern) == pattern else f"{describe(pattern)} ({pattern})" for pattern in patterns
    )
