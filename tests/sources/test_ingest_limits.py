"""Issue 21, findings 5 and 7: every record is held to field limits, and a wrong type is not "missing".

A rejected record names the file, line, field and limit, goes to stderr with the other rejects
(exit status 1), and changes nothing stored: a newer version over a limit leaves the stored paper
as it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.errors import RecordError
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.jsonl import JsonlSource
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.model import (
    MAX_ABSTRACT_LENGTH,
    MAX_AUTHOR_LENGTH,
    MAX_AUTHORS,
    MAX_CATEGORIES,
    MAX_COMMENTS_LENGTH,
    MAX_OTHER_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    Paper,
)
from papertide.store import PaperStore

GOOD = {"id": "2410.17243", "version": 1, "title": "A title", "abstract": "An abstract.", "authors": ["A. One"]}


def read_one(tmp_path: Path, record: dict) -> Paper | RecordError:
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(record) + "\n")
    first, second = JsonlSource(path).items()
    assert isinstance(first, Paper)
    return second


WRONG_TYPES = {
    "id a number": ({**GOOD, "id": 12345}, "field 'id': must be a string, got a number"),
    "id missing": ({k: v for k, v in GOOD.items() if k != "id"}, "field 'id': required field is missing"),
    "id null": ({**GOOD, "id": None}, "field 'id': must be a string, got null"),
    "title an array": ({**GOOD, "title": ["A"]}, "field 'title': must be a string, got an array"),
    "abstract a number": ({**GOOD, "abstract": 5}, "field 'abstract': must be a string, got a number"),
    "version a string": ({**GOOD, "version": "2"}, "field 'version': must be an integer, got a string"),
    "version a boolean": ({**GOOD, "version": True}, "field 'version': must be an integer, got a boolean"),
    "authors a string": ({**GOOD, "authors": "A, B"}, "field 'authors': must be an array of strings, got a string"),
    "author a number": ({**GOOD, "authors": ["A", 7]}, "field 'authors': item 2 must be a string, got a number"),
    "categories an object": ({**GOOD, "categories": {}}, "field 'categories': must be an array of strings, got an "
                             "object"),
    "submitted a number": ({**GOOD, "submitted": 2024}, "field 'submitted': must be an ISO 8601 date string, got a "
                           "number"),
    "updated an array": ({**GOOD, "updated": []}, "field 'updated': must be an ISO 8601 date string, got an array"),
    "doi a number": ({**GOOD, "doi": 5}, "field 'doi': must be a string, got a number"),
    "journal_ref an object": ({**GOOD, "journal_ref": {}}, "field 'journal_ref': must be a string, got an object"),
    "comments a boolean": ({**GOOD, "comments": True}, "field 'comments': must be a string, got a boolean"),
    "url_abs a number": ({**GOOD, "url_abs": 1}, "field 'url_abs': must be a string, got a number"),
    "url_pdf a number": ({**GOOD, "url_pdf": 1}, "field 'url_pdf': must be a string, got a number"),
    "url_code a number": ({**GOOD, "url_code": 1}, "field 'url_code': must be a string, got a number"),
    "source a number": ({**GOOD, "source": 1}, "field 'source': must be a string, got a number"),
    "versions a string": ({**GOOD, "versions": "v1"}, "field 'versions': must be an array of objects, got a string"),
    "version item a number": ({**GOOD, "versions": [3]}, "field 'versions': item 1 must be an object, got a number"),
    "version number a string": ({**GOOD, "versions": [{"version": "1"}]}, "field 'versions': item 1: 'version' must "
                                "be an integer, got a string"),
    "version number missing": ({**GOOD, "versions": [{}]}, "field 'versions': item 1: 'version' is missing"),
    "version date a number": ({**GOOD, "versions": [{"version": 1, "created": 5}]}, "field 'versions': must be an "
                              "ISO 8601 date string, got a number"),
    "signals an object": ({**GOOD, "signals": {}}, "field 'signals': must be an array of objects, got an object"),
    "signal name a number": ({**GOOD, "signals": [{"name": 1}]}, "field 'signals': item 1: 'name' must be a string, "
                             "got a number"),
    "signal value a string": ({**GOOD, "signals": [{"name": "x", "value": "many"}]}, "field 'signals': item 1: "
                              "'value' must be a number, got a string"),
    "signal time missing": ({**GOOD, "signals": [{"name": "x", "value": 1}]}, "field 'signals': item 1: "
                            "'observed_at' is missing"),
}  # fmt: skip


@pytest.mark.parametrize("case", WRONG_TYPES, ids=list(WRONG_TYPES))
def test_a_wrong_type_is_named_as_such_not_as_missing(tmp_path: Path, case: str) -> None:
    record, message = WRONG_TYPES[case]
    error = read_one(tmp_path, record)
    assert isinstance(error, RecordError)
    assert error.message == f"{tmp_path / 'papers.jsonl'}:2: {message}"


LIMITS = {
    "title": ("title", "t" * MAX_TITLE_LENGTH, f"{MAX_TITLE_LENGTH + 1:,} characters, over the limit of 2,000"),
    "abstract": ("abstract", "a" * MAX_ABSTRACT_LENGTH, "10,001 characters, over the limit of 10,000"),
    "comments": ("comments", "c" * MAX_COMMENTS_LENGTH, "5,001 characters, over the limit of 5,000"),
    "journal_ref": ("journal_ref", "j" * MAX_OTHER_TEXT_LENGTH, "2,001 characters, over the limit of 2,000"),
    "doi": ("doi", "10.1/" + "d" * (MAX_OTHER_TEXT_LENGTH - 5), "2,001 characters, over the limit of 2,000"),
    "url_code": ("url_code", "https://" + "u" * (MAX_OTHER_TEXT_LENGTH - 8), "2,001 characters, over the limit"),
    "authors": ("authors", [f"Author {n}" for n in range(MAX_AUTHORS)], "10,001 authors, over the limit of 10,000"),
    "author name": ("authors", ["A. One", "n" * MAX_AUTHOR_LENGTH], "author 2 has 501 characters, over the limit of "
                    "500"),
    "categories": ("categories", [f"cs.X{n}" for n in range(MAX_CATEGORIES)], "51 categories, over the limit of 50"),
}  # fmt: skip


def one_more(value: str | list[str]) -> str | list[str]:
    if isinstance(value, str):
        return value + "x"
    if len(value) == 2:  # a list of names whose last one is at the length limit
        return [value[0], value[1] + "x"]
    return [*value, "cs.LG" if value[0].startswith("cs.") else "Author X"]


@pytest.mark.parametrize("case", LIMITS, ids=list(LIMITS))
def test_each_field_is_held_to_its_limit(tmp_path: Path, case: str) -> None:
    field, at_limit, message = LIMITS[case]
    assert isinstance(read_one(tmp_path, {**GOOD, field: at_limit}), Paper)
    error = read_one(tmp_path, {**GOOD, field: one_more(at_limit)})
    assert isinstance(error, RecordError)
    assert error.message.startswith(f"{tmp_path / 'papers.jsonl'}:2: field '{field}': {message}"), error.message


def test_kaggle_records_are_held_to_the_same_limits(tmp_path: Path) -> None:
    versions = [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    record = {"id": "0704.0001", "title": "T", "abstract": "a" * (MAX_ABSTRACT_LENGTH + 1), "categories": "hep-ph",
              "authors": "A. One", "versions": versions}  # fmt: skip
    path = tmp_path / "snapshot.jsonl"
    path.write_text(json.dumps(record) + "\n")
    (error,) = KaggleSource(path).items()
    assert isinstance(error, RecordError)
    assert error.message == f"{path}:1: field 'abstract': 10,001 characters, over the limit of 10,000"


def test_a_newer_version_over_a_limit_changes_nothing_stored(tmp_path: Path, store: PaperStore) -> None:
    ingest([Paper(**{**GOOD, "source": "test"})], store)
    newer = {**GOOD, "version": 2, "title": "A new title", "abstract": "a" * (MAX_ABSTRACT_LENGTH + 1)}
    path = tmp_path / "papers.jsonl"
    path.write_text(json.dumps(newer) + "\n")
    rejected: list[RecordError] = []
    summary = ingest(JsonlSource(path).items(), store, on_reject=rejected.append)
    assert (summary.rejected, summary.updated) == (1, 0)
    assert rejected[0].field == "abstract"
    stored = store.get("2410.17243")
    assert (stored.paper.version, stored.title, stored.paper.abstract) == (1, "A title", "An abstract.")


def test_ingest_jsonl_reports_the_reject_on_stderr_and_exits_1(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, store: PaperStore
) -> None:
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERTIDE_DATABASE_URL", database_url)
    ingest([Paper(**{**GOOD, "source": "test"})], store)
    path = tmp_path / "papers.jsonl"
    lines = [{**GOOD, "version": 2, "title": "t" * (MAX_TITLE_LENGTH + 1)}, {**GOOD, "id": "2410.00001"}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(app, ["ingest", "jsonl", str(path), "--json"], catch_exceptions=False)
    assert result.exit_code == 1
    assert f"{path}:1: field 'title': 2,001 characters, over the limit of 2,000" in " ".join(result.stderr.split())
    assert json.loads(result.stdout)["rejected"] == 1 and json.loads(result.stdout)["added"] == 1
    assert store.get("2410.17243").title == "A title" and store.get("2410.00001") is not None
