"""Discussions seen from outside the paper page: comment counts on cards, the "Most discussed" tab and
its API, and each discussion's Atom and RSS feed (content, escaping, validators, refusals)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papertide.config import load_settings
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore
from papertide.store.discussion.moderation import Actor, ModerationStore
from papertide.web.app import create_app
from tests.clock import ControlledClock
from tests.discussion.test_follow_mail import Commenting
from tests.web.corpus import load_papers

ATOM = "{http://www.w3.org/2005/Atom}"


class Site:
    def __init__(self, store: PaperStore, tmp_path: Path) -> None:
        self.clock = ControlledClock()
        load_papers(store)
        self.store = PaperStore(store.engine, clock=self.clock)
        self.papers = self.store.list_papers(limit=4).papers
        accounts = AccountStore(store.engine, self.clock)
        self.alice, self.bob = (accounts.get_or_create_user(f"{n}@example.org")[0].pk for n in ("alice", "bob"))
        self.comments = Commenting(store.engine, self.clock)
        settings = load_settings(data_dir=tmp_path, base_url="http://testserver")
        self.client = TestClient(create_app(settings, self.store, clock=self.clock))

    def say(self, index: int, body: str, user: int | None = None, parent: int | None = None):
        return self.comments.add(self.papers[index].pk, user or self.alice, body, parent)


@pytest.fixture
def site(store: PaperStore, tmp_path: Path) -> Site:
    return Site(store, tmp_path)


def counts_on(html: str) -> dict[str, str]:
    """Each card's comment count, by the paper it links to."""
    return dict(re.findall(r'<a class="comment-count" href="/paper/([^"#]+)#discussion">([^<]+)</a>', html))


def test_cards_show_how_many_comments_everyone_can_read(site: Site) -> None:
    first, second = site.papers[0].paper_id, site.papers[1].paper_id
    assert counts_on(site.client.get("/new").text) == {}  # no comments: no count
    site.say(0, "One")
    reply = site.say(0, "Two", site.bob)
    site.say(0, "Three", parent=reply.pk)
    hidden = site.say(1, "Hidden")
    ModerationStore(site.store.engine, site.clock).set_hidden(hidden.pk, Actor(None, "admin"), "spam")
    site.say(1, "Shown")
    deleted = site.say(1, "Deleted", site.bob)
    site.comments.delete(deleted.pk, site.bob)
    assert counts_on(site.client.get("/new").text) == {first: "3 comments", second: "1 comment"}


def test_most_discussed_this_week_counts_the_weeks_shown_comments(site: Site) -> None:
    site.say(2, "Old news")  # eight days before the others: outside the week
    site.clock.advance(days=8)
    for n in range(3):
        site.say(1, f"B{n}")
    site.say(0, "A")
    hidden = site.say(0, "A hidden")
    ModerationStore(site.store.engine, site.clock).set_hidden(hidden.pk, Actor(None, "admin"), "spam")
    site.say(0, "A deleted", site.bob)
    site.comments.delete(site.comments.thread(site.papers[0].pk)[-1].pk, site.bob)

    answer = site.client.get("/api/v1/discussed").json()
    listed = [(p["paper"]["id"], p["comments"]) for p in answer["papers"]]
    assert listed == [(site.papers[1].paper_id, 3), (site.papers[0].paper_id, 1)]
    assert answer["since"].startswith("2026-03-03T09:00")  # seven days before the app's now
    assert [p["paper"]["id"] for p in site.client.get("/api/v1/discussed?limit=1").json()["papers"]] == [
        site.papers[1].paper_id
    ]
    assert site.client.get("/api/v1/discussed?limit=0").status_code == 422
    assert site.client.get("/api/v1/discussed?limit=101").status_code == 422

    page = site.client.get("/discussed")
    assert page.status_code == 200
    assert '<a href="/discussed" aria-current="page">Most discussed</a>' in page.text
    assert "3 comments this week" in page.text and "1 comment this week" in page.text
    assert page.text.index(site.papers[1].paper_id) < page.text.index(site.papers[0].paper_id)
    assert site.papers[2].paper_id not in page.text
    assert '<a href="/discussed">Most discussed</a>' in site.client.get("/").text  # a tab beside trending

    site.clock.advance(days=8)
    assert site.client.get("/api/v1/discussed").json()["papers"] == []
    assert "Nobody has commented on a paper this week" in site.client.get("/discussed").text


def test_a_discussion_is_an_atom_and_rss_feed_newest_first_and_escaped(site: Site) -> None:
    paper = site.papers[0]
    first = site.say(0, "Plain **bold** & $x<y$")
    site.clock.advance(minutes=5)
    script = site.say(0, "<script>alert(1)</script> [link](javascript:alert(2)) ]]> \x01", site.bob, first.pk)
    hidden = site.say(0, "Hidden text")
    ModerationStore(site.store.engine, site.clock).set_hidden(hidden.pk, Actor(None, "admin"), "spam")

    atom = site.client.get(f"/feeds/paper/{paper.paper_id}/discussion.atom")
    assert atom.status_code == 200 and atom.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(atom.content)
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text.rsplit("-", 1)[1] for e in entries] == [str(script.pk), str(first.pk)]
    assert entries[0].find(f"{ATOM}title").text == "Reply by reader 2"
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert "<script" not in content.text and "&lt;script&gt;" in content.text  # inert text
    assert 'href="javascript' not in content.text and "\x01" not in content.text
    assert "<strong>bold</strong>" in entries[1].find(f"{ATOM}content").text
    assert b"Hidden text" not in atom.content
    assert root.find(f"{ATOM}title").text.startswith("Discussion of “")

    rss = site.client.get(f"/feeds/paper/{paper.paper_id}/discussion.rss")
    assert rss.status_code == 200
    items = ET.fromstring(rss.content).findall("./channel/item")
    assert len(items) == 2 and "<script" not in items[0].find("description").text

    again = site.client.get(atom.request.url, headers={"If-None-Match": atom.headers["etag"]})
    assert again.status_code == 304
    site.comments.edit(first.pk, site.alice, "Edited", "<p>Edited</p>")
    changed = site.client.get(atom.request.url, headers={"If-None-Match": atom.headers["etag"]})
    assert changed.status_code == 200 and b"Edited" in changed.content

    assert site.client.get(f"/feeds/paper/{paper.paper_id}/discussion.json").status_code == 404
    assert site.client.get("/feeds/paper/2410.99999/discussion.atom").status_code == 404
    empty = site.client.get(f"/feeds/paper/{site.papers[1].paper_id}/discussion.atom")
    assert empty.status_code == 200 and ET.fromstring(empty.content).findall(f"{ATOM}entry") == []
