"""Pruned free-word searches (maxscore) against the flat query, over the demo corpus's 1,271 real papers.

At 1,271 papers no word reaches the production threshold, so these tests lower it: a word held by
more than 40 papers ("model", "quantum", "network") becomes one the pruning may leave optional.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from papertide.ingest.demo import load_demo
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.lexical import maxscore
from papertide.search.lexical.index import LexicalHits, LexicalIndex
from papertide.search.query import parse_query
from papertide.store import PaperStore

COMMON = 40


@pytest.fixture
def demo_index(store: PaperStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LexicalIndex:
    load_demo(store)
    index = LexicalIndex.open(tmp_path / "lexical")
    index.update_from(store)
    monkeypatch.setattr(maxscore, "COMMON_WORD_PAPERS", COMMON)
    return index


def flat(index: LexicalIndex, text: str, limit: int, monkeypatch: pytest.MonkeyPatch) -> LexicalHits:
    """The search without pruning: every match scored and counted."""
    with monkeypatch.context() as patched:
        patched.setattr(maxscore, "prunable", lambda query: False)
        return index.search(parse_query(text), limit=limit)


def title_queries(store: PaperStore, count: int) -> list[str]:
    """Runs of two to four words from the corpus's titles, as people type them."""
    rng = random.Random(7)
    titles = [paper.title for paper in store.iter_papers(activity=False)]
    queries = []
    while len(queries) < count:
        words = re.findall(r"[a-z]{3,}", rng.choice(titles).lower())
        if len(words) >= 2:
            size = rng.randint(2, min(4, len(words)))
            start = rng.randrange(len(words) - size + 1)
            queries.append(" ".join(words[start : start + size]))
    return queries


def assert_same_page(pruned: LexicalHits, exhaustive: LexicalHits) -> None:
    assert [pk for pk, _ in pruned.hits] == [pk for pk, _ in exhaustive.hits]
    assert [score for _, score in pruned.hits] == pytest.approx([score for _, score in exhaustive.hits], rel=1e-5)
    assert pruned.words == exhaustive.words


@pytest.mark.parametrize(("limit", "least_pruned"), [(10, 50), (100, 5)])
def test_a_pruned_page_is_the_page_of_every_match_scored(
    demo_index: LexicalIndex, store: PaperStore, monkeypatch: pytest.MonkeyPatch, limit: int, least_pruned: int
) -> None:
    pruned_count = 0
    for text in title_queries(store, 150):
        pruned, exhaustive = (
            demo_index.search(parse_query(text), limit=limit),
            flat(demo_index, text, limit, monkeypatch),
        )
        assert_same_page(pruned, exhaustive)
        assert exhaustive.total_exact
        if pruned.total_exact:
            assert pruned.total == exhaustive.total, text
        else:  # a lower bound: at least the papers of its commonest word
            pruned_count += 1
            assert COMMON <= pruned.total <= exhaustive.total, text
    assert pruned_count >= least_pruned  # the comparison above covered pruned pages, not only flat ones


def test_a_page_the_bound_cannot_prove_is_scored_in_full(
    demo_index: LexicalIndex, store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "superconformal" is in one paper, so a page of 1,000 is not filled by the papers holding it
    # and one of the common words; all three are scored in every paper holding one.
    text = "superconformal quantum model"
    pruned, exhaustive = demo_index.search(parse_query(text), limit=1000), flat(demo_index, text, 1000, monkeypatch)
    assert pruned.total_exact and pruned.total == exhaustive.total > COMMON
    assert_same_page(pruned, exhaustive)


@pytest.mark.parametrize(
    "text",
    ["quantum model", "quantum -model", '"quantum field" model', "title:quantum model", "quantum model cat:quant-ph"],
)
def test_only_free_words_without_filters_are_pruned(
    demo_index: LexicalIndex, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    pruned = demo_index.search(parse_query(text), limit=1)
    assert pruned.total_exact == (text != "quantum model")
    assert_same_page(pruned, flat(demo_index, text, 1, monkeypatch))
    newest = demo_index.search(parse_query(text), limit=1, newest=True)
    assert newest.total_exact and newest.total == flat(demo_index, text, 1, monkeypatch).total


def test_word_bounds_follow_the_index_as_it_changes(
    demo_index: LexicalIndex, store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "model spectroscopy"
    before = demo_index.search(parse_query(text), limit=3)
    # Pruned, "model" optional: the count is at least the papers holding it, measured with its best score.
    assert not before.total_exact and before.total == flat(demo_index, "model", 1, monkeypatch).total
    ingest([Paper("2511.00001", "Model model model", "Model.", authors=["A. Model"], source="test")], store)
    assert demo_index.update_from(store) == 1
    after = demo_index.search(parse_query(text), limit=3)
    assert not after.total_exact and after.total == before.total + 1  # measured again for the new commit
    assert_same_page(after, flat(demo_index, text, 3, monkeypatch))
    dense = store.get("2511.00001").pk
    assert demo_index.search(parse_query("model"), limit=1).hits[0][0] == dense  # the word's new best paper
