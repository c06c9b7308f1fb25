"""What an author page says about a name: its papers, newest or most upvoted, frequent co-authors, categories.

The papers are those the search ``author:"Name"`` finds (the lexical index's author field, with the
name's other unambiguous spelling: :mod:`papertide.search.author_terms`), so the page and the search
always agree. Co-authors, categories and the "most upvoted" order are drawn from the
:data:`ANALYSED` newest of them, and "most upvoted" orders the :data:`RANKED` newest: an author page
costs the same at 1M papers as at 1,000, however prolific the name (``bench/authors.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from papertide.author_names import checked_name, contains_name, name_key
from papertide.errors import NotFound
from papertide.search.author_terms import with_author_spellings
from papertide.search.engine import SearchEngine
from papertide.search.query import ParsedQuery, parse_query
from papertide.store.papers.store import Byline, StoredPaper
from papertide.taxonomy import describe

# The newest papers "most upvoted" orders (pks and vote counts only), and those co-authors and
# categories are drawn from (their whole author lists: a collaboration's run to thousands).
RANKED = 5000
ANALYSED = 100
# Authors of one paper counted as co-authors: a collaboration's paper signs with thousands of names.
AUTHORS_PER_PAPER = 100
COAUTHORS_SHOWN = 12
CATEGORIES_SHOWN = 10


class Order(StrEnum):
    NEWEST = "newest"
    UPVOTED = "upvoted"


@dataclass(frozen=True, slots=True)
class Named:
    """A co-author or a category and on how many of the analysed papers it appears."""

    name: str
    count: int
    label: str = ""  # a category's readable name


@dataclass(frozen=True, slots=True)
class AuthorProfile:
    name: str  # as most of the papers write it
    spellings: tuple[str, ...]  # the name keys matched: its own, and the unambiguous other form
    total: int  # papers in all
    analysed: int  # of them, the newest that co-authors and categories come from
    ranked: int  # of them, the newest that "most upvoted" orders
    papers: list[StoredPaper]  # the page asked for
    coauthors: list[Named]
    categories: list[Named]


def author_query(name: str) -> ParsedQuery:
    """The search box's ``author:"Name"`` for ``name`` (checked); its key is letters, digits and spaces."""
    return parse_query(f'author:"{name_key(checked_name(name))}"')


class Authors:
    """Author pages over one search engine and its store."""

    def __init__(self, engine: SearchEngine) -> None:
        self._engine = engine

    def matching(self, name: str) -> ParsedQuery:
        """``author:"Name"`` with its other spellings, ready for the lexical index."""
        return with_author_spellings(author_query(name), self._engine.author_names)

    def newest(self, name: str, limit: int) -> list[StoredPaper]:
        """The newest ``limit`` papers of ``name`` (its feed); :class:`NotFound` if there is none."""
        hits = self._engine.lexical.search(self.matching(name), limit=limit, newest=True)
        if not hits.total:
            raise _unknown(name)
        return self._engine.store.get_many([pk for pk, _ in hits.hits])

    def profile(self, name: str, order: Order, page: int, per_page: int) -> AuthorProfile:
        """One page of ``name``'s papers in ``order`` with what is said about them; :class:`NotFound` if none."""
        query = self.matching(name)
        lexical, store = self._engine.lexical, self._engine.store
        hits = lexical.search(query, limit=RANKED, newest=True)
        if not hits.total:
            raise _unknown(name)
        newest = [pk for pk, _ in hits.hits]
        offset = (page - 1) * per_page
        if order is Order.UPVOTED:
            votes = store.votes_of(newest)
            shown = sorted(newest, key=lambda pk: -votes.get(pk, 0))[offset : offset + per_page]  # stable: newest first
        elif offset + per_page <= len(newest):
            shown = newest[offset : offset + per_page]
        else:  # beyond them: a page of the index's own newest-first order
            shown = [pk for pk, _ in lexical.search(query, limit=per_page, offset=offset, newest=True).hits]
        analysed = store.bylines(newest[:ANALYSED])
        term = query.terms[0]
        spellings = (term.text, *term.also)
        return AuthorProfile(
            name=_written(analysed, spellings, checked_name(name)),
            spellings=spellings,
            total=hits.total,
            analysed=len(analysed),
            ranked=len(newest),
            papers=store.get_many(shown),
            coauthors=coauthors(analysed, spellings),
            categories=categories(analysed),
        )


def _unknown(name: str) -> NotFound:
    return NotFound(
        f"no paper in this library has an author named {checked_name(name)[:100]!r} "
        "(names match whatever their case, accents or initials)"
    )


def _written(bylines: Sequence[Byline], spellings: tuple[str, ...], fallback: str) -> str:
    """The way most papers write the name: ``Jürgen Schmidhuber`` rather than a URL's ``jurgen schmidhuber``."""
    written = Counter(
        author for line in bylines for author in line.authors[:AUTHORS_PER_PAPER] if name_key(author) in spellings
    )
    return written.most_common(1)[0][0] if written else fallback


def coauthors(bylines: Sequence[Byline], spellings: tuple[str, ...]) -> list[Named]:
    """Who signs most often beside the author (the author's own spellings aside), each as most papers write them."""
    signed: Counter[tuple[str, str]] = Counter()  # (key, as written): how often
    for line in bylines:
        keys = {}
        for author in line.authors[:AUTHORS_PER_PAPER]:
            keys.setdefault(name_key(author), author)
        signed.update((key, author) for key, author in keys.items() if key and not _is_own(key, spellings))
    counts: Counter[str] = Counter()
    written: dict[str, tuple[int, str]] = {}
    for (key, author), count in signed.items():
        counts[key] += count
        if count > written.get(key, (0, ""))[0]:
            written[key] = (count, author)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:COAUTHORS_SHOWN]
    return [Named(written[key][1], count) for key, count in ranked]


def _is_own(key: str, spellings: tuple[str, ...]) -> bool:
    return any(contains_name(key, own) for own in spellings)


def categories(bylines: Sequence[Byline]) -> list[Named]:
    """The categories the papers are listed in, commonest first, with their names."""
    counts = Counter(category for line in bylines for category in dict.fromkeys(line.categories))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:CATEGORIES_SHOWN]
    return [Named(category, count, describe(category)) for category, count in ranked]
