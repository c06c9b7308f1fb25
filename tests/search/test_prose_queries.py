"""Long prose in the search box: quoted phrases boost rather than filter, TeX and reference lists are not words."""

from __future__ import annotations

import pytest

from papertide.search.engine import SearchEngine
from papertide.search.query import PROSE_WORDS, Field, Term, parse_query
from tests.search.test_engine import engine, ids, lexical_engine, settings  # noqa: F401  (fixtures)

# About legged robots (2401.00004 in tests/search/test_lexical.py's PAPERS), two sentences, no quote.
ROBOT_PROSE = (
    "We train a quadruped robot to walk over rough terrain with deep reinforcement learning in simulation, "
    "then transfer the controller to hardware without tuning. Its gait adapts to slopes, stairs and slippery "
    "floors while it keeps its balance under pushes and sensor delays, and we ask which earlier work did this."
)
# A phrase that only the neural-network-pruning paper (2305.00002) holds.
PRUNING = "neural network pruning"
PAPER_WITH_PRUNING = "2305.00002"


def test_the_prose_fixture_is_prose() -> None:
    assert len(ROBOT_PROSE.split()) > PROSE_WORDS


def test_a_quoted_phrase_in_prose_is_a_boost_and_its_words_are_free_words() -> None:
    parsed = parse_query(f'{ROBOT_PROSE} Something like "{PRUNING}" perhaps.')
    (phrase,) = [term for term in parsed.terms if term.phrase]
    assert phrase == Term(PRUNING, phrase=True, boost=True) and not phrase.required
    assert {Term("neural"), Term("network"), Term("pruning")} <= set(parsed.terms)
    assert parsed.phrases == ()  # nothing for the engine to relax
    assert f"like {PRUNING} perhaps" in parsed.text_for_embedding()


def test_a_quoted_phrase_in_a_short_query_stays_required() -> None:
    (phrase,) = [term for term in parse_query(f'"{PRUNING}" at initialization').terms if term.phrase]
    assert phrase == Term(PRUNING, phrase=True) and phrase.required and not phrase.boost


def test_in_prose_exclusions_and_field_phrases_still_filter() -> None:
    parsed = parse_query(f'{ROBOT_PROSE} -"robot swarms" title:"legged robots"')
    assert Term("robot swarms", phrase=True, negated=True) in parsed.terms
    assert Term("legged robots", Field.TITLE, phrase=True) in parsed.terms
    assert [term.text for term in parsed.terms if term.required and not term.negated] == ["legged robots"]


def test_tex_in_pasted_prose_is_read_as_the_text_it_shows() -> None:
    pasted = (
        f"{ROBOT_PROSE} As shown in \\cite{{hutter2016anymal, lee2020}} and \\citep[p.~3]{{miki2022}}, the "
        "\\emph{gait} scales as $O(n^2)$ with $\\alpha$ fixed \\ref{fig:gait}."
    )
    parsed = parse_query(pasted)
    words = {term.text for term in parsed.terms}
    assert {"gait", "O(n^2)"} <= words
    assert not words & {"hutter2016anymal,", "lee2020", "miki2022", "fig:gait", "cite", "emph", "ref", "alpha"}
    assert "\\" not in parsed.text_for_embedding() and "{" not in parsed.text_for_embedding()


@pytest.mark.parametrize(
    "references",
    [
        "\nReferences\n[1] A. Zebra. Quantum zebra finches. In Proc., 2019.\n[2] B. Okapi. Okapi stripes, 2020.",
        " REFERENCES [1] A. Zebra. Quantum zebra finches. In Proc., 2019. [2] B. Okapi. Okapi stripes, 2020.",
        "\n\nBibliography:\n1. A. Zebra. Quantum zebra finches. 2019.\n2. B. Okapi. Okapi stripes. 2020.",
    ],
)
def test_a_trailing_reference_list_is_left_out_of_prose(references: str) -> None:
    for operators in (True, False):
        parsed = parse_query(ROBOT_PROSE + references, operators=operators)
        words = {term.text.lower() for term in parsed.terms}
        assert "quadruped" in words and not words & {"zebra", "okapi", "finches", "references", "bibliography"}


def test_references_named_early_in_prose_are_words() -> None:
    text = f"References to earlier gaits [1] are few. {ROBOT_PROSE}"
    assert Term("gaits") in parse_query(text).terms and "quadruped" in parse_query(text).text


def test_a_short_query_keeps_tex_and_references_as_typed() -> None:
    assert {term.text for term in parse_query("References [1] \\emph{gait}").terms} == {
        "References",
        "[1]",
        "\\emph{gait}",
    }


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_a_phrase_quoted_in_prose_boosts_its_paper_and_filters_nothing(engine: SearchEngine, mode: str) -> None:  # noqa: F811
    response = engine.search(f'{ROBOT_PROSE} Or maybe "{PRUNING}" helps?', mode=mode, limit=20)
    assert len(response.results) > 1 and response.warnings == () and response.mode == mode
    assert {"2401.00004", PAPER_WITH_PRUNING} <= set(ids(response))


def test_the_boost_raises_the_phrase_holders_lexical_score(lexical_engine: SearchEngine) -> None:  # noqa: F811
    def score(text: str) -> float:
        response = lexical_engine.search(text, mode="lexical", limit=20)
        return {result.paper.paper_id: result.score for result in response.results}[PAPER_WITH_PRUNING]

    assert score(f'{ROBOT_PROSE} Or maybe "{PRUNING}" helps?') > score(f"{ROBOT_PROSE} Or maybe {PRUNING} helps?")


@pytest.mark.parametrize("mode", ["lexical", "semantic", "hybrid"])
def test_a_misquoted_phrase_in_prose_still_finds_papers(engine: SearchEngine, mode: str) -> None:  # noqa: F811
    response = engine.search(f'{ROBOT_PROSE} I recall "robot legged walks learns" somewhere.', mode=mode)
    assert ids(response)[0] == "2401.00004" and response.warnings == ()


def test_semantic_search_of_prose_is_not_narrowed_by_its_quotes(engine: SearchEngine) -> None:  # noqa: F811
    short = engine.search('cooking pasta at home "legged robot"', mode="semantic")
    assert ids(short) == ["2401.00004"]  # a short query's phrase narrows, as before
    prose = engine.search(f'{ROBOT_PROSE} Papers on "legged robot" control, cooking pasta aside.', mode="semantic")
    assert len(prose.results) > 5 and ids(prose)[0] == "2401.00004"


def test_a_pasted_abstracts_reference_list_finds_nothing_by_itself(lexical_engine: SearchEngine) -> None:  # noqa: F811
    pasted = f"{ROBOT_PROSE}\nReferences\n[1] J. Ho. Denoising Diffusion Probabilistic Models. In NeurIPS, 2020."
    assert "2006.11239" not in ids(lexical_engine.search(pasted, mode="lexical", limit=50))
    assert "2006.11239" in ids(lexical_engine.search(pasted.replace("References", "and"), mode="lexical", limit=50))
