"""What each feed is called and where it lives: the pages link these, and :mod:`papertide.web.feeds.pages` serves them.

A feed's address is canonical: built from the parsed parameters (patterns joined by commas,
defaults left out), so the same selection always has one URL, one ETag and one entry in a reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from papertide.author_names import author_path
from papertide.search.query import Filters
from papertide.store.library.collections import Collection
from papertide.store.papers.store import StoredPaper
from papertide.taxonomy import describe
from papertide.text import quoted
from papertide.trending import Window
from papertide.web.feeds.documents import FeedFormat

DEFAULT_MODE = "hybrid"  # the search page's

Params = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed: its title and description, its address in each format, and the page showing the same list."""

    title: str
    description: str
    path: str  # without the format's extension, e.g. "/feeds/new"
    page: str  # the page's path, e.g. "/new"
    params: Params = ()
    page_params: Params = ()  # the page's parameters beyond the feed's

    def url(self, fmt: FeedFormat) -> str:
        return with_query(f"{self.path}.{fmt}", self.params)

    @property
    def atom(self) -> str:
        return self.url(FeedFormat.ATOM)

    @property
    def rss(self) -> str:
        return self.url(FeedFormat.RSS)

    @property
    def page_url(self) -> str:
        return with_query(self.page, self.params + self.page_params)


def new_papers_link(filters: Filters) -> FeedLink:
    return FeedLink(
        title=f"New papers{_scope(filters)} · papertide",
        description=f"The newest papers{_scope(filters)} in papertide, latest submission first.",
        path="/feeds/new",
        page="/new",
        params=_filter_params(filters),
    )


def search_link(q: str, mode: str, filters: Filters) -> FeedLink:
    mode_param = (("mode", mode),) if mode != DEFAULT_MODE else ()
    return FeedLink(
        title=f"Search {quoted(q)}{_scope(filters)} · papertide",
        description=f"Papers in papertide matching {quoted(q)}{_scope(filters)}, newest first.",
        path="/feeds/search",
        page="/search",
        params=(("q", q), *mode_param, *_filter_params(filters)),
        page_params=(("sort", "newest"),),
    )


def author_link(key: str, name: str) -> FeedLink:
    """The feed of an author's papers, at the address of the name's key: one feed however the name is spelt."""
    return FeedLink(
        title=f"Papers by {name} · papertide",
        description=f"Papers in papertide by authors named {name}, newest first (grouped by name, not identity).",
        path=f"/feeds/author/{quote(key, safe='')}",
        page=author_path(name),
    )


def trending_link(window: Window, filters: Filters) -> FeedLink:
    return FeedLink(
        title=f"Trending {window.phrase}{_scope(filters)} · papertide",
        description=f"The papers drawing the most attention {window.phrase}{_scope(filters)} on papertide, "
        f"most first: upvotes here, and Hugging Face upvotes and GitHub stars gained {window.phrase}.",
        path="/feeds/trending",
        page="/",
        params=(("window", window.value), *_filter_params(filters)),
    )


def collection_link(collection: Collection) -> FeedLink | None:
    """A public collection's feed; a private one has none."""
    if not collection.is_public:
        return None
    return FeedLink(
        title=f"{collection.name} · papertide",
        description=f"Papers saved to “{collection.name}”, a public collection on papertide, latest saves first.",
        path=f"/feeds/c/{collection.public_id}",
        page=f"/c/{collection.public_id}",
    )


def discussion_link(paper: StoredPaper) -> FeedLink:
    """A paper's discussion: its comments and replies, newest first."""
    path = quote(paper.paper_id, safe="/:")
    return FeedLink(
        title=f"Discussion of “{paper.title}” · papertide",
        description=f"Comments and replies on “{paper.title}” ({paper.paper_id}) on papertide, newest first.",
        path=f"/feeds/paper/{path}/discussion",
        page=f"/paper/{path}",
    )


def with_query(path: str, params: Params) -> str:
    return f"{path}{'?' + urlencode(params) if params else ''}"


def _filter_params(filters: Filters) -> Params:
    params: list[tuple[str, str]] = []
    if filters.categories_include:
        params.append(("category", ",".join(filters.categories_include)))
    if filters.categories_exclude:
        params.append(("exclude", ",".join(filters.categories_exclude)))
    return tuple(params)


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
