"""The search facade end to end: a real store, lexical index, embedder and vector index in tmp_path."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from papertide.config import Settings
from papertide.errors import NotFound, QueryError
from papertide.ingest.pipeline import ingest
from papertide.search import engine as engine_module
from papertide.search.engine import SearchEngine, SearchResponse
from papertide.search.lexical.index import LexicalIndex
from papertide.search.query import Filters, parse_query
from papertide.search.semantic.index import VectorIndex, vectors_dir
from papertide.search.semantic.query_cache import QueryEmbeddingCache
from papertide.search.upkeep.embedding_job import index_vectors
from papertide.store import PaperStore
from tests.search.test_lexical import PAPERS


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)  # the store fixture's database is tmp_path/papertide.db


@pytest.fixture
def lexical_engine(store: PaperStore, settings: Settings) -> SearchEngine:
    ingest(PAPERS, store)
    LexicalIndex.open(settings.index_dir / "lexical").update_from(store)
    return SearchEngine.open(settings, store)


@pytest.fixture
def engine(lexical_engine: SearchEngine, store: PaperStore, settings: Settings) -> SearchEngine:
    index_vectors(store, settings)
    return SearchEngine.open(settings, store)


def ids(response: SearchResponse) -> list[str]:
    return [result.paper.paper_id for result in response.results]


def test_lexical_search_ranks_hydrates_and_highlights(lexical_engine: SearchEngine) -> None:
    response = lexical_engine.search("residual networks", mode="lexical")
    assert ids(response)[0] == "1512.03385"
    top = response.results[0]
    assert top.paper.title == "Deep Residual Learning for Image Recognition"
    assert top.title_html == "Deep <mark>Residual</mark> Learning for Image Recognition"
    assert "<mark>networks</mark>" in top.snippet_html and "<mark>residual</mark>" in top.snippet_html
    assert response.total == 6 and response.mode == "lexical" and response.took_ms > 0
    assert response.warnings == () and response.paper_id is None
    assert [r.score for r in response.results] == sorted((r.score for r in response.results), reverse=True)


def test_paging_covers_every_result_once(lexical_engine: SearchEngine) -> None:
    pages = [ids(lexical_engine.search("network", mode="lexical", limit=2, offset=o)) for o in (0, 2, 4, 6)]
    assert [len(page) for page in pages] == [2, 2, 2, 0]
    assert len({paper for page in pages for paper in page}) == 6


def test_without_vectors_semantic_and_hybrid_degrade_with_a_warning(lexical_engine: SearchEngine) -> None:
    for mode in ("hybrid", "semantic"):
        response = lexical_engine.search("residual", mode=mode)
        assert ids(response) == ["1512.03385"] and response.mode == "lexical"
        assert any("semantic search is unavailable" in warning for warning in response.warnings)


@pytest.mark.parametrize("text", ["", "   \t\n ", "\x00\x01\x7f"])
def test_empty_query_lists_newest_papers_passing_the_filters(lexical_engine: SearchEngine, text: str) -> None:
    response = lexical_engine.search(text)
    assert response.total == len(PAPERS)
    assert ids(response)[:3] == ["2403.00006", "2402.00005", "2401.00004"]
    filtered = lexical_engine.search(text, filters=Filters(categories_include=("cs.RO",)))
    assert ids(filtered) == ["2402.00005", "2401.00004"] and filtered.warnings == ()


def test_form_filters_narrow_a_typed_query(lexical_engine: SearchEngine) -> None:
    response = lexical_engine.search(
        "network cat:cs.*", mode="lexical", filters=Filters(date_from=date(2023, 1, 1), date_to=date(2023, 12, 31))
    )
    assert set(ids(response)) == {"2305.00002", "2305.00003"}


def test_newest_sort(lexical_engine: SearchEngine) -> None:
    response = lexical_engine.search("network", mode="lexical", sort="newest", limit=3)
    assert ids(response) == ["2402.00005", "2305.00003", "2305.00002"]


def test_pasted_arxiv_id_finds_that_paper(lexical_engine: SearchEngine) -> None:
    response = lexical_engine.search("https://arxiv.org/abs/1706.03762v5")
    assert response.paper_id == "1706.03762" and ids(response) == ["1706.03762"]
    missing = lexical_engine.search("2501.99999")
    assert missing.paper_id == "2501.99999" and missing.results == [] and missing.total == 0


def test_syntax_slips_give_results_and_warnings(lexical_engine: SearchEngine) -> None:
    unclosed = lexical_engine.search('"legged robot', mode="lexical")  # the quote is an ordinary character
    assert ids(unclosed)[0] == "2401.00004" and "2402.00005" in ids(unclosed) and unclosed.warnings == ()
    unknown = lexical_engine.search("foo:residual", mode="lexical")
    assert ids(unknown) == ["1512.03385"] and any("foo:" in warning for warning in unknown.warnings)
    assert ids(lexical_engine.search("residual\x00\x07 networks\ufffe", mode="lexical"))[0] == "1512.03385"


@pytest.mark.parametrize(
    ("text", "kwargs", "message"),
    [
        ("x" * 20_001, {}, "too long"),
        ("year:2024..2020", {}, "reversed"),
        ("date:2024-02-30", {}, "not a valid date"),
        ("-cat:,", {}, "names no category"),
        ("attention", {"mode": "fuzzy"}, "unknown search mode"),
        ("attention", {"sort": "oldest"}, "unknown sort"),
        ("attention", {"limit": 0}, "limit"),
        ("attention", {"offset": -1}, "offset"),
    ],
)
def test_bad_input_raises_a_query_error_that_says_why(
    lexical_engine: SearchEngine, text: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(QueryError, match=message):
        lexical_engine.search(text, **kwargs)


def test_filters_that_leave_nothing_raise(lexical_engine: SearchEngine) -> None:
    with pytest.raises(QueryError, match="in common"):
        lexical_engine.search("cat:cs.LG", filters=Filters(categories_include=("hep-th",)))


# Arbitrary text, and queries made of the language's pieces: field prefixes, dates, ranges, quotes, junk.
_PREFIX = st.sampled_from(["", "", "-", "year:", "date:", "cat:", "-cat:", "title:", "au:", "abs:", '"'])
_VALUE = st.one_of(
    st.integers(0, 9999).map("{:04d}".format), st.sampled_from(["cs.*", "2024-02-30", ""]), st.text(max_size=6)
)
_SUFFIX = st.sampled_from(["", "", "..", "..2020", '"', "-01"])
_QUERY_LIKE = st.lists(st.tuples(_PREFIX, _VALUE, _SUFFIX).map("".join), max_size=8).map(" ".join)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.one_of(st.text(max_size=300), _QUERY_LIKE),
    mode=st.sampled_from(["lexical", "semantic", "hybrid"]),
)
def test_any_text_gives_a_response_or_a_query_error(engine: SearchEngine, text: str, mode: str) -> None:
    try:
        response = engine.search(text, mode=mode)
    except QueryError:
        return
    assert response.total >= len(response.results)


def test_hybrid_finds_by_meaning_and_by_words(engine: SearchEngine) -> None:
    by_meaning = engine.search("teaching a quadruped to walk", mode="semantic")
    assert ids(by_meaning)[0] == "2401.00004" and by_meaning.mode == "semantic"
    hybrid = engine.search("quadruped walking with reinforcement learning")
    assert ids(hybrid)[0] == "2401.00004" and hybrid.mode == "hybrid" and hybrid.warnings == ()


def test_semantic_results_obey_filters_phrases_and_exclusions(engine: SearchEngine) -> None:
    for mode in ("semantic", "hybrid"):
        assert set(ids(engine.search("neural networks cat:cs.LG year:2023", mode=mode))) == {
            "2305.00002", "2305.00003",
        }  # fmt: skip
        assert ids(engine.search('language models "low-rank"', mode=mode)) == ["2106.09685"]
        assert "2305.00003" not in ids(engine.search("neural networks -graph", mode=mode))


def test_author_only_queries_search_lexically_in_any_mode(engine: SearchEngine) -> None:
    response = engine.search("author:schmidt", mode="semantic")
    assert set(ids(response)) == {"2305.00002", "2305.00003"} and response.mode == "lexical"


def test_hybrid_newest_sort_orders_the_relevant_pool_by_date(engine: SearchEngine) -> None:
    response = engine.search("transformer language", sort="newest", limit=5)
    dates = [result.paper.paper.submitted for result in response.results]
    assert dates == sorted(dates, reverse=True) and len(dates) == 5


def test_similar_and_recommend_use_the_vectors(engine: SearchEngine, store: PaperStore) -> None:
    similar = engine.similar("1810.04805", limit=3)
    assert "1810.04805" not in [r.paper.paper_id for r in similar] and len(similar) == 3
    assert {r.paper.paper_id for r in similar} & {"1706.03762", "2106.09685", "2403.00006"}
    filtered = engine.similar("1810.04805", limit=5, filters=Filters(categories_include=("cs.RO",)))
    assert {r.paper.paper_id for r in filtered} == {"2401.00004", "2402.00005"}
    liked = {paper.pk: paper.paper_id for paper in store.get_many_by_id(["1706.03762", "1810.04805"])}
    recommended = engine.recommend([*liked, 999_999], limit=2)
    ids = [r.result.paper.paper_id for r in recommended]
    assert len(ids) == 2 and not set(ids) & set(liked.values())
    assert all(r.nearest_liked in liked for r in recommended)  # each says which liked paper it is near
    excluded = store.get(ids[0]).pk
    again = engine.recommend(list(liked), limit=2, exclude=[excluded])
    assert ids[0] not in [r.result.paper.paper_id for r in again]
    assert engine.recommend([999_999]) == []


def test_similar_to_a_fetched_paper_matches_similar_by_id(engine: SearchEngine, store: PaperStore) -> None:
    stored = store.get("1810.04805")
    assert stored is not None
    assert engine.similar_to(stored, limit=3) == engine.similar("1810.04805", limit=3)


def test_similar_without_vectors_falls_back_to_title_words(lexical_engine: SearchEngine) -> None:
    similar = lexical_engine.similar("2305.00002", limit=3)
    assert similar and "2305.00002" not in [r.paper.paper_id for r in similar]
    assert lexical_engine.recommend([lexical_engine.store.get("2305.00002").pk]) == []


def test_a_running_engine_sees_what_the_indexers_commit(
    lexical_engine: SearchEngine, store: PaperStore, settings: Settings
) -> None:
    assert lexical_engine.search("quadruped", mode="lexical").total == 0
    ingest([replace(PAPERS[11], id="2501.00010", title="Quadruped parkour")], store)
    LexicalIndex.open(settings.index_dir / "lexical").update_from(store)  # another process, as `papertide index`
    assert ids(lexical_engine.search("quadruped", mode="lexical")) == ["2501.00010"]
    index_vectors(store, settings)
    response = lexical_engine.search("teaching a robot dog to walk", mode="semantic")
    assert response.mode == "semantic" and response.warnings == ()


def test_threads_finding_the_vectors_stale_reopen_them_once(
    engine: SearchEngine, store: PaperStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest([replace(PAPERS[11], id="2501.00011", title="Quadruped parkour")], store)
    index_vectors(store, settings)
    opened = []
    real_open = VectorIndex.open

    def counting_open(*args, **kwargs) -> VectorIndex:
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(VectorIndex, "open", counting_open)
    start = threading.Barrier(4)

    def look() -> VectorIndex | None:
        start.wait()
        return engine.vectors

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(lambda _: look(), range(4)))
    new_pk = store.get("2501.00011").pk
    assert len(opened) == 1 and all(index is seen[0] and index.vector_of(new_pk) is not None for index in seen)


def test_a_vector_index_with_a_graph_is_reopened_aside_while_searches_go_on(
    lexical_engine: SearchEngine, store: PaperStore, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_vectors(store, settings, ann_min_rows=1)
    engine = SearchEngine.open(settings, store)
    before = engine.vectors
    assert before is not None and before.uses_ann
    ingest([replace(PAPERS[11], id="2501.00012", title="Quadruped parkour")], store)
    index_vectors(store, settings, ann_min_rows=1)
    loading, may_finish = threading.Event(), threading.Event()
    real_open = VectorIndex.open

    def slow_open(*args, **kwargs) -> VectorIndex:
        loading.set()
        may_finish.wait(10)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(VectorIndex, "open", slow_open)
    assert engine.vectors is before and loading.wait(10)  # the old snapshot serves while the new one loads
    assert engine.search("teaching a robot dog to walk", mode="semantic").mode == "semantic"
    may_finish.set()
    after = wait_for_another(engine, before)
    assert after.vector_of(store.get("2501.00012").pk) is not None

    engine.reload_interval_s = 3600  # reloads are spaced out, however often the indexer commits
    ingest([replace(PAPERS[10], id="2501.00013", title="Legged robots on ice")], store)
    index_vectors(store, settings, ann_min_rows=1)
    assert after.is_stale() and engine.vectors is after
    engine.reload_interval_s = 0
    assert wait_for_another(engine, after).vector_of(store.get("2501.00013").pk) is not None


def wait_for_another(engine: SearchEngine, snapshot: VectorIndex) -> VectorIndex:
    """The engine's vector index once a background reload has replaced ``snapshot``."""
    deadline = time.monotonic() + 10
    while (current := engine.vectors) is snapshot and time.monotonic() < deadline:
        time.sleep(0.01)
    assert current is not snapshot and current is not None
    return current


