"""The paper page's details from the real recordings: licences (OAI-PMH, Kaggle), Hugging Face's project page,
summary and keywords, stored on the backend under test and updated, not duplicated, by a second ingest."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from papertide.errors import RecordError
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.hf_daily import HfDailySource
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.ingest.sources.oai import OaiSource
from papertide.model import MAX_KEYWORDS, Paper, paper_from_dict, paper_to_dict
from papertide.store.papers.store import PaperStore
from tests.sources.replay import FIXTURES, RecordedServer, Reply, fixture_bytes

FETCHED_AT = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
ITEM_2026 = fixture_bytes("hf-daily-papers", "daily_papers_entry_2026-03-06_2602.23229.json")
HEP_TH = fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-th.xml")
RAW_RECORD = fixture_bytes("oai-pmh", "arxivraw-format", "GetRecord_arXivRaw_1304.4214.xml")
SNAPSHOT = FIXTURES / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"
ARXIV_LICENCE = "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"


def hf_items(server: RecordedServer, http: HttpClient, body: bytes) -> list:
    url = server.route("/api/daily_papers", Reply(body, headers={"Content-Type": "application/json"}))
    return list(HfDailySource(http, base_url=url, start=date(2026, 3, 6), clock=lambda: FETCHED_AT).items())


def test_hugging_face_details_are_stored_and_a_second_ingest_changes_nothing(
    server: RecordedServer, http: HttpClient, store: PaperStore
) -> None:
    items = hf_items(server, http, b"[" + ITEM_2026 + b"]")
    assert ingest(items, store).added == 1
    stored = store.get("2602.23229").paper
    assert stored.url_code == "https://github.com/marco-garosi/CIRCLE"
    assert stored.url_project == "https://circle-lmm.github.io/"
    assert stored.links_source == "hf-daily"
    assert stored.ai_summary.startswith("Large Multimodal Models demonstrate superior performance")
    assert stored.ai_keywords[:3] == ["Vision-Language Models", "Large Multimodal Models", "zero-shot classification"]
    assert len(stored.ai_keywords) == 9
    assert store.get("2602.23229").signals["github_stars"].value == 9
    again = ingest(items, store)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)


def test_a_changed_summary_updates_the_stored_paper(
    server: RecordedServer, http: HttpClient, store: PaperStore
) -> None:
    ingest(hf_items(server, http, b"[" + ITEM_2026 + b"]"), store)
    item = json.loads(ITEM_2026)
    item["paper"]["ai_summary"] = "A shorter summary."
    item["paper"]["ai_keywords"] = ["CIRCLE"]
    item["paper"]["projectPage"] = None  # a later listing without it keeps the stored page, with its repository
    summary = ingest(hf_items(server, http, json.dumps([item]).encode()), store)
    assert (summary.added, summary.updated) == (0, 1)
    stored = store.get("2602.23229").paper
    assert (stored.ai_summary, stored.ai_keywords) == ("A shorter summary.", ["CIRCLE"])
    assert (stored.url_code, stored.url_project) == ("https://github.com/marco-garosi/CIRCLE", None)


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [("ai_keywords", "CIRCLE", "paper.ai_keywords"), ("ai_keywords", ["ok", 3], "paper.ai_keywords"),
     ("ai_summary", 42, "paper.ai_summary"), ("projectPage", ["x"], "paper.projectPage"),
     ("ai_keywords", ["k"] * (MAX_KEYWORDS + 1), "ai_keywords"), ("ai_summary", "x" * 2_001, "ai_summary")],
)  # fmt: skip
def test_bad_hugging_face_details_reject_the_item_by_field(
    server: RecordedServer, http: HttpClient, store: PaperStore, key: str, value: object, field: str
) -> None:
    item = json.loads(ITEM_2026)
    item["paper"][key] = value
    [error] = hf_items(server, http, json.dumps([item]).encode())
    assert isinstance(error, RecordError) and error.field == field
    summary = ingest([error], store)
    assert summary.rejected == 1 and store.get("2602.23229") is None


def test_arxiv_format_licences_are_stored(server: RecordedServer, http: HttpClient, store: PaperStore) -> None:
    url = server.route("/oai2", Reply(HEP_TH))
    source = OaiSource(http, metadata_prefix="arXiv", set_spec="physics:hep-th", base_url=url)
    assert ingest(source.items(), store).added == 3
    assert store.get("1412.8323").paper.license == "http://creativecommons.org/licenses/by/4.0/"
    assert store.get("1507.07790").paper.license == ARXIV_LICENCE


def test_arxiv_raw_licence_is_stored(server: RecordedServer, http: HttpClient, store: PaperStore) -> None:
    url = server.route("/oai2", Reply(RAW_RECORD))
    ingest(OaiSource(http, metadata_prefix="arXivRaw", base_url=url).items(), store)
    assert store.get("1304.4214").paper.license == ARXIV_LICENCE


def test_kaggle_licences_are_stored_and_kept_by_a_poorer_source(store: PaperStore) -> None:
    summary = ingest(KaggleSource(SNAPSHOT).items(), store)
    assert summary.added == 200
    assert store.get("0704.0033").paper.license == "http://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert store.get("0704.0001").paper.license is None  # the snapshot says null
    assert ingest(KaggleSource(SNAPSHOT).items(), store).unchanged == 200
    # A source without a licence (the arXiv API, Hugging Face) updating the paper keeps it.
    newer = replace(store.get("0704.0033").paper, title="Its title, revised", license=None, source="arxiv-api")
    ingest([newer], store)
    assert store.get("0704.0033").paper.license == "http://creativecommons.org/licenses/by-nc-nd/4.0/"


def test_kaggle_licence_of_the_wrong_type_names_the_field(tmp_path, store: PaperStore) -> None:
    record = json.loads(SNAPSHOT.read_bytes().splitlines()[0])
    record["license"] = 4
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(record) + "\n")
    [error] = list(KaggleSource(path).items())
    assert isinstance(error, RecordError) and error.field == "license" and "got a number" in str(error)


def test_links_travel_with_the_source_that_gave_them(store: PaperStore) -> None:
    """One source's links replace another's as a pair, so a link is never labelled with the wrong source."""
    base = Paper(id="2602.00001", title="A paper", authors=["A. Author"], source="jsonl")
    ingest([replace(base, url_code="https://gitlab.com/a/b", url_project="https://a.example/")], store)
    assert store.get("2602.00001").paper.links_source == "jsonl"
    ingest([replace(base, title="A paper, v2", source="oai")], store)  # no links: the stored ones stay
    kept = store.get("2602.00001").paper
    assert (kept.url_code, kept.url_project, kept.links_source) == (
        "https://gitlab.com/a/b",
        "https://a.example/",
        "jsonl",
    )
    ingest([replace(base, url_code="https://github.com/a/b", source="hf-daily")], store)
    moved = store.get("2602.00001").paper
    assert (moved.url_code, moved.url_project, moved.links_source) == ("https://github.com/a/b", None, "hf-daily")


def test_papertide_jsonl_carries_the_details_both_ways() -> None:
    links = {"url_code": "https://github.com/x/y", "url_project": "https://x.example/", "links_source": "hf-daily"}
    paper = Paper(id="2602.23229", title="T", license=ARXIV_LICENCE, ai_summary="S.", ai_keywords=["k1", "k2"], **links)
    assert paper_from_dict(paper_to_dict(paper)) == paper
    with pytest.raises(RecordError) as caught:
        paper_from_dict({"id": "2602.23229", "title": "T", "ai_keywords": "k1"})
    assert caught.value.field == "ai_keywords"
    with pytest.raises(RecordError) as caught:
        paper_from_dict({"id": "2602.23229", "title": "T", "links_source": "x" * 33})
    assert caught.value.field == "links_source"
