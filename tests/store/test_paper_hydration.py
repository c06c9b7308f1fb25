"""Hydrating papers by key in one statement (issue 27): each paper with its latest observation of every signal
(by name) and its vote count, in the order asked, however many keys are asked for; and the raw reads of JSON and
times that statement relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from papertide.model import Paper, Signal
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore
from papertide.store.db.base import raw_json, raw_time
from papertide.store.library.votes import VoteStore

T0 = datetime(2024, 10, 22, 9, 30, 15, 250_000, tzinfo=UTC)
T1 = T0 + timedelta(days=1)


def paper(paper_id: str, signals: list[Signal] | None = None) -> Paper:
    return Paper(id=paper_id, title=f"Paper {paper_id}", submitted=T0, source="test", signals=signals or [])


@pytest.fixture
def pks(store: PaperStore) -> dict[str, int]:
    """Three papers: one with two signals, one observed again later, one without any; and votes on two."""
    store.write_batch(
        [
            paper("2410.00001", [Signal("hf_upvotes", 3, T0), Signal("github_stars", 40, T0)]),
            paper("2410.00002"),
            paper("2410.00003", [Signal("hf_upvotes", 1, T0)]),
        ]
    )
    store.write_batch([paper("2410.00001", [Signal("github_stars", 45, T1)])])  # a later observation
    found = {p.paper_id: p.pk for p in store.get_many_by_id(["2410.00001", "2410.00002", "2410.00003"])}
    accounts, votes = AccountStore(store.engine), VoteStore(store.engine)
    readers = [accounts.get_or_create_user(f"reader{n}@example.org")[0].pk for n in range(3)]
    for reader in readers:
        votes.set_vote(reader, found["2410.00001"], True)
    votes.set_vote(readers[0], found["2410.00003"], True)
    return found


def test_each_paper_comes_with_its_latest_signals_by_name_and_its_votes(store: PaperStore, pks) -> None:
    first, second, third = store.get_many([pks["2410.00001"], pks["2410.00002"], pks["2410.00003"]])
    assert first.signals == {"github_stars": Signal("github_stars", 45, T1), "hf_upvotes": Signal("hf_upvotes", 3, T0)}
    assert list(first.signals) == ["github_stars", "hf_upvotes"]  # by name, on either backend
    assert first.signals["github_stars"].observed_at.tzinfo is UTC
    assert (first.votes, second.votes, third.votes) == (3, 0, 1)
    assert second.signals == {} and third.signals == {"hf_upvotes": Signal("hf_upvotes", 1, T0)}


def test_one_statement_reads_what_the_paper_listing_reads(store: PaperStore, pks) -> None:
    # iter_papers reads the papers, then their signals and votes, in statements of their own
    assert store.get_many(list(pks.values())) == list(store.iter_papers())


def test_papers_come_in_the_order_asked_repeated_and_missing_keys_as_asked(store: PaperStore, pks) -> None:
    one, two = pks["2410.00001"], pks["2410.00002"]
    assert [p.pk for p in store.get_many([two, 10_000, one, two])] == [two, one, two]
    assert [p.paper_id for p in store.get_many_by_id(["2410.00003", "x:1", "2410.00001"])] == [
        "2410.00003",
        "2410.00001",
    ]
    assert store.get_many([]) == [] and store.get_many_by_id([]) == []


def test_any_number_of_keys_is_one_parameter(store: PaperStore, pks) -> None:
    # more keys than PostgreSQL allows parameters in one statement (65,535): the list is bound as one value
    wanted = [*range(100_000, 170_000), pks["2410.00002"]]
    assert [p.paper_id for p in store.get_many(wanted)] == ["2410.00002"]
    ids = [f"x:{n}" for n in range(70_000)] + ["2410.00003"]
    assert [p.votes for p in store.get_many_by_id(ids)] == [1]


def test_raw_times_are_aware_utc_however_the_database_hands_them_over() -> None:
    assert raw_time("2024-10-22 09:30:15.250000") == T0 and raw_time("2024-10-22 09:30:15.250000").tzinfo is UTC
    assert raw_time("2024-10-22T11:30:15.250000+02:00") == T0  # text with an offset: converted
    assert raw_time("2024-10-22 09:30:15") == T0.replace(microsecond=0)  # another length: parsed as given
    assert raw_time(T0.astimezone(timezone(timedelta(hours=-5)))).tzinfo is UTC
    assert raw_time(datetime(2024, 10, 22, 9, 30, 15, 250_000)) == T0  # naive: UTC
    assert raw_time(None) is None


def test_raw_json_is_parsed_once() -> None:
    assert raw_json('["cs.LG", "stat.ML"]') == ["cs.LG", "stat.ML"]
    assert raw_json(["cs.LG"]) == ["cs.LG"]  # psycopg parsed it already
    assert raw_json(None) is None