def test_similar_of_an_unknown_paper_is_not_found(engine: SearchEngine) -> None:
    with pytest.raises(NotFound):
        engine.similar("2501.99999")


# -- prose, relaxed operators and long text ------------------------------------------------------


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_prose_with_quotes_dashes_and_colons_is_read_as_prose(engine: SearchEngine, mode: str) -> None:
    for text in (
        'Is there work on legged robots - something like "robot learns to walk"?',
        "legged robots -- walking with deep reinforcement learning (see: simulation)",
        'legged robots – the "robot learns idea, roughly — in simulation',
        "Question: how does a legged robot learn to walk?",
    ):
        response = engine.search(text, mode=mode)
        assert ids(response)[0] == "2401.00004", text
        assert not any("exact phrase" in warning for warning in response.warnings), text


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_a_phrase_no_paper_holds_is_searched_as_words_and_the_response_says_so(engine: SearchEngine, mode: str) -> None:
    response = engine.search('legged robots "learns robot to walk"', mode=mode)
    assert ids(response)[0] == "2401.00004"
    assert response.warnings == (
        'no paper contains the exact phrase "learns robot to walk"; showing papers with its words',
    )
    assert response.query.phrases == ()  # what was searched, for highlighting
    both = engine.search('"walking legged robot" "swarm robots coordinate"', mode=mode)
    assert {"2401.00004", "2402.00005"} <= set(ids(both))
    assert both.warnings == (
        'no paper contains the exact phrases "walking legged robot" and "swarm robots coordinate" together; '
        "showing papers with their words",
    )


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_an_exclusion_that_leaves_nothing_is_dropped_and_the_response_says_so(engine: SearchEngine, mode: str) -> None:
    response = engine.search("legged -robot", mode=mode)
    assert ids(response)[0] == "2401.00004"
    assert response.warnings == ('no paper is left without "robot"; showing papers that contain it',)
    kept = engine.search("network -pruning", mode=mode)  # leaves papers: applied, silently as typed
    assert "2305.00002" not in ids(kept) and kept.warnings == ()


