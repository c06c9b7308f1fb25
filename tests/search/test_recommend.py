"""Similar papers and recommendations on a tiny embedded corpus of three topics."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from papertide.config import load_settings
from papertide.errors import NotFound
from papertide.ingest.pipeline import ingest
from papertide.search.query import Filters
from papertide.search.recommend import nearest_liked, recommend, recommend_among, similar
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.index import VectorIndex, vectors_dir
from papertide.search.upkeep.embedding_job import index_vectors
from papertide.store import PaperStore, open_store
from tests.search.topical_papers import topic_of, topical_papers


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[PaperStore, VectorIndex]:
    directory: Path = tmp_path_factory.mktemp("recommend")
    store = open_store(f"sqlite:///{directory / 'papertide.db'}")
    ingest(topical_papers(), store)
    settings = load_settings(data_dir=directory)
    embedder = load_embedder()
    index_vectors(store, settings, embedder)
    return store, VectorIndex.open(vectors_dir(settings), embedder)


def topics(store: PaperStore, hits) -> list[str]:
    return [topic_of(paper.paper_id) for paper in store.get_many([hit.pk for hit in hits])]


def test_similar_papers_leave_the_paper_out_and_share_its_topic(corpus) -> None:
    store, index = corpus
    paper = store.get("2401.00005")  # protein structure
    hits = similar(index, paper.pk, k=3)
    assert paper.pk not in [hit.pk for hit in hits]
    assert topics(store, hits) == ["proteins"] * 3
    assert len(similar(index, paper.pk, k=20)) == 11


def test_similar_papers_obey_filters(corpus) -> None:
    store, index = corpus
    paper = store.get("2401.00005")
    hits = similar(index, paper.pk, k=3, filters=Filters(categories_exclude=("q-bio.*",)))
    assert len(hits) == 3 and "proteins" not in topics(store, hits)


def test_a_paper_without_a_vector_is_not_found(corpus) -> None:
    _, index = corpus
    with pytest.raises(NotFound):
        similar(index, 10_000)
    with pytest.raises(NotFound):
        recommend(index, [10_000, 10_001])


def test_recommendations_leave_the_liked_papers_out_and_stay_near_them(corpus) -> None:
    store, index = corpus
    liked = [store.get(paper_id).pk for paper_id in ("2401.00009", "2401.00011")]  # quantum
    hits = recommend(index, liked, k=2)
    assert not set(liked) & {hit.pk for hit in hits}
    assert topics(store, hits) == ["quantum", "quantum"]
    until_october = Filters(date_to=date(2024, 10, 31))
    hits = recommend(index, liked, k=5, filters=until_october)
    assert len(hits) == 5 and not set(liked) & {hit.pk for hit in hits}
    assert all(paper.paper.submitted.month <= 10 for paper in store.get_many([hit.pk for hit in hits]))


def test_each_recommendation_names_the_liked_paper_it_is_nearest(corpus) -> None:
    store, index = corpus
    quantum, protein = (store.get(paper_id).pk for paper_id in ("2401.00009", "2401.00005"))
    hits = recommend(index, [quantum, protein], k=6)
    reasons = nearest_liked(index, [hit.pk for hit in hits], [quantum, protein])
    assert set(reasons) == {hit.pk for hit in hits}
    for hit in store.get_many([hit.pk for hit in hits]):
        assert topic_of(store.get_many([reasons[hit.pk]])[0].paper_id) == topic_of(hit.paper_id)
    assert nearest_liked(index, [hits[0].pk], []) == {}


def test_recommendations_leave_out_what_else_is_excluded(corpus) -> None:
    store, index = corpus
    liked = [store.get("2401.00009").pk]
    first = recommend(index, liked, k=3)
    again = recommend(index, liked, k=3, exclude=[first[0].pk])
    assert first[0].pk not in {hit.pk for hit in again} and len(again) == 3


def test_recommending_among_given_papers_ranks_them_as_the_whole_index_would(corpus) -> None:
    store, index = corpus
    liked = [store.get("2401.00009").pk]  # quantum
    everything = recommend(index, liked, k=20)
    among = index.subset([*[hit.pk for hit in everything][::-1][:8], 10_000])  # a shuffled few, one without a vector
    assert 10_000 not in among.pks and len(among.pks) == len(among.vectors) == 8
    hits = recommend_among(index, liked, among, k=5, exclude=[everything[0].pk])
    expected = [hit.pk for hit in everything if hit.pk in among.pks and hit.pk != everything[0].pk][:5]
    assert [hit.pk for hit in hits] == expected
    assert [round(hit.score, 5) for hit in hits] == [
        round(hit.score, 5) for hit in everything if hit.pk in set(expected)
    ]
    assert recommend_among(index, liked, index.subset(liked), k=5) == []  # the liked papers are never recommended
    with pytest.raises(NotFound):
        recommend_among(index, [10_000], among)
