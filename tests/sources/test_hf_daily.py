"""Hugging Face daily papers: the recorded 2024 response and a recorded 2026-schema item."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from papertide.errors import RecordError, SourceError
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.hf_daily import HfDailySource
from papertide.ingest.sources.http import HttpClient
from papertide.model import Paper, Signal
from papertide.store.papers.store import PaperFilter, PaperStore
from tests.sources.replay import RecordedServer, Reply, fixture_bytes

FETCHED_AT = datetime(2024, 10, 25, 18, 0, tzinfo=UTC)
DAY_2024 = fixture_bytes("hf-daily-papers", "daily_papers_2024-10-25.json")
# The 2026 item was recorded on its own; the API answers with a list of such items.
ITEM_2026 = fixture_bytes("hf-daily-papers", "daily_papers_entry_2026-03-06_2602.23229.json")
DAY_2026 = b"[" + ITEM_2026 + b"]"


def json_reply(body: bytes) -> Reply:
    return Reply(body, headers={"Content-Type": "application/json"})


def fetch(http: HttpClient, url: str, **kwargs: object) -> list:
    return list(HfDailySource(http, base_url=url, clock=lambda: FETCHED_AT, **kwargs).items())


def test_2024_schema(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/daily_papers", json_reply(DAY_2024))

    found = fetch(http, url, start=date(2024, 10, 25))

    assert server.requests[0].query == {"date": "2024-10-25"}
    assert len(found) == 29
    assert all(isinstance(paper, Paper) for paper in found)
    first = found[0]
    assert first.id == "2410.17243"
    assert first.title.startswith("Breaking the Memory Barrier: Near Infinite Batch Size Scaling for")
    assert first.abstract.startswith("Contrastive loss is a powerful approach for representation learning")
    assert first.authors[0] == "Zesen Cheng"
    assert first.submitted == datetime(2024, 10, 22, 17, 59, 30, tzinfo=UTC)
    assert first.signals == [Signal("hf_upvotes", 64.0, FETCHED_AT)]
    assert first.url_code is None
    assert first.url_abs == "https://arxiv.org/abs/2410.17243"
    assert first.source == "hf-daily"
    assert [paper.signals[0].value for paper in found[:5]] == [64, 41, 37, 35, 28]
    assert found[-1].id == "2410.18234"


def test_2026_schema_with_github(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/daily_papers", json_reply(DAY_2026))

    [paper] = fetch(http, url, start=date(2026, 3, 6))

    assert paper.id == "2602.23229"
    assert paper.title == "Large Multimodal Models as General In-Context Classifiers"
    assert paper.authors == ["Marco Garosi", "Matteo Farina", "Alessandro Conti", "Massimiliano Mancini", "Elisa Ricci"]
    assert paper.url_code == "https://github.com/marco-garosi/CIRCLE"
    assert paper.signals == [Signal("hf_upvotes", 10.0, FETCHED_AT), Signal("github_stars", 9.0, FETCHED_AT)]
    assert paper.submitted == datetime(2026, 2, 26, 17, 8, 18, tzinfo=UTC)


def test_date_range_is_one_request_per_day(server: RecordedServer, http: HttpClient) -> None:
    bodies = {"2024-10-25": DAY_2024, "2024-10-26": b"[]", "2024-10-27": DAY_2026}
    url = server.route("/api/daily_papers", respond=lambda query: json_reply(bodies[query["date"]]))

    found = fetch(http, url, start=date(2024, 10, 25), end=date(2024, 10, 27))

    assert [request.query["date"] for request in server.requests] == ["2024-10-25", "2024-10-26", "2024-10-27"]
    assert len(found) == 30
    assert found[-1].id == "2602.23229"


def test_default_day_is_today_by_the_clock(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/daily_papers", json_reply(b"[]"))

    assert fetch(http, url) == []
    assert server.requests[0].query == {"date": "2024-10-25"}


def test_bad_entry_is_reported_and_the_rest_load(server: RecordedServer, http: HttpClient) -> None:
    listing = json.loads(DAY_2024)
    listing[1]["paper"]["upvotes"] = "many"
    listing[2]["paper"]["id"] = "not-an-id"
    url = server.route("/api/daily_papers", json_reply(json.dumps(listing).encode()))

    found = fetch(http, url, start=date(2024, 10, 25))

    errors = [item for item in found if isinstance(item, RecordError)]
    assert len(found) == 29
    assert [(error.field, error.location.rsplit(" ", 1)[-1]) for error in errors] == [
        ("paper.upvotes", "1"),
        ("paper.id", "2"),
    ]
    assert "date=2024-10-25" in errors[0].location


def test_answer_that_is_not_a_list(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/daily_papers", json_reply(b'{"error": "Invalid date"}'))

    with pytest.raises(SourceError, match="not a list"):
        fetch(http, url, start=date(2024, 10, 25))


# -- categories: Hugging Face lists none, arXiv's record has them --------------------------------


def arxiv_record(paper_id: str, categories: list[str]) -> Paper:
    """The arXiv record of a paper Hugging Face lists (as OAI-PMH or the arXiv API store it)."""
    return Paper(id=paper_id, title="Its arXiv title", abstract="Its arXiv abstract.", authors=["A. Author"],
                 categories=categories, submitted=datetime(2024, 10, 22, tzinfo=UTC), source="oai")  # fmt: skip


def test_the_response_carries_no_arxiv_categories(server: RecordedServer, http: HttpClient) -> None:
    """Neither schema has them (2026's ``ai_keywords`` are free words such as 'Vision-Language Models', not
    categories), so a listed paper's categories can only come from its arXiv record."""
    url = server.route("/api/daily_papers", json_reply(b"[" + ITEM_2026 + b"," + DAY_2024[1:]))
    assert all(paper.categories == [] for paper in fetch(http, url, start=date(2026, 3, 6)))
    item = json.loads(ITEM_2026)["paper"]
    assert not {"categories", "primary_category", "arxiv_categories"} & item.keys()