def test_relaxing_stops_at_the_first_step_that_finds_papers(lexical_engine: SearchEngine) -> None:
    response = lexical_engine.search('"walk to learns" -swarms', mode="lexical")
    assert ids(response)[0] == "2401.00004" and len(response.warnings) == 1
    both = lexical_engine.search('"legged walk" -robot', mode="lexical")
    assert ids(both) == ["2401.00004"] and len(both.warnings) == 2
    nothing = lexical_engine.search('"zebra finch" -zebra', mode="lexical")
    assert nothing.results == [] and nothing.total == 0 and nothing.warnings == ()


def test_a_phrase_narrows_a_semantic_search_without_emptying_it(engine: SearchEngine) -> None:
    response = engine.search('cooking pasta at home "legged robot"', mode="semantic")
    assert ids(response) == ["2401.00004"] and response.warnings == ()


def by_cosine(engine: SearchEngine, text: str, paper_ids: list[str]) -> list[str]:
    query = engine.embedder.embed_query(parse_query(text).text_for_embedding())
    cosine = {i: float(engine.vectors.vector_of(engine.store.get(i).pk) @ query) for i in paper_ids}
    return sorted(paper_ids, key=lambda i: -cosine[i])


NEURAL_NETWORKS = ["1512.03385", "2305.00002", "2305.00003"]  # the papers holding the phrase "neural network"


