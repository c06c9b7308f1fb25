from __future__ import annotations

from datetime import UTC, datetime

import pytest

from papertide.errors import RecordError
from papertide.model import Paper, is_valid_paper_id, paper_from_dict, paper_to_dict, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2410.17243", ("2410.17243", None)),
        ("2410.17243v3", ("2410.17243", 3)),
        ("arXiv:0704.0001v1", ("0704.0001", 1)),
        ("hep-th/9901001", ("hep-th/9901001", None)),
        ("HEP-TH/9901001v2", ("hep-th/9901001", 2)),
        ("math.gt/0309136", ("math.GT/0309136", None)),
        ("https://arxiv.org/abs/2410.17243v2", ("2410.17243", 2)),
        ("https://arxiv.org/pdf/2410.17243.pdf", ("2410.17243", None)),
        (" 2410.17243 ", ("2410.17243", None)),
    ],
)
def test_parse_arxiv_id(text: str, expected: tuple[str, int | None]) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "2410.172", "https://example.org/abs/2410.17243x", "24101.7243"])
def test_parse_arxiv_id_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not an arXiv id"):
        parse_arxiv_id(text)


def test_paper_ids() -> None:
    assert is_valid_paper_id("2410.17243")
    assert is_valid_paper_id("hep-th/9901001")
    assert is_valid_paper_id("openreview:05T81ScPFb")
    assert not is_valid_paper_id("2410.17243v2")  # the store keeps ids without version
    assert not is_valid_paper_id("no id")
    assert not is_valid_paper_id("https://arxiv.org/abs/1")


def test_dict_roundtrip() -> None:
    data = {
        "id": "2410.17243",
        "version": 2,
        "title": "T",
        "abstract": "A",
        "authors": ["X"],
        "categories": ["cs.CL"],
        "submitted": "2024-10-22T17:59:59+00:00",
        "versions": [{"version": 1, "created": "2024-10-22T17:59:59Z"}],
        "signals": [{"name": "hf_upvotes", "value": 3, "observed_at": "2024-10-25T00:00:00Z"}],
    }
    paper = paper_from_dict(data)
    assert paper.submitted == datetime(2024, 10, 22, 17, 59, 59, tzinfo=UTC)
    assert paper_from_dict(paper_to_dict(paper)) == paper
    elsewhere = paper_from_dict({**data, "submitted": "2024-10-22T19:59:59+02:00"})
    assert elsewhere.submitted == paper.submitted and elsewhere.submitted.tzinfo == UTC


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ([], None, "expected a JSON object"),
        ({"title": "T"}, "id", "missing"),
        ({"id": "2410.17243"}, "title", "missing"),
        ({"id": "x y", "title": "T"}, "id", "invalid paper id"),
        ({"id": "2410.17243", "title": "T", "version": "2"}, "version", "integer"),
        ({"id": "2410.17243", "title": "T", "version": 0}, "version", ">= 1"),
        ({"id": "2410.17243", "title": "T", "authors": "A, B"}, "authors", "must be an array of strings, got a string"),
        ({"id": "2410.17243", "title": "T", "categories": ["cs LG"]}, "categories", "invalid category"),
        ({"id": "2410.17243", "title": "T", "categories": ["cs." + "x" * 30]}, "categories", "longer than 32"),
        ({"id": "doi:10.1/" + "x" * 60, "title": "T"}, "id", "longer than 64"),
        ({"id": "2410.17243", "title": "T\x00"}, "title", "NUL"),
        ({"id": "2410.17243", "title": "T", "authors": ["A", "B\x00"]}, "authors", "NUL"),
        ({"id": "2410.17243", "title": "T", "comments": "5 pages\x00"}, "comments", "NUL"),
        ({"id": "2410.17243", "title": "T", "submitted": "yesterday"}, "submitted", "ISO 8601"),
        ({"id": "2410.17243", "title": "T", "doi": 5}, "doi", "must be a string, got a number"),
        ({"id": "2410.17243", "title": "T", "signals": [{"name": "x", "value": "many"}]}, "signals", "number"),
        ({"id": "2410.17243", "title": "T", "color": "red"}, None, "unknown field"),
    ],
)
def test_from_dict_errors_name_the_field(data: object, field: str | None, message: str) -> None:
    with pytest.raises(RecordError, match=message) as caught:
        paper_from_dict(data, location="papers.jsonl:7")
    assert caught.value.field == field
    assert str(caught.value).startswith("papers.jsonl:7")


def test_display_forms() -> None:
    paper = Paper(id="0704.0001", title="Bal\\'azs\n  and  more", authors=["C. Bal\\'azs"], categories=["hep-ph"])
    assert paper.display_title == "Balázs and more"
    assert paper.display_authors == ["C. Balázs"]
    assert paper.primary_category == "hep-ph"
