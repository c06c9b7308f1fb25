"""The arXiv API source against recorded Atom responses (2026, and one from 2016) on a real local server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from papertide.errors import SourceError
from papertide.ingest.sources.arxiv_api import ArxivApiSource
from papertide.ingest.sources.http import HttpClient
from papertide.model import Paper, Version
from tests.sources.replay import FakeTime, RecordedServer, Reply, arxiv_api_reply, fixture_bytes

TESTING_PAGES = {
    "0": "q_testing_s0_m10_bc5a6c384fe9.json",
    "10": "q_testing_s10_m10_34e56e15aaac.json",
    "20": "q_testing_s20_m10_348a237fecab.json",
    "30": "q_testing_s30_m10_f2e39f0143dc.json",
    "40": "q_testing_s40_m10_96dd32eb854c.json",
    "50": "q_testing_s50_m10_7f488ab8598c.json",
}


def serve_testing_pages(query: dict[str, str]) -> Reply:
    return arxiv_api_reply(TESTING_PAGES[query["start"]])


def test_pages_through_a_query_at_arxivs_pace(server: RecordedServer, http: HttpClient, fake_time: FakeTime) -> None:
    url = server.route("/api/query", respond=serve_testing_pages)
    source = ArxivApiSource(
        http, search_query="testing", max_results=60, page_size=10, sort_by="relevance", base_url=url
    )

    found = list(source.items())

    assert len(found) == 60
    assert all(isinstance(paper, Paper) for paper in found)
    assert [request.query["start"] for request in server.requests] == ["0", "10", "20", "30", "40", "50"]
    assert server.requests[0].query == {
        "search_query": "testing",
        "id_list": "",
        "sortBy": "relevance",
        "sortOrder": "descending",
        "start": "0",
        "max_results": "10",
    }
    assert fake_time.sleeps == [3.0] * 5  # at most one request every three seconds
    assert [paper.id for paper in found[:3]] == ["2202.12139", "2405.13786", "2005.14124"]
    assert [paper.id for paper in found[-3:]] == ["2104.12832", "2012.06822", "2101.09077"]


def test_entry_fields(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", respond=serve_testing_pages)

    first, _, third = list(ArxivApiSource(http, search_query="testing", max_results=3, base_url=url).items())

    assert server.requests[0].query["max_results"] == "3"
    assert first.id == "2202.12139"
    assert first.version == 1
    assert first.title == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert first.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert first.categories == ["cs.SE", "cs.LG"]
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.comments == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")
    assert first.submitted == first.updated == datetime(2022, 2, 24, 15, 5, 19, tzinfo=UTC)
    assert first.abstract.startswith("Deep Learning (DL) has revolutionized")
    assert first.source == "arxiv"
    assert first.url_abs == "https://arxiv.org/abs/2202.12139"
    assert first.url_pdf == "https://arxiv.org/pdf/2202.12139"
    assert third.id == "2005.14124"
    assert third.version == 2
    assert third.categories == ["cs.SE", "cs.CR", "cs.LG"]
    assert third.versions == [
        Version(1, datetime(2020, 5, 28, 16, 19, 50, tzinfo=UTC)),
        Version(2, datetime(2020, 7, 16, 8, 15, 48, tzinfo=UTC)),
    ]


def test_id_list_with_utf8_authors(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json"))

    [paper] = list(ArxivApiSource(http, id_list=["0808.05394", "1707.08567"], base_url=url).items())

    assert server.requests[0].query["id_list"] == "0808.05394,1707.08567"
    assert len(server.requests) == 1  # totalResults (1) reached
    assert paper.id == "1707.08567"
    assert paper.title == "Proceedings of Workshop AEW10: Concepts in Information Theory and Communications"
    assert len(paper.authors) == 34
    assert paper.authors[0] == "Kees A. Schouhamer Immink"
    assert "Dirk Wübben" in paper.authors
    assert paper.categories == ["cs.IT"]


def test_old_style_id(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_astro-ph_0601001_s0_m100_3150dca9dc76.json"))

    [paper] = list(ArxivApiSource(http, id_list=["astro-ph/0601001"], base_url=url).items())

    assert paper.id == "astro-ph/0601001"
    assert paper.version == 1
    assert paper.journal_ref == "ActaAstron.56:1-50,2006"
    assert paper.authors == ["Andrew Gould", "Susan Dorsher", "B. Scott Gaudi", "Andrzej Udalski"]
    assert paper.categories == ["astro-ph"]
    assert paper.url_abs == "https://arxiv.org/abs/astro-ph/0601001"


def test_2016_feed_primary_category_first(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", Reply(fixture_bytes("arxiv-api", "xml-2016", "id_list=1111.2011v2.xml")))

    [paper] = list(ArxivApiSource(http, id_list=["1111.2011v2"], base_url=url).items())

    assert paper.id == "1111.2011"
    assert paper.version == 2
    assert paper.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert paper.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert paper.submitted == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert paper.updated == datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)


def test_empty_result_stops(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_0000.0000_s0_m100_8b51d9633a68.json"))

    assert list(ArxivApiSource(http, id_list=["0000.0000"], base_url=url).items()) == []
    assert len(server.requests) == 1


def test_http_400_carries_the_api_message(server: RecordedServer, http: HttpClient) -> None:
    reply = arxiv_api_reply("id_abc_s0_m100_b79c8dcf6bc3.json")
    assert reply.status == 400
    url = server.route("/api/query", reply)

    with pytest.raises(SourceError, match="incorrect id format for abc"):
        list(ArxivApiSource(http, id_list=["abc"], base_url=url).items())

    assert len(server.requests) == 1  # a bad query is not retried


def test_error_entry_with_status_200_is_an_error_too(server: RecordedServer, http: HttpClient) -> None:
    reply = arxiv_api_reply("id_abc_s0_m100_b79c8dcf6bc3.json")
    reply.status = 200
    url = server.route("/api/query", reply)

    with pytest.raises(SourceError, match=r"arXiv API rejected the query .*incorrect id format for abc"):
        list(ArxivApiSource(http, id_list=["abc"], base_url=url).items())


def test_categories_and_query_are_combined(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_0000.0000_s0_m100_8b51d9633a68.json"))

    list(ArxivApiSource(http, search_query="ti:transformer", categories=["cs.LG", "cs.CL"], base_url=url).items())

    assert server.requests[0].query["search_query"] == "(cat:cs.LG OR cat:cs.CL) AND (ti:transformer)"
    assert server.requests[0].query["sortBy"] == "submittedDate"


def test_needs_something_to_ask_for(http: HttpClient) -> None:
    with pytest.raises(ValueError, match="search_query"):
        ArxivApiSource(http)
