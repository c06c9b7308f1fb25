"""The discussion through the app: forms without JavaScript (post/redirect/get, CSRF), the JSON API with
tokens, the moderation page (404 to non-moderators), and every refusal as a clear error that changes nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papertide.config import load_settings
from papertide.store import open_store
from papertide.web.app import create_app
from tests.postgres import fresh_database_url
from tests.web.corpus import load_papers
from tests.web.library_helpers import bearer, post_form
from tests.web.signin import services_of, sign_in

PAPER = "1706.03762"
OTHER = "2410.17243"
PAGE = f"/paper/{PAPER}"


@pytest.fixture
def client(request: pytest.FixtureRequest, tmp_path: Path) -> TestClient:
    settings = load_settings(
        data_dir=tmp_path,
        database_url=fresh_database_url(request, tmp_path),
        comment_new_account_hours=0,
        comment_limit_per_hour=5,
        comment_max_chars=500,
    )
    store = open_store(settings.resolved_database_url)
    load_papers(store)
    return TestClient(create_app(settings, store))


def comment_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<article class="comment[^"]*" id="comment-(\d+)"', html)]


def post(client: TestClient, path: str, data: dict | None = None, **kwargs):
    return post_form(client, path, data, page=PAGE, follow_redirects=False, **kwargs)


def test_comment_reply_edit_vote_and_delete_without_javascript(client: TestClient) -> None:
    sign_in(client, "alice@example.org")
    response = post(client, f"{PAGE}/comments", {"body": "Nice *paper*, $a_i$"})
    assert response.status_code == 303
    first = int(response.headers["location"].rsplit("-", 1)[1])
    assert response.headers["location"] == f"{PAGE}#comment-{first}"
    html = client.get(PAGE).text
    assert "Nice <em>paper</em>, $a_i$" in html and 'id="discussion"' in html

    sign_in(client, "bob@example.org")
    reply = post(client, f"{PAGE}/comments", {"body": "Agreed", "parent": str(first)})
    second = int(reply.headers["location"].rsplit("-", 1)[1])
    assert post(client, f"/comments/{first}/vote", {"voted": "true"}).headers["location"] == f"{PAGE}#comment-{first}"
    assert re.search(rf'id="comment-{first}".*?aria-pressed="true"', client.get(PAGE).text, re.S)
    assert post(client, f"/comments/{second}/edit", {"body": "Agreed, mostly"}).status_code == 303
    html = client.get(PAGE).text
    assert "Agreed, mostly" in html and "edited" in html
    assert comment_ids(html) == [first, second]
    assert comment_ids(client.get(f"{PAGE}?comments=newest").text) == [first, second]  # replies stay under theirs

    sign_in(client, "alice@example.org")
    assert post(client, f"/comments/{first}/delete").status_code == 303
    html = client.get(PAGE).text
    assert "This comment was deleted." in html and "Agreed, mostly" in html
    assert "Nice <em>paper</em>" not in html


def test_refusals_are_clear_and_change_nothing(client: TestClient) -> None:
    sign_in(client, "alice@example.org")
    mine = int(post(client, f"{PAGE}/comments", {"body": "Mine"}).headers["location"].rsplit("-", 1)[1])
    empty = post(client, f"{PAGE}/comments", {"body": "   "})
    assert empty.status_code == 400 and "the comment is empty" in empty.text
    long = post(client, f"{PAGE}/comments", {"body": "x" * 501})
    assert long.status_code == 413 and "501 characters long; the most is 500" in long.text
    across = post_form(client, f"/paper/{OTHER}/comments", {"body": "Hi", "parent": str(mine)}, page=PAGE)
    assert across.status_code == 400 and "not on this paper" in across.text
    sign_in(client, "bob@example.org")
    assert post(client, f"/comments/{mine}/edit", {"body": "Taken"}).status_code == 404
    assert post(client, f"/comments/{mine}/delete").status_code == 404
    no_token = client.post(f"{PAGE}/comments", data={"body": "forged"}, follow_redirects=False)
    assert no_token.status_code == 403
    assert comment_ids(client.get(PAGE).text) == [mine]
    assert "Mine" in client.get(PAGE).text


def test_script_in_markdown_is_inert_on_the_page(client: TestClient) -> None:
    sign_in(client, "mallory@example.org")
    post(
        client,
        f"{PAGE}/comments",
        {"body": "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"},
    )
    html = client.get(PAGE).text
    body = re.search(r'<div class="comment-body" data-math>(.*?)</div>', html, re.S).group(1)
    assert "<script" not in body and "<img" not in body and 'href="javascript' not in body
    assert "&lt;script&gt;" in body


def test_signed_out_readers_see_comments_and_are_asked_to_sign_in(client: TestClient) -> None:
    sign_in(client, "alice@example.org")
    post(client, f"{PAGE}/comments", {"body": "Visible to all"})
    client.cookies.clear()
    html = client.get(PAGE).text
    assert "Visible to all" in html and "to comment." in html and 'name="body"' not in html
    response = post(client, f"{PAGE}/comments", {"body": "anonymous"})
    assert response.status_code == 303 and response.headers["location"].startswith("/signin?next=")
    assert "anonymous" not in client.get(PAGE).text


def test_the_json_api_reads_and_writes_with_tokens(client: TestClient) -> None:
    _, alice_auth = bearer(client, "alice@example.org")
    _, bob_auth = bearer(client, "bob@example.org")
    api = f"/api/v1/papers/{PAPER}/comments"
    assert client.post(api, json={"body": "no account"}).status_code == 401
    created = client.post(api, json={"body": "Via **API**"}, headers=alice_auth)
    assert created.status_code == 201
    top = created.json()
    assert top["html"] == "<p>Via <strong>API</strong></p>\n" and top["mine"] and top["depth"] == 0
    reply = client.post(api, json={"body": "Reply", "parent": top["id"]}, headers=bob_auth).json()
    thread = client.get(api).json()
    assert [(c["id"], c["depth"], c["parent"]) for c in thread["comments"]] == [
        (top["id"], 0, None),
        (reply["id"], 1, top["id"]),
    ]
    assert client.patch(f"/api/v1/comments/{top['id']}", json={"body": "x"}, headers=bob_auth).status_code == 404
    edited = client.patch(f"/api/v1/comments/{top['id']}", json={"body": "Edited"}, headers=alice_auth).json()
    assert edited["edited"] is not None and edited["body"] == "Edited"
    vote = client.post(f"/api/v1/comments/{top['id']}/vote", headers=bob_auth).json()
    assert vote == {"comment_id": top["id"], "voted": True, "score": 1}
    assert client.delete(f"/api/v1/comments/{top['id']}/vote", headers=bob_auth).json()["score"] == 0
    report = client.post(f"/api/v1/comments/{top['id']}/report", json={"reason": "spam"}, headers=bob_auth)
    assert report.json() == {"comment_id": top["id"], "new": True}
    across = client.post(f"/api/v1/papers/{OTHER}/comments", json={"body": "x", "parent": top["id"]}, headers=bob_auth)
    assert across.status_code == 400 and "not on this paper" in across.json()["detail"]
    big = client.post(api, json={"body": "y" * 501}, headers=bob_auth)
    assert big.status_code == 413 and big.headers["content-type"].startswith("application/problem+json")
    assert client.delete(f"/api/v1/comments/{top['id']}", headers=bob_auth).status_code == 404
    assert client.delete(f"/api/v1/comments/{top['id']}", headers=alice_auth).status_code == 204
    gone = client.post(api, json={"body": "late", "parent": top["id"]}, headers=bob_auth)
    assert gone.status_code == 400 and "has been deleted" in gone.json()["detail"]
    assert [c["state"] for c in client.get(api).json()["comments"]] == ["deleted", "shown"]
    assert client.get("/api/v1/comments/999999").status_code == 404


def test_read_only_tokens_cannot_comment(client: TestClient) -> None:
    services = services_of(client)
    user, _ = services.accounts.get_or_create_user("reader@example.org")
    from papertide.accounts.tokens import API_TOKEN_PREFIX, new_token, token_hash

    token = new_token(API_TOKEN_PREFIX)
    services.accounts.add_api_token(user.pk, "read", token_hash(token), scope="read")
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(f"/api/v1/papers/{PAPER}/comments", json={"body": "hi"}, headers=headers)
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert client.get(f"/api/v1/papers/{PAPER}/comments", headers=headers).json()["comments"] == []


def test_rate_limit_answers_429_with_retry_after(client: TestClient) -> None:
    _, auth = bearer(client, "busy@example.org")
    api = f"/api/v1/papers/{PAPER}/comments"
    for n in range(5):
        assert client.post(api, json={"body": f"comment {n}"}, headers=auth).status_code == 201
    refused = client.post(api, json={"body": "one too many"}, headers=auth)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "posted 5 comments in an hour" in refused.json()["detail"]
    assert len(client.get(api).json()["comments"]) == 5


def test_moderators_hide_restore_and_suspend_others_get_404(client: TestClient) -> None:
    services = services_of(client)
    sign_in(client, "alice@example.org")
    spam = int(post(client, f"{PAGE}/comments", {"body": "Buy pills"}).headers["location"].rsplit("-", 1)[1])
    sign_in(client, "bob@example.org")
    assert post(client, f"/comments/{spam}/report", {"reason": "advertising"}).status_code == 303
    assert client.get("/moderation").status_code == 404
    assert post(client, f"/moderation/comments/{spam}/hide", {"note": "no"}).status_code == 404
    client.cookies.clear()
    assert client.get("/moderation").status_code == 404

    moderator = sign_in(client, "mod@example.org")
    services.discussion.roles.grant("moderator", moderator.email)
    queue = client.get("/moderation").text
    assert "advertising" in queue and "alice@example.org" in queue
    hidden = post_form(client, f"/moderation/comments/{spam}/hide", {"note": "advertising", "next": "/moderation"},
                       page="/moderation", follow_redirects=False)  # fmt: skip
    assert hidden.status_code == 303 and hidden.headers["location"] == "/moderation"
    assert "No open reports." in client.get("/moderation").text
    assert "Hidden by a moderator: advertising" in client.get(PAGE).text  # moderators see it, with the note

    sign_in(client, "bob@example.org")
    assert "Buy pills" not in client.get(PAGE).text and spam not in comment_ids(client.get(PAGE).text)
    alice = sign_in(client, "alice@example.org")
    assert "Buy pills" in client.get(PAGE).text and "Hidden by a moderator: advertising" in client.get(PAGE).text

    sign_in(client, "mod@example.org")
    suspended = post_form(client, f"/moderation/accounts/{alice.pk}/suspend", {"note": "spammer"},
                          page="/moderation", follow_redirects=False)  # fmt: skip
    assert suspended.status_code == 303
    log = client.get("/moderation").text
    assert "suspend" in log and "hide" in log and "mod@example.org" in log
    sign_in(client, "alice@example.org")
    refused = post(client, f"{PAGE}/comments", {"body": "Again"})
    assert refused.status_code == 403 and "suspended it (spammer)" in refused.text
    sign_in(client, "mod@example.org")
    post_form(client, f"/moderation/comments/{spam}/restore", page="/moderation")
    client.cookies.clear()
    assert "Buy pills" in client.get(PAGE).text
