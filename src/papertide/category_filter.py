"""The category filter: the patterns people type to pick papers by arXiv category, read and matched here once.

A pattern is a category (``cs.LG``), an archive (``hep-th``) or an archive's wildcard (``cs.*``, typed
``cs*`` too). Pages, the API, the CLI and digest preferences read lists of them with
:func:`category_patterns`; every pattern passes :func:`check_pattern` (search's ``Filters`` applies it,
so no door can let a bad one through); :func:`passes` is the reference match that the store's SQL, the
tantivy query and the search's paper table each compile for speed (their tests compare against it).
Below web, CLI and search, beside :mod:`papertide.taxonomy`, whose spelling it uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from fnmatch import fnmatchcase

from papertide.errors import QueryError
from papertide.taxonomy import canonical

# Patterns are separated by commas or ASCII white space (spelled out: regex engines differ on \s).
_SEPARATOR = r"[ \t\n\r\f\v,]"
_SEPARATORS = re.compile(_SEPARATOR + "+")
# One pattern as typed: a category (cs.LG), an archive (hep-th) or an archive's wildcard (cs.*, cs*).
_TYPED = r"[A-Za-z][A-Za-z-]*(?:\.[A-Za-z-]+|\.*\*+)?"
# What one form or query value may hold: exactly the values :func:`category_patterns` accepts, so the
# API schema can publish it.
CATEGORY_LIST_PATTERN = rf"^{_SEPARATOR}*(?:{_TYPED}(?:{_SEPARATOR}+{_TYPED})*{_SEPARATOR}*)?$"
# ASCII letters, '-' and '.', with an optional trailing '*': nothing a backend must escape but '*'.
_VALID = re.compile(r"[a-z][a-z-]*(?:\.[a-z-]+\*?|\.\*|\*)?", re.IGNORECASE | re.ASCII)
PATTERN_HELP = "a category pattern such as cs.LG, cs.*, hep-th or math.GT"


def split_patterns(value: str) -> list[str]:
    """The patterns in one typed value, separated by commas or white space; unchecked, as typed."""
    return [piece for piece in _SEPARATORS.split(value) if piece]


def check_pattern(pattern: str, typed: str | None = None) -> None:
    """Raise :class:`QueryError` naming ``pattern`` (and the ``typed`` text it came from) unless it is one."""
    if not _VALID.fullmatch(pattern):
        where = f"{typed!r}: " if typed is not None else ""
        raise QueryError(f"{where}{pattern!r} is not {PATTERN_HELP}")


def category_patterns(values: Iterable[str]) -> tuple[str, ...]:
    """Repeated and/or comma-separated form values as canonical, deduplicated patterns (checked where used)."""
    patterns = (canonical(piece) for value in values for piece in split_patterns(value))
    return tuple(dict.fromkeys(patterns))


def matches_any(patterns: Iterable[str], categories: Iterable[str]) -> bool:
    """Whether one of ``categories`` matches one of ``patterns``: case-insensitively, ``*`` any run of characters."""
    folded = [category.lower() for category in categories]
    return any(fnmatchcase(category, pattern.lower()) for pattern in patterns for category in folded)


def passes(categories: Iterable[str], include: Iterable[str] = (), exclude: Iterable[str] = ()) -> bool:
    """Whether a paper listed in ``categories`` passes: one matches an include pattern (when there are any)
    and none matches an exclude pattern."""
    listed = tuple(categories)
    wanted = tuple(include)
    return (not wanted or matches_any(wanted, listed)) and not matches_any(exclude, listed)
