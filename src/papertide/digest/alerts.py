"""Alerts: saved searches and followed authors, each a search-box query run over every digest's new papers.

A followed author is the query ``author:"Name"``, so both kinds are one thing to the search
engine, to the digest and to feeds (an alert's feed is the search feed of :func:`search_text`).
:func:`validate_alert` checks what a subscriber typed with the search box's own parser, so a
query the search box refuses is refused here with the same message.
"""

from __future__ import annotations

import unicodedata

from papertide.author_names import MAX_NAME_CHARS
from papertide.errors import InvalidInput, QueryError
from papertide.search.query import MAX_QUERY_CHARS, ParsedQuery, parse_query
from papertide.text import quoted

SEARCH, AUTHOR = "search", "author"
KINDS = (SEARCH, AUTHOR)
MAX_ALERTS = 20
MAX_AUTHOR_CHARS = MAX_NAME_CHARS  # what an author page takes


def search_text(kind: str, value: str) -> str:
    """What the search box would hold for this alert."""
    return f'author:"{value}"' if kind == AUTHOR else value


def alert_query(kind: str, value: str) -> ParsedQuery:
    return parse_query(search_text(kind, value))


def describe_alert(kind: str, value: str) -> str:
    """Why a paper this alert found is in a digest."""
    return f"By {value}, whom you follow" if kind == AUTHOR else f"Matches your saved search {quoted(value)}"


def validate_alert(kind: str, value: str) -> str:
    """The alert's value as stored (trimmed); :class:`InvalidInput` naming the field if it cannot be an alert."""
    if kind not in KINDS:
        raise InvalidInput(f"kind: {kind[:20]!r} is not one of {', '.join(KINDS)}")
    field = "query" if kind == SEARCH else "author"
    value = value.strip() if isinstance(value, str) else ""
    if not value:
        raise InvalidInput(f"{field}: is empty")
    if any(unicodedata.category(char)[0] == "C" for char in value):
        raise InvalidInput(f"{field}: contains a line break or another control character")
    if kind == AUTHOR:
        if len(value) > MAX_AUTHOR_CHARS:
            raise InvalidInput(f"author: at most {MAX_AUTHOR_CHARS} characters, got {len(value)}")
        if '"' in value or not any(char.isalnum() for char in value):
            raise InvalidInput(f"author: {value[:60]!r} is not a name (letters, without double quotes)")
    elif len(value) > MAX_QUERY_CHARS:
        raise InvalidInput(f"query: at most {MAX_QUERY_CHARS} characters, got {len(value)}")
    try:
        parsed = alert_query(kind, value)
    except QueryError as exc:
        raise InvalidInput(f"{field}: {exc.message}") from None
    if not parsed.positive_terms and parsed.filters.categories_include == ():
        raise InvalidInput(f"{field}: {value[:60]!r} has nothing to look for (words, an author or cat:)")
    return value
