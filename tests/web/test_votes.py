"""Upvotes through the app: the form without JavaScript, the JSON API, sign-in on the way, CSRF."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.store import open_store
from papertide.web.app import create_app
from tests.web.library_helpers import bearer, post_form
from tests.web.signin import csrf_token, sign_in

PAPER = "1706.03762"


@pytest.fixture
def client(settings: Settings, own_store) -> TestClient:
    return TestClient(create_app(settings, own_store))


def vote_button(html: str, paper_id: str = PAPER) -> tuple[str, str]:
    """(aria-pressed, count) of the vote button of ``paper_id`` on a page."""
    form = re.search(
        rf'<form class="vote" method="post" action="/paper/{re.escape(paper_id)}/vote".*?</form>', html, re.S
    )
    assert form, f"no vote button for {paper_id}"
    pressed = re.search(r'aria-pressed="(\w+)"', form.group(0)).group(1)
    count = re.search(r'<span class="vote-count">(\d+)</span>', form.group(0)).group(1)
    return pressed, count


def test_the_vote_form_works_without_javascript_and_returns_to_the_page(client: TestClient) -> None:
    sign_in(client, "voter@example.org")
    page = f"/paper/{PAPER}"
    assert vote_button(client.get(page).text) == ("false", "0")
    response = post_form(client, f"{page}/vote", {"voted": "true", "next": "/search?q=attention"}, page=page,
                         follow_redirects=False)  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"] == "/search?q=attention"
    assert vote_button(client.get(page).text) == ("true", "1")
    assert vote_button(client.get("/new?window=all").text) == ("true", "1")  # cards show it too
    post_form(client, f"{page}/vote", {"voted": "false", "next": page}, page=page)
    assert vote_button(client.get(page).text) == ("false", "0")


def test_the_vote_form_refuses_to_send_the_reader_off_site(client: TestClient) -> None:
    sign_in(client)
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = post_form(client, f"/paper/{PAPER}/vote", {"voted": "true", "next": target}, follow_redirects=False)
        assert response.headers["location"] == f"/paper/{PAPER}"


def test_signed_out_voters_sign_in_and_come_back_to_the_paper(client: TestClient) -> None:
    """A visitor's button is a bare form (no token: pressing it changes nothing but where they are)."""
    html = client.get("/new?window=all").text
    form = re.search(rf'<form class="vote" method="post" action="/paper/{PAPER}/vote">.*?</form>', html, re.S)
    assert form and "csrf_token" not in form.group(0)
    for data in ({}, {"voted": "true", "next": "/new?window=all", "csrf_token": "stale"}):
        response = client.post(f"/paper/{PAPER}/vote", data=data, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/signin?next=%2Fpaper%2F{PAPER}"
        assert "papertide_pending" not in response.headers.get("set-cookie", "")  # see test_pending_action
    assert client.get(f"/api/v1/papers/{PAPER}").json()["votes"] == 0


def test_the_vote_form_needs_the_csrf_token(client: TestClient) -> None:
    sign_in(client)
    csrf_token(client, "/")
    response = client.post(f"/paper/{PAPER}/vote", data={"voted": "true"})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert vote_button(client.get(f"/paper/{PAPER}").text) == ("false", "0")


def test_voting_on_an_unknown_paper_is_404(client: TestClient) -> None:
    sign_in(client)
    assert post_form(client, "/paper/2999.99999/vote", {"voted": "true"}).status_code == 404


def test_the_api_votes_with_a_bearer_token(client: TestClient) -> None:
    _, headers = bearer(client, "bot@example.org")
    body = client.post(f"/api/v1/papers/arXiv:{PAPER}v2/vote", headers=headers).json()
    assert body == {"paper_id": PAPER, "voted": True, "votes": 1}
    assert client.post(f"/api/v1/papers/{PAPER}/vote", headers=headers).json()["votes"] == 1  # idempotent
    assert client.get(f"/api/v1/papers/{PAPER}").json()["votes"] == 1
    listed = {p["id"]: p["votes"] for p in client.get("/api/v1/papers", params={"limit": 100}).json()["papers"]}
    assert listed[PAPER] == 1 and listed["1512.03385"] == 0
    assert client.delete(f"/api/v1/papers/{PAPER}/vote", headers=headers).json() == {
        "paper_id": PAPER, "voted": False, "votes": 0,
    }  # fmt: skip
    assert client.post("/api/v1/papers/hep-th/9711200/vote", headers=headers).json()["paper_id"] == "hep-th/9711200"


def test_the_api_refuses_votes_without_an_account_or_csrf_token(client: TestClient) -> None:
    anonymous = client.post(f"/api/v1/papers/{PAPER}/vote")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert client.delete(f"/api/v1/papers/{PAPER}/vote").status_code == 401
    sign_in(client)
    assert client.post(f"/api/v1/papers/{PAPER}/vote").status_code == 403  # a session alone: no CSRF token
    token = csrf_token(client, "/")
    answer = client.post(f"/api/v1/papers/{PAPER}/vote", headers={"X-CSRF-Token": token})
    assert answer.json()["voted"] is True  # what app.js sends
    assert client.post("/api/v1/papers/2999.99999/vote", headers={"X-CSRF-Token": token}).status_code == 404


def test_api_writes_answer_as_the_readme_says(client: TestClient) -> None:
    """README: 401 without any credential or with an unknown token; 403 for a session without a valid CSRF token."""
    unknown = client.post(f"/api/v1/papers/{PAPER}/vote", headers={"Authorization": "Bearer pt_unknown"})
    assert unknown.status_code == 401 and "unknown or has been revoked" in unknown.json()["detail"]
    sign_in(client)
    csrf_token(client, "/")  # the browser holds the CSRF cookie, but sends a stale token
    stale = client.post(f"/api/v1/papers/{PAPER}/vote", headers={"X-CSRF-Token": "stale"})
    assert stale.status_code == 403 and "CSRF" in stale.json()["detail"]


def test_two_app_instances_voting_at_once_count_exactly(settings: Settings, own_store) -> None:
    """Two servers over one database: 48 accounts vote through both, 12 requests in flight at a time."""
    apps = [create_app(settings, own_store), create_app(settings, open_store(settings.resolved_database_url))]
    tokens = [bearer(TestClient(apps[0]), f"crowd{n}@example.org")[1] for n in range(48)]
    start = threading.Barrier(12)

    def run(i: int) -> list[int]:
        client = TestClient(apps[i % 2])
        start.wait()
        return [client.post(f"/api/v1/papers/{PAPER}/vote", headers=headers).status_code for headers in tokens[i::12]]

    with ThreadPoolExecutor(12) as pool:
        statuses = [status for chunk in pool.map(run, range(12)) for status in chunk]
    assert statuses == [200] * 48
    assert TestClient(apps[1]).get(f"/api/v1/papers/{PAPER}").json()["votes"] == 48