def test_a_phrase_held_by_fewer_papers_than_the_pool_ranks_them_all_by_meaning(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = 'molecules and weights "neural network"'
    monkeypatch.setattr(VectorIndex, "search", lambda *args, **kwargs: pytest.fail("no walk: they are all known"))
    response = engine.search(text, mode="semantic")
    assert ids(response) == by_cosine(engine, text, NEURAL_NETWORKS) and response.total == 3
    assert ids(engine.search(f"{text} -pruning", mode="semantic")) == by_cosine(engine, text, NEURAL_NETWORKS[::2])


def test_a_phrase_held_by_more_papers_than_the_pool_is_checked_on_the_nearest(
    engine: SearchEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = 'molecules and weights "neural network"'
    monkeypatch.setattr(engine_module, "POOL_DEPTH", 2)  # a pool of 2: three papers hold the phrase
    response = engine.search(text, mode="semantic", limit=1)
    assert ids(response) == by_cosine(engine, text, NEURAL_NETWORKS)[:1] and response.total == 2


class SpiedView:
    """A view of the real index (a search's lexical work goes through one) calling ``before(query)`` ahead of
    each full evaluation."""

    def __init__(self, view, before) -> None:
        self._view, self._before = view, before

    def __getattr__(self, name: str):
        return getattr(self._view, name)

    def search(self, query, **kwargs):
        self._before(query)
        return self._view.search(query, **kwargs)


class CountingIndex(LexicalIndex):
    """The real index, counting the full evaluations (match counts over the whole index) it makes."""

    def __init__(self, index: LexicalIndex) -> None:
        super().__init__(index.directory, index._index)
        self.evaluated: list[tuple[str, ...]] = []  # the phrases of each query evaluated

    def view(self):
        return SpiedView(super().view(), lambda query: self.evaluated.append(tuple(t.text for t in query.phrases)))


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_a_phrase_is_evaluated_once_per_search(engine: SearchEngine, mode: str) -> None:
    # The relaxation check, the semantic leg's fallback and the lexical leg share one evaluation: a
    # common phrase costs tens of milliseconds at millions of papers.
    plain = engine.search('robot "legged robot"', mode=mode)
    engine.lexical = counting = CountingIndex(engine.lexical)
    response = engine.search('robot "legged robot"', mode=mode)
    assert counting.evaluated == [("legged robot",)]
    assert ids(response) == ids(plain) and response.total == plain.total
    counting.evaluated.clear()
    relaxed = engine.search('robot "robot legged"', mode=mode)  # each relaxation once, then reused
    assert counting.evaluated == [("robot legged",), ()] and relaxed.warnings


class RecordingEmbedder:
    """The engine's embedder, noting the thread each query is embedded on (or failing, when told to)."""

    def __init__(self, inner, fail: bool = False) -> None:
        self._inner, self._fail = inner, fail
        self.threads: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._inner, name)

    def embed_query(self, text: str):
        self.threads.append(threading.current_thread().name)
        if self._fail:
            raise RuntimeError("the embedder broke")
        return self._inner.embed_query(text)


def test_a_hybrid_search_embeds_its_query_beside_the_lexical_leg(engine: SearchEngine) -> None:
    engine.query_embeddings = QueryEmbeddingCache(0)  # the same query embedded each time (issue 27 keeps them)
    serial = engine.search("legged robot terrain", mode="hybrid")
    engine.embedder = recording = RecordingEmbedder(engine.embedder)
    response = engine.search("legged robot terrain", mode="hybrid")
    assert len(recording.threads) == 1 and recording.threads[0] != threading.current_thread().name
    assert [(r.paper.pk, r.score) for r in response.results] == [(r.paper.pk, r.score) for r in serial.results]
    engine.embedder = RecordingEmbedder(recording, fail=True)
    with pytest.raises(RuntimeError, match="the embedder broke"):  # raised to the caller, not lost on the thread
        engine.search("legged robot terrain", mode="hybrid")


class StartedEmbedder(RecordingEmbedder):
    """Signals when a query's embedding has started."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.started = threading.Event()

    def embed_query(self, text: str):
        self.started.set()
        return super().embed_query(text)


class WaitingIndex(LexicalIndex):
    """The real index, noting whether the query's embedding was under way while it evaluated the query."""

    def __init__(self, index: LexicalIndex, embedder: StartedEmbedder) -> None:
        super().__init__(index.directory, index._index)
        self._embedder = embedder
        self.beside_embedding: list[bool] = []

    def view(self):
        return SpiedView(super().view(), lambda _: self.beside_embedding.append(self._embedder.started.wait(timeout=5)))


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
@pytest.mark.parametrize("text", ['robot "legged robot"', 'robot "robot legged"', "legged robot -swarms"])
def test_a_query_is_embedded_while_its_phrases_and_exclusions_are_checked(
    engine: SearchEngine, mode: str, text: str
) -> None:
    engine.query_embeddings = QueryEmbeddingCache(0)  # the same query embedded each time (issue 27 keeps them)
    expected = engine.search(text, mode=mode)
    engine.embedder = embedder = StartedEmbedder(engine.embedder)
    engine.lexical = waiting = WaitingIndex(engine.lexical, embedder)
    response = engine.search(text, mode=mode)
    assert waiting.beside_embedding and all(waiting.beside_embedding)
    assert len(embedder.threads) == 1 and embedder.threads[0].startswith("papertide-embed-query")
    assert [(r.paper.pk, r.score) for r in response.results] == [(r.paper.pk, r.score) for r in expected.results]
    assert response.warnings == expected.warnings


def test_a_semantic_search_with_nothing_to_check_embeds_its_query_itself(engine: SearchEngine) -> None:
    engine.embedder = recording = RecordingEmbedder(engine.embedder)
    assert ids(engine.search("legged robot terrain", mode="semantic"))[0] == "2401.00004"
    assert recording.threads == [threading.current_thread().name]  # no thread hop for nothing to overlap


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_a_ten_thousand_character_query_is_searched_whole(engine: SearchEngine, mode: str) -> None:
    # Over 10,000 characters: a long description, with words no paper holds among its own.
    sentences = [
        f"Our legged robot number {i} learns to walk over rough terrain (trial unrelatedword{i})." for i in range(140)
    ]
    text = " ".join(sentences)
    assert len(text) >= 10_000
    response = engine.search(text, mode=mode)
    assert ids(response)[0] == "2401.00004" and response.mode == mode


def test_pasted_text_is_searched_without_operators(engine: SearchEngine) -> None:
    abstract = (
        'Results: deeper neural networks are "more difficult to train -- so we present a residual learning '
        "framework -including shortcut connections; see arXiv:1512.03385 cat:cs.CV"
    )
    for mode in ("lexical", "hybrid"):
        response = engine.search(abstract, mode=mode, operators=False)
        assert ids(response)[0] == "1512.03385" and response.warnings == () and response.paper_id is None
    assert engine.search("-residual", mode="lexical", operators=False).total >= 1


def test_repeated_words_weigh_more(lexical_engine: SearchEngine) -> None:
    once = ids(lexical_engine.search("swarms pruning", mode="lexical"))
    assert set(once[:2]) == {"2402.00005", "2305.00002"}
    assert ids(lexical_engine.search("swarms pruning pruning pruning", mode="lexical"))[0] == "2305.00002"
    assert ids(lexical_engine.search("swarms swarms swarms pruning", mode="lexical"))[0] == "2402.00005"


_CORPUS_WORDS = sorted({word for paper in PAPERS for word in f"{paper.title} {paper.abstract}".split()})


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    found=st.sampled_from(_CORPUS_WORDS),
    others=st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.,;?!()'", min_size=1), max_size=12),
    position=st.integers(0, 12),
)
def test_a_query_without_operators_finds_something_when_any_word_occurs(
    lexical_engine: SearchEngine, found: str, others: list[str], position: int
) -> None:
    words = [*others[:position], found, *others[position:]]
    response = lexical_engine.search(" ".join(words), mode="lexical")
    assert response.total >= 1 and response.results


