"""The trending home page and ``/api/v1/trending`` through the ASGI app, over votes in a real SQLite store."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from papertide.config import Settings
from papertide.model import Signal
from papertide.store.db.schema import votes
from papertide.store.papers.store import PaperStore
from papertide.web.app import create_app
from tests.web.signin import services_of
from tests.web.voting import add_voter, vote

# attention this week: GPT-4o +100 Hugging Face upvotes (x 0.5: older than the week), Inf-CLIP 3 votes,
# Attention Is All You Need 2, Maldacena 1; all older than a week, so each carries the same handicap.
EXPECTED = ["2410.21276", "2410.17243", "1706.03762", "hep-th/9711200"]


def card_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/paper/([^"]+)" data-math>', html)


@pytest.fixture
def voted(settings: Settings, own_store: PaperStore) -> TestClient:
    """The web tests' papers with a week of attention, refreshed."""
    voters = [add_voter(own_store, f"reader{n}@example.org") for n in range(3)]
    for count, paper_id in ((3, "2410.17243"), (2, "1706.03762"), (1, "hep-th/9711200")):
        for voter in voters[:count]:
            vote(own_store, voter, paper_id)
    gpt4o = own_store.get("2410.21276").paper
    own_store.write_batch([replace(gpt4o, signals=[Signal("hf_upvotes", 161, own_store.now())])])  # was 61
    client = TestClient(create_app(settings, own_store))
    services_of(client).trending.refresh()
    return client


def test_the_home_page_lists_what_trends_and_why(voted: TestClient) -> None:
    html = voted.get("/").text
    assert card_ids(html) == EXPECTED
    reasons = re.findall(r'<p class="trend-reason">.*?</svg>([^<]+)</p>', html)
    assert reasons == [
        "+100 Hugging Face upvotes this week",
        "+3 upvotes this week",
        "+2 upvotes this week",
        "+1 upvote this week",
    ]
    assert re.search(r'aria-current="page">This week<', html)
    assert re.search(r'<a href="/" aria-current="page">Trending</a>', html)
    assert 'href="/?window=month"' in html
    assert 'href="/?category=cs.CV"' in html  # a card's category leads to what trends in it
    assert "Updated <time" in html
    assert "1.0 × the Hugging Face upvotes" in html  # the ranking explains itself with the live settings


def test_windows_and_category_filters(voted: TestClient) -> None:
    assert card_ids(voted.get("/", params={"window": "day"}).text) == EXPECTED  # every vote was cast just now
    in_cv = voted.get("/", params={"category": "cs.CV"}).text
    assert card_ids(in_cv) == ["2410.21276", "2410.17243"]
    assert 'href="/new?category=cs.CV"' in in_cv  # New, one tab away, keeps the filter
    assert '<input type="hidden" name="window" value="week">' in in_cv
    outside = voted.get("/", params={"category": "cs.*", "exclude": "cs.CV"}).text
    assert card_ids(outside) == ["1706.03762"]


def test_a_withdrawn_vote_leaves_the_list_after_the_refresh(voted: TestClient) -> None:
    store = services_of(voted).store
    with store.engine.begin() as conn:
        conn.execute(delete(votes).where(votes.c.paper_pk == store.get("hep-th/9711200").pk))
    services_of(voted).trending.refresh()
    assert card_ids(voted.get("/").text) == EXPECTED[:-1]


def test_an_empty_window_says_why_and_where_to_look(voted: TestClient) -> None:
    html = voted.get("/", params={"category": "quant-ph", "window": "day"}).text
    assert card_ids(html) == []
    assert "Nothing has drawn attention today in these categories" in html
    assert 'href="/?category=quant-ph&amp;window=month"' in html
    assert 'href="/new?category=quant-ph"' in html


