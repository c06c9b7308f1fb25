"""The discussion's rules: threads as each reader sees them, and every refusal, which changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.accounts.rate_limits import RateLimiter
from papertide.config import load_settings
from papertide.discussion import Discussion, Order
from papertide.errors import Forbidden, InvalidInput, NotFound, TooLarge, TooManyRequests
from papertide.store import PaperStore, Stores
from papertide.store.accounts.store import AccountStore, User
from tests.clock import ControlledClock
from tests.store.test_votes import paper


class World:
    def __init__(self, store: PaperStore, tmp_path: Path) -> None:
        self.clock = ControlledClock()
        self.accounts = AccountStore(store.engine, self.clock)
        settings = load_settings(
            data_dir=tmp_path, comment_max_chars=200, comment_limit_per_hour=4, comment_new_account_limit_per_hour=2
        )
        stores = Stores.beside(store, settings, self.clock)
        self.discussion = Discussion.over(stores, RateLimiter(stores.rate_limits), settings)
        store.write_batch([paper("2410.00001"), paper("2410.00002")])
        self.papers = [p.pk for p in store.get_many_by_id(["2410.00001", "2410.00002"])]

    def user(self, name: str, *, age_hours: float = 48) -> User:
        self.clock.advance(hours=-age_hours)
        user = self.accounts.get_or_create_user(f"{name}@example.org")[0]
        self.clock.advance(hours=age_hours)
        return user

    def moderator(self, name: str = "mod") -> User:
        user = self.user(name)
        self.discussion.roles.grant("moderator", user.email)
        return user

    def stored(self) -> list[tuple[int, str]]:
        return [(c.pk, c.body) for p in self.papers for c in self.discussion.comments.thread(p)]


@pytest.fixture
def world(store: PaperStore, tmp_path: Path) -> World:
    return World(store, tmp_path)


def test_threads_nest_and_sort_by_best_or_newest(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob, carol = world.user("alice"), world.user("bob"), world.user("carol")
    first = d.post(alice, paper_pk, "First")
    world.clock.advance(minutes=1)
    second = d.post(bob, paper_pk, "Second")
    world.clock.advance(minutes=1)
    reply = d.post(carol, paper_pk, "Reply to first", parent_pk=first.pk)
    d.vote(carol, second.pk, True)
    best = d.thread(paper_pk, None, Order.BEST)
    assert [v.comment.pk for v in best] == [second.pk, first.pk]
    assert [r.comment.pk for r in best[1].replies] == [reply.pk]
    newest = d.thread(paper_pk, carol, Order.NEWEST)
    assert [v.comment.pk for v in newest] == [second.pk, first.pk]
    assert newest[0].voted and not newest[1].voted
    assert [v.mine for v in d.thread(paper_pk, alice)] == [False, True]
    assert best[0].html == "<p>Second</p>\n" and best[0].author == f"reader {bob.pk}"
    assert d.counts(world.papers) == {paper_pk: 3}


def test_edit_marks_and_delete_leaves_a_placeholder_only_under_replies(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob = world.user("alice"), world.user("bob")
    lonely = d.post(alice, paper_pk, "Nobody answers")
    answered = d.post(alice, paper_pk, "Answer me")
    d.post(bob, paper_pk, "Answer", parent_pk=answered.pk)
    assert d.edit(alice, answered.pk, "Answer me, please").edited_at is not None
    d.delete(alice, lonely.pk)
    d.delete(alice, answered.pk)
    thread = d.thread(paper_pk, bob)
    assert [(v.comment.pk, v.state, v.html) for v in thread] == [(answered.pk, "deleted", "")]
    assert [r.html for r in thread[0].replies] == ["<p>Answer</p>\n"]


def test_bad_comments_are_refused_and_nothing_changes(world: World) -> None:
    d, (paper_pk, other_paper) = world.discussion, world.papers
    alice, bob = world.user("alice"), world.user("bob")
    top = d.post(alice, paper_pk, "Top")
    before = world.stored()
    with pytest.raises(InvalidInput, match="the comment is empty"):
        d.post(alice, paper_pk, "  \n\t ")
    with pytest.raises(TooLarge, match="201 characters long; the most is 200"):
        d.post(alice, paper_pk, "x" * 201)
    with pytest.raises(InvalidInput, match="not on this paper"):
        d.post(bob, other_paper, "Across papers", parent_pk=top.pk)
    with pytest.raises(NotFound, match="no comment"):
        d.edit(bob, top.pk, "Not mine")
    with pytest.raises(NotFound, match="no comment"):
        d.delete(bob, top.pk)
    with pytest.raises(TooLarge):
        d.edit(alice, top.pk, "y" * 201)
    assert world.stored() == before
    script = d.post(bob, paper_pk, "<script>alert(1)</script> [x](javascript:alert(1))")
    rendered = d.one(script.pk, None).html
    assert "<script" not in rendered and "javascript:" not in rendered.split("(")[0]
    assert "&lt;script&gt;" in rendered


def test_no_replies_to_deleted_or_hidden_comments(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob, mod = world.user("alice"), world.user("bob"), world.moderator()
    gone, hidden = d.post(alice, paper_pk, "Gone"), d.post(alice, paper_pk, "Hidden")
    d.delete(alice, gone.pk)
    d.moderators.hide(mod, hidden.pk, "insults")
    before = world.stored()
    with pytest.raises(InvalidInput, match="has been deleted"):
        d.post(bob, paper_pk, "Reply", parent_pk=gone.pk)
    with pytest.raises(InvalidInput, match="hidden by a moderator"):
        d.post(bob, paper_pk, "Reply", parent_pk=hidden.pk)
    assert world.stored() == before


def test_hidden_comments_show_only_to_their_author_and_moderators(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob, mod = world.user("alice"), world.user("bob"), world.moderator()
    hidden = d.post(alice, paper_pk, "Rude words")
    d.moderators.hide(mod, hidden.pk, "rude")
    assert d.thread(paper_pk, bob) == [] and d.thread(paper_pk, None) == []
    for reader in (alice, mod):
        [seen] = d.thread(paper_pk, reader)
        assert seen.state == "hidden" and seen.html == "<p>Rude words</p>\n" and seen.comment.hidden_note == "rude"
    with pytest.raises(NotFound):
        d.vote(bob, hidden.pk, True)
    with pytest.raises(NotFound):
        d.report(bob, hidden.pk, "spam")
    assert d.counts([paper_pk]) == {}
    d.moderators.restore(mod, hidden.pk)
    assert [v.state for v in d.thread(paper_pk, bob)] == ["shown"]
    assert [e.action for e in d.moderators.log(mod)] == ["restore", "hide", "grant"]


def test_moderation_is_not_found_for_non_moderators(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob = world.user("alice"), world.user("bob")
    comment = d.post(alice, paper_pk, "Fine")
    for attempt in (
        lambda: d.moderators.queue(bob),
        lambda: d.moderators.queue(None),
        lambda: d.moderators.hide(bob, comment.pk, "mine now"),
        lambda: d.moderators.suspend(bob, alice.pk, "no"),
        lambda: d.moderators.log(bob),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert d.one(comment.pk, None).state == "shown"


def test_reports_reach_the_queue_and_moderators_act(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    alice, bob, mod = world.user("alice"), world.user("bob"), world.moderator()
    comment = d.post(alice, paper_pk, "Buy now")
    with pytest.raises(InvalidInput, match="the reason is empty"):
        d.report(bob, comment.pk, " ")
    with pytest.raises(TooLarge, match="reason"):
        d.report(bob, comment.pk, "r" * 1001)
    assert d.report(bob, comment.pk, "spam") and not d.report(bob, comment.pk, "spam again")
    [item] = d.moderators.queue(mod)
    assert item.comment.pk == comment.pk and [r.reason for r in item.reports] == ["spam"]
    with pytest.raises(InvalidInput, match="the note is empty"):
        d.moderators.hide(mod, comment.pk, "")
    d.moderators.hide(mod, comment.pk, "advertising")
    assert d.moderators.queue(mod) == []
    assert d.moderators.suspend(mod, alice.pk, "spammer")
    with pytest.raises(Forbidden, match="suspended it \\(spammer\\)"):
        d.post(alice, paper_pk, "Buy again")
    assert d.moderators.unsuspend(mod, alice.pk)
    d.post(alice, paper_pk, "Sorry")


def test_rate_limits_are_stricter_for_new_accounts(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    old, new = world.user("old"), world.user("new", age_hours=2)
    for n in range(4):
        d.post(old, paper_pk, f"old {n}")
    with pytest.raises(TooManyRequests, match="posted 4 comments in an hour") as refused:
        d.post(old, paper_pk, "one too many")
    assert 0 < refused.value.retry_after_s <= 3600
    for n in range(2):
        d.post(new, paper_pk, f"new {n}")
    with pytest.raises(TooManyRequests, match="posted 2 comments in an hour from an account younger than a day"):
        d.post(new, paper_pk, "one too many")
    world.clock.advance(minutes=61)
    d.post(old, paper_pk, "an hour later")
    assert len(world.stored()) == 7


def test_new_accounts_cannot_post_links(world: World) -> None:
    d, paper_pk = world.discussion, world.papers[0]
    new = world.user("new", age_hours=23)
    for body in ("[x](https://spam.example)", "see https://spam.example", "www.spam.example"):
        with pytest.raises(InvalidInput, match="younger than 24 hours cannot post links"):
            d.post(new, paper_pk, body)
    top = d.post(new, paper_pk, "No links")
    with pytest.raises(InvalidInput, match="cannot post links"):
        d.edit(new, top.pk, "Now with https://spam.example")
    world.clock.advance(hours=2)
    d.post(new, paper_pk, "A day old: [x](https://ok.example)")


def test_roles_are_validated(world: World) -> None:
    roles = world.discussion.roles
    alice = world.user("alice")
    with pytest.raises(InvalidInput, match="unknown role 'owner': the roles are moderator, admin"):
        roles.grant("owner", alice.email)
    with pytest.raises(NotFound, match=r"no account for 'nobody@example\.org'"):
        roles.grant("moderator", "nobody@example.org")
    assert roles.grant("admin", alice.email) and roles.moderates(alice)
    assert roles.revoke("admin", alice.email) and not roles.moderates(alice)
