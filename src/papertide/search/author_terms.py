"""``author:`` terms with the other spellings of their name, so a search finds what the author page lists.

``author:"J. Smith"`` also matches ``John Smith`` when that is the library's only full name with
those initials, and ``author:"John Smith"`` matches ``J. Smith`` then (see
:func:`papertide.author_names.spellings`). One indexed read per author term.
"""

from __future__ import annotations

from dataclasses import replace

from papertide.author_names import initials_key, name_key, spellings
from papertide.search.query import Field, ParsedQuery, Term
from papertide.store.authors.names import AuthorNameStore


def author_spellings(name: str, names: AuthorNameStore) -> tuple[str, ...]:
    """The keys standing for ``name``: its own first, then the unambiguous other form, if any."""
    key = name_key(name)
    if " " not in key:
        return (key,) if key else ()
    return spellings(key, names.full_names(initials_key(key)))


def with_author_spellings(parsed: ParsedQuery, names: AuthorNameStore) -> ParsedQuery:
    """``parsed`` with each author term's other spellings in :attr:`Term.also`."""
    if not any(term.field is Field.AUTHOR for term in parsed.terms):
        return parsed
    return replace(parsed, terms=tuple(_spelled(term, names) for term in parsed.terms))


def _spelled(term: Term, names: AuthorNameStore) -> Term:
    if term.field is not Field.AUTHOR:
        return term
    return replace(term, also=author_spellings(term.text, names)[1:])
