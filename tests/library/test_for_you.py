""" "For you" on a tiny embedded corpus of three topics: what is recommended, what is left out, and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from papertide.config import Settings
from papertide.ingest.pipeline import ingest
from papertide.library.collections import Collections
from papertide.library.for_you import ForYou
from papertide.library.votes import Votes
from papertide.search.engine import SearchEngine
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore, open_store
from papertide.store.accounts.store import AccountStore, User
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from tests.search.topical_papers import topic_of, topical_papers


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[PaperStore, SearchEngine]:
    directory: Path = tmp_path_factory.mktemp("for-you")
    settings = Settings(data_dir=directory)
    store = open_store(settings.resolved_database_url)
    ingest(topical_papers(), store)
    update_indexes(store, settings)
    return store, SearchEngine.open(settings, store)


@pytest.fixture
def reader(corpus, request: pytest.FixtureRequest) -> User:
    """A fresh account per test (the corpus is shared by the module)."""
    store, _ = corpus
    return AccountStore(store.engine).get_or_create_user(f"{request.node.name}@example.org")[0]


@pytest.fixture
def parts(corpus) -> tuple[ForYou, Collections, Votes, PaperStore]:
    store, engine = corpus
    votes, collections = VoteStore(store.engine), CollectionStore(store.engine)
    return ForYou(votes, collections, store, engine), Collections(collections, store), Votes(votes, store), store


def test_nothing_to_go_on_yet(parts, reader) -> None:
    for_you, *_ = parts
    page = for_you.recommend(reader)
    assert (page.recommendations, page.liked) == ([], 0)


def test_recommendations_follow_what_was_saved_and_upvoted_and_say_why(parts, reader) -> None:
    for_you, collections, votes, store = parts
    quantum, protein = store.get("2401.00009"), store.get("2401.00005")
    collections.save(reader, quantum)
    votes.set(reader, protein, True)
    page = for_you.recommend(reader, limit=6)
    assert page.liked == 2
    ids = [r.result.paper.paper_id for r in page.recommendations]
    assert len(ids) == 6 and not {"2401.00009", "2401.00005"} & set(ids)
    for recommendation in page.recommendations:
        assert topic_of(recommendation.because.paper_id) == topic_of(recommendation.result.paper.paper_id)
        if recommendation.because.paper_id == "2401.00009":
            assert recommendation.saved
            assert recommendation.reason == "Similar to “Error Correction for Superconducting Qubits”, which you saved"
        else:
            assert not recommendation.saved and recommendation.reason.endswith("which you upvoted")
    assert {topic_of(paper_id) for paper_id in ids[:4]} <= {"quantum", "proteins"}


def test_only_new_papers_and_nothing_already_saved(parts, reader) -> None:
    for_you, collections, _, store = parts
    collections.save(reader, store.get("2401.00010"))
    collections.save(reader, store.get("2401.00011"), note="")
    page = for_you.recommend(reader, since=date(2024, 9, 1), limit=10)
    ids = [r.result.paper.paper_id for r in page.recommendations]
    assert ids and all(store.get(i).paper.submitted.date() >= date(2024, 9, 1) for i in ids)
    assert not {"2401.00010", "2401.00011"} & set(ids)
    assert ids[0] in {"2401.00009", "2401.00012"}  # the quantum papers of those months come first


def test_picks_among_known_papers_agree_with_the_page(parts, reader, corpus) -> None:
    for_you, collections, votes, store = parts
    _, engine = corpus
    collections.save(reader, store.get("2401.00009"))
    votes.set(reader, store.get("2401.00005"), True)
    page = for_you.recommend(reader, limit=20)
    everyone = [paper.pk for paper in store.get_many(range(1, 100))]
    picks = for_you.picks_among(reader, engine.vectors.subset(everyone), limit=5)
    assert [(p.pk, p.because_pk, p.saved) for p in picks] == [
        (r.result.paper.pk, r.because.pk, r.saved) for r in page.recommendations[:5]
    ]
    liked = {store.get("2401.00009").pk, store.get("2401.00005").pk}
    assert for_you.picks_among(reader, engine.vectors.subset(sorted(liked)), limit=5) == []  # never what was liked


def test_picks_among_for_a_reader_with_no_likes_are_none(parts, reader, corpus) -> None:
    for_you, *_ = parts
    _, engine = corpus
    assert for_you.picks_among(reader, engine.vectors.subset([1, 2, 3])) == []
