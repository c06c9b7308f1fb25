"""What visitors are served from renderings kept by their inputs (web/discussion/rendered.py): a discussion
and the "Most discussed" cards show every post, edit, vote, deletion and moderation at once, also when the
change is made through another app over the same database (another worker), and never carry a signed-in
reader's votes, buttons or CSRF token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papertide.config import load_settings
from papertide.store import open_store
from papertide.web.app import create_app
from tests.clock import ControlledClock
from tests.postgres import fresh_database_url
from tests.web.corpus import load_papers
from tests.web.library_helpers import post_form
from tests.web.signin import sign_in

PAPER = "1706.03762"
PAGE = f"/paper/{PAPER}"
FRAGMENT = f"/discussion/{PAPER}"


class Apps:
    """Two apps over one database, as two worker processes are (a visitor's and a writer's), on one clock."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        settings = load_settings(
            data_dir=tmp_path, database_url=database_url, comment_new_account_hours=0, comment_limit_per_hour=50
        )
        self.clock = ControlledClock()
        load_papers(open_store(settings.resolved_database_url))
        self.visitor, self.writer = (
            TestClient(create_app(settings, open_store(settings.resolved_database_url), clock=self.clock))
            for _ in range(2)
        )


@pytest.fixture
def apps(request: pytest.FixtureRequest, tmp_path: Path) -> Apps:
    return Apps(fresh_database_url(request, tmp_path), tmp_path)


def discussion_of(html: str) -> str:
    start = html.index('<section class="discussion"')
    return html[start : html.index("</section>", start)]


def seen(visitor: TestClient, path: str = PAGE) -> str:
    """The discussion section a visitor is served, twice (the second from what was kept): the same both times."""
    first, second = (discussion_of(visitor.get(path).text) for _ in range(2))
    assert first == second
    return first


def posted(writer: TestClient, path: str, data: dict | None = None) -> int:
    response = post_form(writer, path, data, page=PAGE, follow_redirects=False)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("-", 1)[1])


def test_a_visitor_sees_every_change_to_a_discussion_at_once(apps: Apps) -> None:
    visitor, writer = apps.visitor, apps.writer
    assert "No comments yet." in seen(visitor)

    sign_in(writer, "alice@example.org")
    first = posted(writer, f"{PAGE}/comments", {"body": "First *take*"})
    assert "First <em>take</em>" in seen(visitor) and "(1)" in seen(visitor)
    assert "First <em>take</em>" in seen(visitor, FRAGMENT)

    posted(writer, f"/comments/{first}/edit", {"body": "Second take"})
    html = seen(visitor)
    assert "Second take" in html and "First" not in html and "edited" in html

    sign_in(writer, "bob@example.org")
    reply = posted(writer, f"{PAGE}/comments", {"body": "A reply", "parent": str(first)})
    assert re.search(r'class="comment-score" title="Upvotes">▲ 0<', seen(visitor))
    posted(writer, f"/comments/{first}/vote", {"voted": "true"})
    assert re.search(rf'id="comment-{first}".*?▲ 1<', seen(visitor), re.S)
    posted(writer, f"/comments/{first}/vote", {"voted": "false"})
    assert re.search(rf'id="comment-{first}".*?▲ 0<', seen(visitor), re.S)

    moderator = sign_in(writer, "mod@example.org")
    writer.app.state.services.discussion.roles.grant("moderator", moderator.email)
    post_form(writer, f"/moderation/comments/{reply}/hide", {"note": "off topic"}, page=PAGE)
    html = seen(visitor)
    assert "A reply" not in html and f'id="comment-{reply}"' not in html
    post_form(writer, f"/moderation/comments/{reply}/restore", page=PAGE)
    assert "A reply" in seen(visitor)

    sign_in(writer, "alice@example.org")
    posted(writer, f"/comments/{first}/delete")
    html = seen(visitor)
    assert "This comment was deleted." in html and "Second take" not in html and "A reply" in html
    newest = seen(visitor, f"{PAGE}?comments=newest")
    assert '<strong aria-current="true">newest</strong>' in newest and "A reply" in newest


def test_a_visitor_is_never_served_a_signed_in_readers_rendering(apps: Apps) -> None:
    visitor, reader = apps.visitor, apps.writer
    sign_in(reader, "alice@example.org")
    mine = posted(reader, f"{PAGE}/comments", {"body": "Mine"})
    posted(reader, f"/comments/{mine}/vote", {"voted": "true"})
    beside = TestClient(reader.app)  # a visitor of the very app that renders for the reader
    for _ in range(2):  # each in turn, twice: neither is served what was rendered for the other
        own = discussion_of(reader.get(PAGE).text)
        assert "(you)" in own and "csrf_token" in own and 'aria-pressed="true"' in own and "Delete" in own
        for html in (discussion_of(beside.get(PAGE).text), seen(visitor)):
            assert "Mine" in html and "Sign in</a> to comment" in html
            assert "(you)" not in html and "csrf_token" not in html and "Delete" not in html
            assert "aria-pressed" not in html and "<textarea" not in html


def cards_of(html: str) -> str:
    start = html.index('<section aria-label="Most discussed papers"')
    return html[start : html.index("</section>", start)]


def count_link(count: str) -> str:
    return f'<a class="comment-count" href="/paper/{PAPER}#discussion">{count}</a>'


def test_the_most_discussed_cards_show_new_comments_and_votes_at_once(apps: Apps) -> None:
    visitor, writer = apps.visitor, apps.writer
    assert "Nobody has commented on a paper this week" in cards_of(visitor.get("/discussed").text)
    sign_in(writer, "alice@example.org")
    posted(writer, f"{PAGE}/comments", {"body": "One"})
    apps.clock.advance(minutes=1)  # the week's count is kept for the minute it was made in
    cards = cards_of(visitor.get("/discussed").text)
    assert "1 comment this week" in cards and count_link("1 comment") in cards

    posted(writer, f"{PAGE}/comments", {"body": "Two"})
    cards = cards_of(visitor.get("/discussed").text)  # the same minute: the week's count as it was
    assert "1 comment this week" in cards and count_link("2 comments") in cards  # the card's own: at once

    post_form(writer, f"/paper/{PAPER}/vote", {"voted": "true"}, page=PAGE)
    cards = cards_of(visitor.get("/discussed").text)
    assert '<span class="vote-count">1</span>' in cards
    assert 'aria-pressed="false"' in cards and 'aria-pressed="true"' not in cards and "csrf_token" not in cards
    own = cards_of(writer.get("/discussed").text)
    assert 'aria-pressed="true"' in own and "csrf_token" in own
    assert cards_of(visitor.get("/discussed").text) == cards  # the writer's rendering was not kept for visitors

    apps.clock.advance(minutes=1)
    assert "2 comments this week" in cards_of(visitor.get("/discussed").text)