def test_a_hybrid_pool_holds_both_scores_the_scored_words_and_the_vectors(engine: SearchEngine) -> None:
    assert engine.vectors is not None
    pool = engine.candidates(parse_query("quadruped walking with reinforcement learning walking"), engine.vectors)
    assert pool.words == 5  # "with" is a stop word; "walking" counts twice
    assert set(pool.vectors.pks) == set(pool.cosine) == pool.bm25.keys() | pool.cosine.keys()
    for pk, paper in zip(pool.vectors.pks, pool.vectors.vectors, strict=True):
        assert pool.cosine[pk] == pytest.approx(float(paper @ pool.query), abs=1e-5)


@pytest.mark.parametrize("mapped", [False, True])
def test_the_graphs_vectors_are_mapped_only_when_the_settings_say(
    lexical_engine: SearchEngine, store: PaperStore, settings: Settings, mapped: bool
) -> None:
    index_vectors(store, settings, ann_min_rows=1)
    engine = SearchEngine.open(settings.model_copy(update={"map_vector_graph": mapped}), store)
    assert engine.vectors is not None and engine.vectors.uses_ann
    graph = str(vectors_dir(settings) / "hnsw.faiss")
    assert (graph in Path("/proc/self/maps").read_text()) is mapped
    assert ids(engine.search("message passing on graphs", mode="semantic"))


def test_the_next_page_and_the_same_search_again_skip_the_model(engine: SearchEngine) -> None:
    calls = []
    embed_query = engine.embedder.embed_query
    engine.embedder.embed_query = lambda text: calls.append(text) or embed_query(text)  # type: ignore[method-assign]
    first = engine.search("residual networks", mode="hybrid", limit=2)
    second = engine.search("residual   networks", mode="hybrid", limit=2, offset=2)
    again = engine.search("residual networks", mode="semantic", limit=2)
    assert calls == ["residual networks"]
    assert engine.query_embeddings.hits == 2 and engine.query_embeddings.misses == 1
    assert ids(first) and ids(again) and not set(ids(first)) & set(ids(second))
    engine.query_embeddings = QueryEmbeddingCache(0)
    assert ids(engine.search("residual networks", mode="semantic", limit=2)) == ids(again)
    assert len(calls) == 2
