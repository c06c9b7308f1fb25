"""The discussion's tables: threads, counts kept current, votes, reports, roles, suspensions and the log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from papertide.errors import InvalidInput, NotFound
from papertide.store import PaperStore
from papertide.store.accounts.roles import RoleStore
from papertide.store.accounts.store import AccountStore
from papertide.store.discussion.comments import CommentStore
from papertide.store.discussion.moderation import COMMAND_LINE, Actor, ModerationStore
from tests.store.test_votes import paper


@pytest.fixture
def papers(store: PaperStore) -> list[int]:
    store.write_batch([paper("2410.00001"), paper("2410.00002")])
    return [p.pk for p in store.get_many_by_id(["2410.00001", "2410.00002"])]


@pytest.fixture
def people(store: PaperStore) -> list[int]:
    accounts = AccountStore(store.engine)
    return [accounts.get_or_create_user(f"reader{n}@example.org")[0].pk for n in range(3)]


def test_a_thread_keeps_order_and_the_paper_count_follows_every_change(
    store: PaperStore, papers: list[int], people: list[int]
) -> None:
    comments, moderation = CommentStore(store.engine), ModerationStore(store.engine)
    first_paper, other_paper = papers
    alice, bob, mod = people
    top = comments.add(first_paper, alice, "First!", "<p>x</p>")
    reply = comments.add(first_paper, bob, "A reply", "<p>x</p>", parent_pk=top.pk)
    assert reply.pk > top.pk and reply.parent_pk == top.pk
    assert [c.pk for c in comments.thread(first_paper)] == [top.pk, reply.pk]
    assert comments.counts(papers) == {first_paper: 2}

    moderation.set_hidden(reply.pk, Actor(mod, "mod@example.org"), "off topic")
    assert comments.counts(papers) == {first_paper: 1}
    moderation.set_hidden(reply.pk, Actor(mod, "mod@example.org"), "still off topic")  # hiding twice: one less
    assert comments.counts(papers) == {first_paper: 1}
    moderation.set_hidden(reply.pk, Actor(mod, "mod@example.org"), None)
    assert comments.counts(papers) == {first_paper: 2}

    deleted = comments.delete(top.pk, alice)
    assert deleted.body == deleted.html == "" and deleted.deleted_at is not None
    assert comments.counts(papers) == {first_paper: 1}
    assert [c.pk for c in comments.thread(first_paper)] == [top.pk, reply.pk]  # the placeholder stays
    assert comments.counts([other_paper]) == {}
    assert [c.pk for c in comments.after(top.pk, 10)] == [reply.pk]


def test_replies_must_answer_a_shown_comment_on_the_same_paper(
    store: PaperStore, papers: list[int], people: list[int]
) -> None:
    comments, moderation = CommentStore(store.engine), ModerationStore(store.engine)
    alice, bob, mod = people
    top = comments.add(papers[0], alice, "Top", "<p>x</p>")
    with pytest.raises(InvalidInput, match="not on this paper"):
        comments.add(papers[1], bob, "Across papers", "<p>x</p>", parent_pk=top.pk)
    with pytest.raises(InvalidInput, match="not on this paper"):
        comments.add(papers[0], bob, "To nothing", "<p>x</p>", parent_pk=top.pk + 1000)
    moderation.set_hidden(top.pk, Actor(mod, "m"), "spam")
    with pytest.raises(InvalidInput, match="hidden by a moderator"):
        comments.add(papers[0], bob, "To hidden", "<p>x</p>", parent_pk=top.pk)
    moderation.set_hidden(top.pk, Actor(mod, "m"), None)
    comments.delete(top.pk, alice)
    with pytest.raises(InvalidInput, match="has been deleted"):
        comments.add(papers[0], bob, "To deleted", "<p>x</p>", parent_pk=top.pk)
    assert [c.pk for c in comments.thread(papers[0])] == [top.pk]  # nothing was stored
    assert comments.counts(papers) == {}


def test_only_the_author_edits_or_deletes(store: PaperStore, papers: list[int], people: list[int]) -> None:
    comments = CommentStore(store.engine)
    alice, bob, _ = people
    mine = comments.add(papers[0], alice, "Mine", "<p>x</p>")
    with pytest.raises(NotFound):
        comments.edit(mine.pk, bob, "Taken over", "<p>x</p>")
    with pytest.raises(NotFound):
        comments.delete(mine.pk, bob)
    edited = comments.edit(mine.pk, alice, "Mine, better", "<p>x</p>")
    assert edited.body == "Mine, better" and edited.edited_at is not None
    comments.delete(mine.pk, alice)
    with pytest.raises(NotFound):
        comments.edit(mine.pk, alice, "After deletion", "<p>x</p>")
    with pytest.raises(NotFound):
        comments.delete(mine.pk, alice)


def test_votes_add_up_under_concurrency_and_are_one_per_account(store: PaperStore, papers: list[int]) -> None:
    comments, accounts = CommentStore(store.engine), AccountStore(store.engine)
    voters = [accounts.get_or_create_user(f"voter{n}@example.org")[0].pk for n in range(12)]
    target = comments.add(papers[0], voters[0], "Vote for me", "<p>x</p>")
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda voter: comments.set_vote(target.pk, voter, True), voters + voters))
    assert comments.get(target.pk).score == 12
    assert comments.set_vote(target.pk, voters[0], False) == 11
    assert comments.set_vote(target.pk, voters[0], False) == 11
    assert comments.voted_among(voters[1], [target.pk]) == {target.pk}
    assert comments.voted_among(voters[0], [target.pk]) == set()


def test_reports_queue_and_moderation_log(store: PaperStore, papers: list[int], people: list[int]) -> None:
    comments, moderation = CommentStore(store.engine), ModerationStore(store.engine)
    alice, bob, mod = people
    quiet, loud = (
        comments.add(papers[0], alice, "quiet", "<p>x</p>"),
        comments.add(papers[0], alice, "loud", "<p>x</p>"),
    )
    assert moderation.report(quiet.pk, bob, "rude")
    assert moderation.report(loud.pk, bob, "spam") and moderation.report(loud.pk, mod, "spam too")
    assert not moderation.report(loud.pk, bob, "again")  # one report per account and comment
    with pytest.raises(NotFound):
        moderation.report(loud.pk + 100, bob, "nothing there")
    queue = moderation.open_reports(10)
    assert [(item.comment.pk, [r.reason for r in item.reports]) for item in queue] == [
        (loud.pk, ["spam", "spam too"]),
        (quiet.pk, ["rude"]),
    ]
    actor = Actor(mod, "mod@example.org")
    moderation.set_hidden(loud.pk, actor, "spam")
    assert moderation.dismiss_reports(quiet.pk, actor, "fine") == 1
    with pytest.raises(NotFound, match="no open reports"):
        moderation.dismiss_reports(quiet.pk, actor, "again")
    assert moderation.open_reports(10) == []
    assert moderation.suspend(alice, actor, "repeated spam")
    assert not moderation.suspend(alice, actor, "again")
    assert moderation.suspension(alice).note == "repeated spam"
    with pytest.raises(NotFound):
        moderation.suspend(alice + 1000, actor, "nobody")
    assert moderation.unsuspend(alice, actor, "served")
    assert not moderation.unsuspend(alice, actor, "again")
    assert moderation.suspension(alice) is None
    moderation.record(Actor(None, COMMAND_LINE), "grant", ("account", mod), "moderator")
    log = moderation.log(10)
    assert [(e.action, e.actor, e.target_kind) for e in log] == [
        ("grant", COMMAND_LINE, "account"),
        ("unsuspend", "mod@example.org", "account"),
        ("suspend", "mod@example.org", "account"),
        ("dismiss", "mod@example.org", "comment"),
        ("hide", "mod@example.org", "comment"),
    ]


def test_roles_are_granted_once_and_listed(store: PaperStore, people: list[int]) -> None:
    roles = RoleStore(store.engine)
    alice, bob, _ = people
    assert roles.grant(alice, "moderator") and not roles.grant(alice, "moderator")
    assert roles.grant(bob, "admin")
    assert roles.roles(alice) == {"moderator"}
    assert [(h.email, h.role) for h in roles.holders()] == [
        ("reader1@example.org", "admin"),
        ("reader0@example.org", "moderator"),
    ]
    assert [h.email for h in roles.holders("admin")] == ["reader1@example.org"]
    assert roles.revoke(alice, "moderator") and not roles.revoke(alice, "moderator")
    assert roles.roles(alice) == frozenset()


def test_deleting_an_account_empties_its_comments_and_keeps_replies(
    store: PaperStore, papers: list[int], people: list[int]
) -> None:
    comments, accounts = CommentStore(store.engine), AccountStore(store.engine)
    alice, bob, _ = people
    top = comments.add(papers[0], alice, "Top", "<p>x</p>")
    reply = comments.add(papers[0], bob, "Reply", "<p>x</p>", parent_pk=top.pk)
    [exported] = comments.personal_data(alice)
    assert (exported["paper_id"], exported["body"], exported["deleted"]) == ("2410.00001", "Top", False)
    assert comments.erase_author(alice) == 1
    accounts.delete_user(alice)
    left = comments.thread(papers[0])
    assert [(c.pk, c.user_pk, c.body, c.html) for c in left] == [
        (top.pk, None, "", ""),
        (reply.pk, bob, "Reply", "<p>x</p>"),
    ]
    assert comments.counts(papers) == {papers[0]: 1}