def test_a_first_view_starts_the_first_refresh_in_the_background(settings: Settings, own_store: PaperStore) -> None:
    vote(own_store, add_voter(own_store, "early@example.org"), "1706.03762")
    client = TestClient(create_app(settings, own_store))
    html = client.get("/").text
    trending = services_of(client).trending
    for _ in range(1000):  # the refresh runs beside the request; wait for it, however slow the machine
        if not trending.is_stale():
            break
        time.sleep(0.01)
    assert "Trending is being computed" in html or card_ids(html) == ["1706.03762"]
    assert card_ids(client.get("/").text) == ["1706.03762"]


def test_bad_parameters_get_an_error_page(voted: TestClient) -> None:
    bad_window = voted.get("/", params={"window": "decade"})
    assert bad_window.status_code == 422
    assert "text/html" in bad_window.headers["content-type"]
    bad_category = voted.get("/", params={"category": "not a category!"})
    assert bad_category.status_code == 400
    assert "is not a category pattern" in bad_category.text


def test_the_api_gives_papers_scores_and_the_parts_of_each_reason(voted: TestClient) -> None:
    body = voted.get("/api/v1/trending").json()
    assert body["window"] == "week"
    assert body["as_of"] is not None
    assert [item["paper"]["id"] for item in body["papers"]] == EXPECTED
    first, second = body["papers"][:2]
    assert first["reason"] == {
        "upvotes": 0,
        "upvotes_counted": 0.0,
        "hf_upvotes": 100,
        "github_stars": 0,
        "text": "+100 Hugging Face upvotes this week",
    }
    assert first["score"] == pytest.approx(50.0)
    assert first["paper"]["upvotes"] == 161  # the summary shows the latest count; the reason its growth
    assert second["reason"]["upvotes"] == 3 and second["score"] == pytest.approx(1.5)
    scores = [item["score"] for item in body["papers"]]
    assert scores == sorted(scores, reverse=True)


def test_the_api_takes_window_filters_and_limit(voted: TestClient) -> None:
    def ids(**params: object) -> list[str]:
        return [item["paper"]["id"] for item in voted.get("/api/v1/trending", params=params).json()["papers"]]

    assert ids(window="month", limit=2) == EXPECTED[:2]
    assert ids(category=["cs.CV", "hep-th"]) == ["2410.21276", "2410.17243", "hep-th/9711200"]
    assert ids(exclude="cs.*") == ["hep-th/9711200"]


@pytest.mark.parametrize(
    ("params", "status"),
    [({"window": "year"}, 422), ({"limit": 0}, 422), ({"limit": 101}, 422), ({"category": "cs LG!"}, 400)],
)
def test_the_api_refuses_bad_parameters_with_a_problem(voted: TestClient, params: dict, status: int) -> None:
    response = voted.get("/api/v1/trending", params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"


def test_the_api_reference_documents_trending(voted: TestClient) -> None:
    schema = voted.get("/openapi.json").json()
    operation = schema["paths"]["/api/v1/trending"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrendingList"
    }
    assert {p["name"] for p in operation["parameters"]} == {"window", "category", "exclude", "limit"}
    reason = schema["components"]["schemas"]["TrendingReason"]["properties"]
    assert {"upvotes", "upvotes_counted", "hf_upvotes", "github_stars", "text"} == reason.keys()
    assert "/api/v1/trending" in voted.get("/docs").text


@pytest.mark.parametrize("page", ["/", "/new", "/search"])
def test_the_filter_forms_empty_fields_leave_the_address(voted: TestClient, page: str) -> None:
    # What the filter form sends with one chip ticked and its text fields left empty.
    sent = voted.get(page, params=[("window", "week"), ("category", "cs.LG"), ("category", ""), ("exclude", " ")],
                     follow_redirects=False)  # fmt: skip
    assert sent.status_code == 302 and sent.headers["location"] == f"{page}?window=week&category=cs.LG"
    assert voted.get(sent.headers["location"], follow_redirects=False).status_code == 200
    nothing = voted.get(page, params={"category": "", "exclude": ""}, follow_redirects=False)
    assert nothing.status_code == 302 and nothing.headers["location"] == page
