"""Shared field parsers, on values taken from the recorded fixtures."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from papertide.errors import RecordError
from papertide.ingest.sources.parsing import iso_field, parse_rfc2822, parse_versions, split_authors
from papertide.model import Version


def test_rfc2822_fast_path_and_general_fallback() -> None:
    assert parse_rfc2822("Mon, 2 Apr 2007 19:18:42 GMT") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert parse_rfc2822("Mon, 2 Apr 2007 21:18:42 +0200") == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_rfc2822("yesterday")


def test_versions_sorted_by_number() -> None:
    assert parse_versions([("v2", "Tue, 24 Jul 2007 20:10:27 GMT"), ("v1", None)]) == [
        Version(1, None),
        Version(2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    ]
    with pytest.raises(ValueError):
        parse_versions([("first", None)])


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Igor A. Zaliznyak and John M. Tranquada", ["Igor A. Zaliznyak", "John M. Tranquada"]),
        (
            "C. Bal\\'azs, E. L. Berger, P. M. Nadolsky, C.-P. Yuan",
            ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"],
        ),
        (
            "Stephen C. Power (Lancaster University), Baruch Solel (Technion)",
            ["Stephen C. Power", "Baruch Solel"],
        ),
        (
            "A. S. Mishchenko (1 and 2) and N. Nagaosa (1 and 3) ((1) CREST, Japan\n  Science and Technology Agency)",
            ["A. S. Mishchenko", "N. Nagaosa"],
        ),
        (
            "Floris van der Tak, John Black, and Ewine van Dishoeck",
            ["Floris van der Tak", "John Black", "Ewine van Dishoeck"],
        ),
        ("", []),
    ],
)
def test_split_authors(text: str, names: list[str]) -> None:
    assert split_authors(text) == names


def test_iso_field() -> None:
    assert iso_field("2024-10-22T17:59:30.000Z", "publishedAt") == datetime(2024, 10, 22, 17, 59, 30, tzinfo=UTC)
    assert iso_field("2014-12-29", "created") == datetime(2014, 12, 29, tzinfo=UTC)
    assert iso_field(None, "created") is None
    with pytest.raises(RecordError) as raised:
        iso_field("29/12/2014", "created")
    assert raised.value.field == "created"
