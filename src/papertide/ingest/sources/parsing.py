"""Field parsers shared by the sources, so every source reads dates, versions and names alike.

The OAI-PMH ``arXivRaw`` format and the Kaggle snapshot both give authors as one free-text
string, version labels like ``v2`` and RFC 2822 submission dates; the JSON and Atom feeds use
ISO 8601. The RFC 2822 parser has a fast path because the Kaggle bulk load calls it millions of
times.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from papertide.errors import RecordError
from papertide.model import Version, parse_iso_utc

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_PARENTHESISED = re.compile(r"\([^()]*\)")  # innermost group: affiliations like "(1) CERN"
_AUTHOR_SEPARATORS = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+|\s*&\s*")
_WHITESPACE = re.compile(r"\s+")


def iso_field(text: str | None, field: str) -> datetime | None:
    """:func:`parse_iso_utc` for a record's field: empty stays None, a bad date names the field."""
    if not text:
        return None
    try:
        return parse_iso_utc(text)
    except ValueError:
        raise RecordError(f"not an ISO 8601 date: {text!r}", field=field) from None


def parse_rfc2822(text: str) -> datetime:
    """A UTC datetime from an RFC 2822 date such as ``Mon, 2 Apr 2007 19:18:42 GMT``.

    Raises ValueError when the text is not a date.
    """
    parts = text.split()
    if len(parts) == 6 and parts[5] == "GMT" and parts[2] in _MONTHS:
        hour, minute, second = parts[4].split(":")
        return datetime(
            int(parts[3]), _MONTHS[parts[2]], int(parts[1]), int(hour), int(minute), int(second), tzinfo=UTC
        )
    parsed = parsedate_to_datetime(text)  # other zones or layouts: the slow, general parser
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def version_number(label: str) -> int:
    """``v3`` -> 3; raises ValueError for anything else."""
    if not label.startswith("v"):
        raise ValueError(f"not a version label: {label!r}")
    return int(label[1:])


def parse_versions(pairs: Iterable[tuple[str, str | None]]) -> list[Version]:
    """Versions from (label, RFC 2822 date) pairs, oldest first."""
    versions = [Version(version_number(label), parse_rfc2822(created) if created else None) for label, created in pairs]
    versions.sort(key=lambda v: v.number)
    return versions


def split_authors(text: str) -> list[str]:
    """Author names from arXiv's free-text list: ``A. One, B. Two and C. Three``.

    Parenthesised affiliations are dropped (they may contain commas of their own).
    """
    previous = None
    while previous != text:
        previous, text = text, _PARENTHESISED.sub(" ", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return [name for name in (part.strip() for part in _AUTHOR_SEPARATORS.split(text)) if name]