def test_listed_papers_keep_the_categories_of_their_stored_arxiv_record(
    server: RecordedServer, http: HttpClient, store: PaperStore
) -> None:
    url = server.route("/api/daily_papers", json_reply(DAY_2024))
    ingest([arxiv_record("2410.17243", ["cs.CV", "cs.LG"])], store)  # arXiv first, then Hugging Face
    summary = ingest(HfDailySource(http, base_url=url, start=date(2024, 10, 25), clock=lambda: FETCHED_AT).items(),
                     store)  # fmt: skip
    assert summary.rejected == 0 and summary.added == 28
    kept = store.get("2410.17243")
    assert kept.paper.categories == ["cs.CV", "cs.LG"] and kept.signals["hf_upvotes"].value == 64
    assert kept.title.startswith("Breaking the Memory Barrier")  # Hugging Face's text, arXiv's categories
    in_vision = store.list_papers(PaperFilter(categories=("cs.CV",)), limit=50).papers
    assert [paper.paper_id for paper in in_vision] == ["2410.17243"]


def test_an_arxiv_record_stored_later_fills_the_categories(
    server: RecordedServer, http: HttpClient, store: PaperStore
) -> None:
    url = server.route("/api/daily_papers", json_reply(DAY_2026))
    ingest(HfDailySource(http, base_url=url, start=date(2026, 3, 6), clock=lambda: FETCHED_AT).items(), store)
    assert store.get("2602.23229").paper.categories == []
    ingest([arxiv_record("2602.23229", ["cs.CV"])], store)
    listed = store.list_papers(PaperFilter(categories=("cs.CV",)), limit=5).papers
    assert [paper.paper_id for paper in listed] == ["2602.23229"]
    assert listed[0].signals["github_stars"].value == 9  # Hugging Face's signals stay
