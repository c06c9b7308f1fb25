"""The Kaggle snapshot source on the first 200 real records of ``arxiv-metadata-oai-snapshot.json``."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertide.errors import RecordError
from papertide.ingest.sources.base import Item
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.model import Paper, Version
from tests.sources.replay import FIXTURES

SNAPSHOT = FIXTURES / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"
LINES = SNAPSHOT.read_bytes().splitlines(keepends=True)
RECORDS = [json.loads(line) for line in LINES]


def papers(items: list[Item]) -> list[Paper]:
    assert not [item for item in items if not isinstance(item, Paper)]
    return [item for item in items if isinstance(item, Paper)]


def write(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def test_all_records_parse() -> None:
    found = papers(list(KaggleSource(SNAPSHOT).items()))

    assert len(found) == 200
    assert found[0].id == "0704.0001"
    assert found[-1].id == "0704.0200"


def test_record_fields() -> None:
    by_id = {paper.id: paper for paper in KaggleSource(SNAPSHOT).items()}

    first = by_id["0704.0001"]
    assert first.title == "Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies"
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.categories == ["hep-ph"]
    assert first.version == 2
    assert first.versions == [
        Version(1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        Version(2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    ]
    assert first.submitted == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.comments == "37 pages, 15 figures; published version"
    assert first.abstract.startswith("A fully differential calculation in perturbative quantum chromodynamics")
    assert first.source == "kaggle"
    assert first.url_abs == "https://arxiv.org/abs/0704.0001"
    assert first.url_pdf == "https://arxiv.org/pdf/0704.0001"
    second = by_id["0704.0002"]
    assert second.categories == ["math.CO", "cs.CG"]
    assert second.doi is None
    assert second.journal_ref is None
    assert by_id["0704.0025"].authors == ["A. S. Mishchenko", "N. Nagaosa"]  # affiliations dropped
    assert by_id["0704.0064"].version == 5


def test_authors_string_when_authors_parsed_is_absent(tmp_path: Path) -> None:
    records = [RECORDS[0], RECORDS[24]]  # 0704.0001 and 0704.0025 (with parenthesised affiliations)
    lines = [
        json.dumps({k: v for k, v in record.items() if k != "authors_parsed"}).encode() + b"\n" for record in records
    ]

    first, second = papers(list(KaggleSource(write(tmp_path / "s.jsonl", lines)).items()))

    assert first.authors == ["C. Bal\\'azs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    assert first.display_authors[0] == "C. Balázs"
    assert second.authors == ["A. S. Mishchenko", "N. Nagaosa"]


def test_since_filters_on_update_date() -> None:
    found = papers(list(KaggleSource(SNAPSHOT, since=date(2009, 1, 1)).items()))

    expected = [record["id"] for record in RECORDS if record["update_date"] >= "2009-01-01"]
    assert [paper.id for paper in found] == expected
    assert 0 < len(found) < 200
    assert "0704.0001" not in expected  # updated 2008-11-26
    assert "0704.0025" in expected  # updated 2015-05-13


def test_since_falls_back_to_latest_version(tmp_path: Path) -> None:
    lines = [
        json.dumps({k: v for k, v in record.items() if k != "update_date"}).encode() + b"\n" for record in RECORDS[:2]
    ]
    path = write(tmp_path / "s.jsonl", lines)

    found = papers(list(KaggleSource(path, since=date(2008, 1, 1)).items()))

    assert [paper.id for paper in found] == ["0704.0002"]  # v2 2008-12-13; 0704.0001's v2 is from 2007


@pytest.mark.parametrize(
    ("patterns", "included", "excluded"),
    [
        (["cs.*"], "0704.0002", "0704.0001"),
        (["hep-th"], "0704.0015", "0704.0001"),
        (["hep-ph", "math.CO"], "0704.0002", "0704.0025"),
    ],
)
def test_category_patterns(patterns: list[str], included: str, excluded: str) -> None:
    ids = [paper.id for paper in papers(list(KaggleSource(SNAPSHOT, categories=patterns).items()))]

    assert included in ids
    assert excluded not in ids
    for record in RECORDS:
        matches = any(
            category == pattern or (pattern.endswith("*") and category.startswith(pattern[:-1]))
            for category in record["categories"].split()
            for pattern in patterns
        )
        assert (record["id"] in ids) == matches


def test_bad_lines_are_reported_with_path_and_line(tmp_path: Path) -> None:
    no_title = {k: v for k, v in RECORDS[1].items() if k != "title"}
    listed_categories = {**RECORDS[2], "categories": ["hep-th"]}
    bad_version = {**RECORDS[3], "versions": [{"version": "first", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]}
    bad_id = {**RECORDS[4], "id": "not an id"}
    numeric_doi = {**RECORDS[6], "doi": 10.1103}
    lines = [
        LINES[0],
        b'{"id": "0704.0002", "title": \n',
        json.dumps(no_title).encode() + b"\n",
        b"\n",
        json.dumps(listed_categories).encode() + b"\n",
        json.dumps(bad_version).encode() + b"\n",
        json.dumps(bad_id).encode() + b"\n",
        b"[1, 2]\n",
        json.dumps(numeric_doi).encode() + b"\n",
        LINES[5],
    ]
    path = write(tmp_path / "broken.jsonl", lines)

    items = list(KaggleSource(path).items())

    assert [item.id for item in items if isinstance(item, Paper)] == ["0704.0001", "0704.0006"]
    errors = [(item.location, item.field) for item in items if isinstance(item, RecordError)]
    assert errors == [
        (f"{path}:2", None),
        (f"{path}:3", "title"),
        (f"{path}:5", "categories"),
        (f"{path}:6", "versions"),
        (f"{path}:7", "id"),
        (f"{path}:8", None),
        (f"{path}:9", "doi"),
    ]
    assert "invalid JSON" in items[1].reason
    assert "expected a JSON object" in items[6].reason


def test_gzip_and_progress(tmp_path: Path) -> None:
    path = tmp_path / "snapshot.json.gz"
    with gzip.open(path, "wb") as compressed:
        compressed.write(b"".join(LINES * 25))  # 5,000 lines: one progress report midway, one at the end
    reports: list[tuple[int, int]] = []
    source = KaggleSource(path, on_progress=lambda done, total: reports.append((done, total)))

    found = papers(list(source.items()))

    assert len(found) == 5000
    assert len(reports) == 2
    total = path.stat().st_size
    assert 0 < reports[0][0] < total
    assert reports[-1] == (total, total)
    assert source.bytes_read == source.total_bytes == total
