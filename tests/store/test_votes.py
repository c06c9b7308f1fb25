"""Upvotes in the store: exact counts under concurrent votes, idempotence, and new arXiv versions."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from papertide.model import Paper, Version
from papertide.store import PaperStore, open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.library.votes import VoteStore


def paper(paper_id: str, version: int = 1, title: str | None = None) -> Paper:
    return Paper(
        id=paper_id,
        title=title or f"Paper {paper_id}",
        version=version,
        submitted=datetime(2024, 10, 1, tzinfo=UTC),
        versions=[Version(n, datetime(2024, 10, n, tzinfo=UTC)) for n in range(1, version + 1)],
        source="test",
    )


@pytest.fixture
def papers(store: PaperStore) -> list[int]:
    store.write_batch([paper("2410.00001"), paper("2410.00002"), paper("2410.00003")])
    return [p.pk for p in store.get_many_by_id(["2410.00001", "2410.00002", "2410.00003"])]


def users(store: PaperStore, count: int) -> list[int]:
    accounts = AccountStore(store.engine)
    return [accounts.get_or_create_user(f"reader{n}@example.org")[0].pk for n in range(count)]


def test_a_vote_is_one_row_set_and_withdrawn_idempotently(store: PaperStore, papers: list[int]) -> None:
    votes = VoteStore(store.engine)
    alice, bob = users(store, 2)
    first = papers[0]
    assert votes.set_vote(alice, first, True) == 1
    assert votes.set_vote(alice, first, True) == 1  # a second upvote by the same account changes nothing
    assert votes.set_vote(bob, first, True) == 2
    assert votes.voted_among(alice, papers) == {first}
    assert votes.set_vote(alice, first, False) == 1
    assert votes.set_vote(alice, first, False) == 1  # withdrawing twice too
    assert votes.count(first) == 1
    assert votes.voted_pks(bob) == [first]


def test_papers_carry_their_vote_counts(store: PaperStore, papers: list[int]) -> None:
    votes = VoteStore(store.engine)
    for user in users(store, 3):
        votes.set_vote(user, papers[1], True)
    votes.set_vote(users(store, 1)[0], papers[2], True)
    assert [p.votes for p in store.get_many(papers)] == [0, 3, 1]
    assert store.get("2410.00002").votes == 3
    assert {p.paper_id: p.votes for p in store.list_papers().papers} == {
        "2410.00001": 0, "2410.00002": 3, "2410.00003": 1,
    }  # fmt: skip


def test_concurrent_votes_from_many_threads_count_exactly(store: PaperStore, papers: list[int]) -> None:
    """64 accounts vote and withdraw at random on three papers from 16 threads at once; each paper ends
    with exactly the accounts whose last action was an upvote.
    """
    votes = VoteStore(store.engine)
    accounts = users(store, 64)
    rng = random.Random(7)
    plans = {user: [(rng.choice(papers), rng.random() < 0.7) for _ in range(12)] for user in accounts}
    start = threading.Barrier(16)

    def run(chunk: list[int]) -> None:
        start.wait()  # every thread starts voting at the same moment
        for user in chunk:
            for paper_pk, voted in plans[user]:
                votes.set_vote(user, paper_pk, voted)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(run, [accounts[i::16] for i in range(16)]))
    expected = dict.fromkeys(papers, 0)
    for plan in plans.values():
        final = {}
        for paper_pk, voted in plan:
            final[paper_pk] = voted
        for paper_pk, voted in final.items():
            expected[paper_pk] += voted
    assert {pk: votes.count(pk) for pk in papers} == expected
    assert sum(expected.values()) > 0


def test_one_account_voting_from_many_threads_counts_once(store: PaperStore, papers: list[int]) -> None:
    votes = VoteStore(store.engine)
    (user,) = users(store, 1)
    start = threading.Barrier(16)

    def run(_: int) -> int:
        start.wait()
        return votes.set_vote(user, papers[0], True)

    with ThreadPoolExecutor(16) as pool:
        counts = list(pool.map(run, range(16)))
    assert counts == [1] * 16
    assert votes.count(papers[0]) == 1


def test_two_processes_worth_of_engines_count_exactly(tmp_path) -> None:
    """Two stores over one database file (as two server processes would have) voting at once."""
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    first, second = open_store(url), open_store(url)
    first.write_batch([paper("2410.00009")])
    target = first.get("2410.00009").pk
    accounts = users(first, 40)
    stores = [VoteStore(first.engine), VoteStore(second.engine)]
    start = threading.Barrier(8)

    def run(i: int) -> None:
        start.wait()
        for user in accounts[i::8]:
            stores[i % 2].set_vote(user, target, True)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(run, range(8)))
    assert stores[0].count(target) == stores[1].count(target) == 40


def test_votes_survive_a_new_arxiv_version(store: PaperStore, papers: list[int]) -> None:
    votes = VoteStore(store.engine)
    for user in users(store, 2):
        votes.set_vote(user, papers[0], True)
    result = store.write_batch([paper("2410.00001", version=2, title="Paper 2410.00001, revised")])
    assert result.updated == 1
    revised = store.get("2410.00001")
    assert (revised.pk, revised.paper.version, revised.title) == (papers[0], 2, "Paper 2410.00001, revised")
    assert revised.votes == 2
