"""Following a discussion: follows from comments and from the form, the hourly batching of the mail
(a controlled clock), delivery to a real SMTP server, and the RFC 8058 one-click unfollow."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from papertide.config import Settings, load_settings
from papertide.digest.send import mailer_relay
from papertide.discussion.render import render_markdown
from papertide.mail import Mailer
from papertide.services import Services
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore
from papertide.store.db.schema import discussion_outbox
from papertide.store.digest.bounces import BounceStore
from papertide.store.discussion.comments import Comment, CommentStore
from papertide.store.discussion.follows import FollowStore, NotificationOutbox
from papertide.store.discussion.moderation import Actor, ModerationStore
from papertide.web.app import create_app
from papertide.worker.runner import Worker
from tests.clock import ControlledClock
from tests.mail_server import MailServer
from tests.store.test_votes import paper
from tests.web.signin import csrf_token, sign_in
from tests.worker.test_daily import NoDigests


class Commenting(CommentStore):
    """The comment store as the tests write to it: the HTML rendered as posting renders it."""

    def add(self, paper_pk: int, user_pk: int, body: str, parent_pk: int | None = None) -> Comment:  # type: ignore[override]
        return super().add(paper_pk, user_pk, body, render_markdown(body), parent_pk)


UNFOLLOW = re.compile(r"<(http://testserver(/unfollow/[0-9]+\.[0-9]+\.[A-Za-z0-9_-]+))>")


class World:
    """Two papers, three readers, a worker that runs only the discussion mail, on one controlled clock."""

    def __init__(self, store: PaperStore, settings: Settings) -> None:
        self.clock = ControlledClock()
        self.store = PaperStore(store.engine, clock=self.clock)
        self.store.write_batch([paper("2410.00001", title="Attention $\\alpha$ <b>bold</b>"), paper("2410.00002")])
        self.papers = [p.pk for p in self.store.get_many_by_id(["2410.00001", "2410.00002"])]
        accounts = AccountStore(store.engine, self.clock)
        self.alice, self.bob, self.carol = (
            accounts.get_or_create_user(f"{name}@example.org")[0].pk for name in ("alice", "bob", "carol")
        )
        self.comments = Commenting(store.engine, self.clock)
        self.follows = FollowStore(store.engine, self.clock)
        self.settings = settings
        mailer = Mailer.from_settings(settings)
        services = Services(settings, self.store, clock=self.clock)
        self.worker = Worker(services, NoDigests(), lambda: mailer_relay(mailer))
        self.worker.jobs = [job for job in self.worker.default_jobs() if job.name == "discussion-mail"]

    def tick(self, minutes: float = 0) -> None:
        self.clock.advance(minutes=minutes)
        results, _delivery = self.worker.tick()
        assert all(result.ok for result in results), results


@pytest.fixture
def world(store: PaperStore, mail_settings: Settings) -> World:
    return World(store, mail_settings.model_copy(update={"base_url": "http://testserver"}))


def plain(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def to(messages: list[EmailMessage], address: str) -> list[EmailMessage]:
    return [m for m in messages if m["To"] == address]


def test_commenters_follow_and_hear_of_others_comments_batched_hourly(world: World, smtp_server: MailServer) -> None:
    first, _ = world.papers
    world.comments.add(first, world.alice, "What about $x^2$?")
    world.tick()  # alice now follows; nobody else said anything
    assert world.follows.followers(first) == [world.alice]
    assert smtp_server.messages == []

    world.comments.add(first, world.bob, "Good point & <script>alert(1)</script>")
    world.tick(minutes=1)  # alice hears at once: no mail in the last hour
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "alice@example.org"
    assert mail["Subject"] == "1 new comment: Attention α <b>bold</b>"
    assert "Good point & <script>alert(1)</script>" in plain(mail)  # the text part is the text itself
    assert "&lt;script&gt;" in html(mail) and "<script>" not in html(mail)  # the HTML part escapes it
    assert "reader" in plain(mail) and "bob@example.org" not in plain(mail)  # addresses stay private
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert UNFOLLOW.search(mail["List-Unsubscribe"])
    assert mail.is_multipart() and {p.get_content_type() for p in mail.iter_parts()} == {"text/plain", "text/html"}

    # within the hour: alice's own comment, then one shown, one deleted and one hidden by others
    world.comments.add(first, world.alice, "My own reply")
    world.comments.add(first, world.carol, "Third")
    deleted = world.comments.add(first, world.bob, "Oops")
    world.comments.delete(deleted.pk, world.bob)
    hidden = world.comments.add(first, world.carol, "Spam")
    ModerationStore(world.store.engine, world.clock).set_hidden(hidden.pk, Actor(None, "admin"), "spam")
    world.tick(minutes=30)
    # a comment counts as its author having read the discussion so far: bob (after "Oops") and carol (after
    # "Spam") have nothing shown to hear of, and alice's hour has not passed
    assert [(m["To"], plain(m)) for m in smtp_server.messages[1:]] == []
    world.tick(minutes=29)
    assert len(smtp_server.messages) == 1  # still within alice's hour
    world.tick(minutes=2)  # an hour and a minute after alice's first mail: one mail for what came since
    [_, batched] = to(smtp_server.wait_for(2), "alice@example.org")
    body = plain(batched)
    assert batched["Subject"].startswith("1 new comment")
    assert "Third" in body and "Oops" not in body and "Spam" not in body and "My own reply" not in body
    world.tick(minutes=120)
    assert len(smtp_server.messages) == 2  # nothing new: nothing sent
    assert {row[1] for row in NotificationOutbox(world.store.engine).states()} == {"sent"}


def test_one_click_unfollow_from_the_mail_stops_the_next_one(
    world: World, smtp_server: MailServer, store: PaperStore
) -> None:
    first, _ = world.papers
    world.comments.add(first, world.alice, "Hello")
    world.tick()
    world.comments.add(first, world.bob, "Hi alice")
    world.tick(minutes=1)
    [mail] = smtp_server.wait_for(1)
    url, path = UNFOLLOW.search(mail["List-Unsubscribe"]).groups()
    assert url in plain(mail)

    app = create_app(world.settings, world.store, clock=world.clock)
    mail_client = TestClient(app)  # a mail provider: no cookie, no CSRF token
    shown = mail_client.get(path)
    assert shown.status_code == 200 and "Stop following" in shown.text
    assert world.follows.is_following(world.alice, first)  # looking changes nothing
    done = mail_client.post(
        path, content=b"List-Unsubscribe=One-Click", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert done.status_code == 200 and "You no longer follow this discussion" in done.text
    assert not world.follows.is_following(world.alice, first)
    assert mail_client.post(path).status_code == 200  # again: still not following

    world.comments.add(first, world.carol, "Anyone?")
    world.tick(minutes=90)
    assert [m["To"] for m in smtp_server.messages] == ["alice@example.org", "bob@example.org"]  # alice: no more

    for forged in (path[:-3] + "abc", path.replace(f"/{world.alice}.", f"/{world.bob}."), "/unfollow/x"):
        assert mail_client.post(forged).status_code == 403
    assert world.follows.is_following(world.bob, first)  # a forged token changed nothing


def test_a_suspended_address_gets_no_notification(world: World, smtp_server: MailServer) -> None:
    first, _ = world.papers
    world.comments.add(first, world.alice, "Hello")
    world.tick()
    bounces = BounceStore(world.store.engine, world.clock)
    for _ in range(5):
        bounces.record("alice@example.org", hard=True, reason="550 no such user")
        world.clock.advance(days=1)
    assert bounces.suspended(["alice@example.org"])
    world.comments.add(first, world.bob, "Hi")
    world.tick()
    assert smtp_server.messages == []
    [row] = NotificationOutbox(world.store.engine).states()
    assert row[1] == "skipped"


def test_the_follow_form_follows_without_commenting_and_unfollows(world: World, smtp_server: MailServer) -> None:
    first, _ = world.papers
    world.comments.add(first, world.bob, "Before carol followed")
    app = create_app(world.settings, world.store, clock=world.clock)
    client = TestClient(app)
    page = client.get("/paper/2410.00001")
    assert 'action="/paper/2410.00001/follow"' in page.text and ">Follow</button>" in page.text
    assert 'href="/feeds/paper/2410.00001/discussion.atom"' in page.text

    visitor = client.post("/paper/2410.00001/follow", data={"csrf_token": csrf_token(client)}, follow_redirects=False)
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/signin")

    sign_in(client, "carol@example.org")
    assert client.post("/paper/2410.00001/follow", follow_redirects=False).status_code == 403  # no CSRF token
    assert not world.follows.is_following(world.carol, first)
    token = csrf_token(client, "/paper/2410.00001")
    pressed = client.post("/paper/2410.00001/follow", data={"csrf_token": token}, follow_redirects=False)
    assert pressed.status_code == 303 and pressed.headers["location"] == "/paper/2410.00001#discussion"
    assert world.follows.is_following(world.carol, first)
    assert ">Unfollow</button>" in client.get("/paper/2410.00001").text
    assert client.post("/paper/2410.99999/follow", data={"csrf_token": token}).status_code == 404

    world.tick()
    assert smtp_server.messages == []  # comments from before following are not mailed
    world.comments.add(first, world.bob, "After")
    world.tick(minutes=1)
    assert [m["To"] for m in smtp_server.wait_for(1)] == ["carol@example.org"]

    client.post("/paper/2410.00001/follow", data={"csrf_token": token, "following": "false"})
    assert not world.follows.is_following(world.carol, first)
    world.comments.add(first, world.bob, "Later")
    world.tick(minutes=90)
    assert len(smtp_server.messages) == 1


def test_stopping_sticks_until_a_new_comment_or_follow(world: World) -> None:
    first, second = world.papers
    world.comments.add(first, world.alice, "One")
    world.follows.set_following(world.alice, first, False)  # stops before the worker saw her comment
    world.tick()
    assert world.follows.followers(first) == []  # the comment from before stopping does not follow again
    world.clock.advance(minutes=1)
    world.comments.add(first, world.alice, "Two")
    world.tick()
    assert world.follows.followers(first) == [world.alice]  # a new comment does
    assert world.follows.set_following(world.alice, first, True) is False  # already following: no change
    assert world.follows.followers(second) == []


def test_an_unfollowed_notification_still_in_the_outbox_is_skipped(
    world: World, smtp_server: MailServer, tmp_path: Path
) -> None:
    first, _ = world.papers
    world.comments.add(first, world.alice, "Hello")
    world.tick()
    world.comments.add(first, world.bob, "Hi")
    relay_down = load_settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=1, smtp_security="none")
    world.worker.notification_delivery.open_relay = lambda: mailer_relay(Mailer.from_settings(relay_down))
    world.tick(minutes=1)  # enqueued, the relay unreachable: it waits
    world.follows.set_following(world.alice, first, False)
    world.worker.notification_delivery.open_relay = lambda: mailer_relay(Mailer.from_settings(world.settings))
    with world.store.engine.begin() as conn:
        conn.execute(update(discussion_outbox).values(next_attempt_at=world.clock.now))
    world.tick()
    assert smtp_server.messages == []
    [row] = NotificationOutbox(world.store.engine).states()
    assert row[1] == "skipped"
