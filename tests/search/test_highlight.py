"""Highlighting marks what the index matched, escapes everything else, and keeps math whole."""

from __future__ import annotations

from papertide.search.highlight import highlight, query_terms, snippet
from papertide.search.lexical.compile import MAX_FREE_WORDS, TermStats
from papertide.search.query import parse_query


def terms(text: str) -> frozenset[str]:
    return query_terms(parse_query(text))


def test_marks_stemmed_and_folded_matches_and_escapes_the_rest() -> None:
    html = highlight("Networks <of> Balázs & the network", terms("network balazs"))
    assert html == "<mark>Networks</mark> &lt;of&gt; <mark>Balázs</mark> &amp; the <mark>network</mark>"


def test_only_whole_words_are_marked() -> None:
    html = highlight("Subnetworks, 3networks and graph_networks: network", terms("network"))
    assert html == "Subnetworks, 3networks and graph_<mark>networks</mark>: <mark>network</mark>"


def test_author_and_negated_terms_are_not_highlighted() -> None:
    assert terms("author:schmidt -pruning graph") == frozenset({"graph"})


def test_combining_marks_stay_inside_the_mark() -> None:
    assert highlight("Bala\u0301zs wrote", terms("balazs")) == "<mark>Bala\u0301zs</mark> wrote"


def test_math_is_never_marked() -> None:
    html = highlight("Energy $E = mc^2$ of E", terms("e"))
    assert html == "Energy $E = mc^2$ of <mark>E</mark>"


def test_snippet_centres_on_the_densest_matches_without_cutting_words() -> None:
    text = " ".join(["filler"] * 80) + " the diffusion model and diffusion sampling " + " ".join(["tail"] * 80)
    html = snippet(text, terms("diffusion"), max_chars=120)
    assert html.startswith("…") and html.endswith("…")
    assert html.count("<mark>diffusion</mark>") == 2
    words = html.strip("…").replace("<mark>", "").replace("</mark>", "").split()
    assert set(words) <= set(text.split())  # no word cut in half


def test_snippet_without_matches_is_the_start_and_short_text_is_whole() -> None:
    text = "word " * 100
    assert snippet(text, frozenset(), max_chars=50).startswith("word word")
    assert snippet("short <b>", frozenset()) == "short &lt;b&gt;"


def test_snippet_never_cuts_math() -> None:
    text = "$" + "x + " * 30 + "x$ then b b b" + " c" * 200
    html = snippet(text, terms("b"), max_chars=100)
    assert html.startswith("…then <mark>b</mark> <mark>b</mark> <mark>b</mark> c")  # the math is left out whole
    assert "$" not in snippet(text, terms("c"), max_chars=100)


def test_stop_words_are_marked_only_when_the_query_has_nothing_else() -> None:
    assert terms("the state of the art") == frozenset({"state", "art"})
    assert terms("to be or not to be") == frozenset({"to", "be", "or", "not"})
    assert terms('"state of the art" in practice') == frozenset({"state", "art", "practic"})


def test_a_long_text_marks_only_the_words_it_was_searched_by() -> None:
    common = " ".join(f"common{i}" for i in range(MAX_FREE_WORDS))
    stats = TermStats(lambda word: 1 if word == "rare" else 50, num_docs=100)
    marked = query_terms(parse_query(f"{common} rare"), stats)
    assert len(marked) == MAX_FREE_WORDS and "rare" in marked
