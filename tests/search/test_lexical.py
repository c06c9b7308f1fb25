"""The lexical index on a small real store: analysis, query compilation, filters, incremental updates."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.lexical.analysis import NAMES, QUERY_TEXT, TEXT
from papertide.search.lexical.compile import MAX_FREE_WORDS, RESCORED, extra_words, free_words
from papertide.search.lexical.documents import TITLE_WEIGHT
from papertide.search.lexical.index import LexicalIndex
from papertide.search.query import Filters, merge_filters, parse_query
from papertide.store import PaperStore


def _paper(paper_id: str, title: str, abstract: str, authors: list[str], categories: list[str], day: str) -> Paper:
    submitted = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return Paper(paper_id, title, abstract, authors=authors, categories=categories, submitted=submitted, source="test")


# Real-looking arXiv records; ids map to the behaviour each one exercises.
PAPERS = [
    _paper("1706.03762", "Attention Is All You Need",
           "We propose a new simple network architecture, the Transformer, based solely on attention mechanisms.",
           ["Ashish Vaswani", "Noam Shazeer"], ["cs.CL", "cs.LG"], "2017-06-12"),
    _paper("1810.04805", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
           "We introduce a new language representation model called BERT, which stands for Bidirectional "
           "Encoder Representations from Transformers.", ["Jacob Devlin", "Ming-Wei Chang"], ["cs.CL"], "2018-10-11"),
    _paper("1512.03385", "Deep Residual Learning for Image Recognition",
           "Deeper neural networks are more difficult to train. We present a residual learning framework.",
           ["Kaiming He", "Xiangyu Zhang"], ["cs.CV"], "2015-12-10"),
    _paper("2006.11239", "Denoising Diffusion Probabilistic Models",
           "We present high quality image synthesis results using diffusion probabilistic models.",
           ["Jonathan Ho", "Ajay Jain", "Pieter Abbeel"], ["cs.LG", "stat.ML"], "2020-06-19"),
    _paper("2308.04079", "3D Gaussian Splatting for Real-Time Radiance Field Rendering",
           "Radiance field methods have recently revolutionized novel-view synthesis of scenes.",
           ["Bernhard Kerbl", "Georgios Kopanas"], ["cs.GR", "cs.CV"], "2023-08-08"),
    _paper("1412.6980", "Adam: A Method for Stochastic Optimization",
           "We introduce Adam, an algorithm for first-order gradient-based optimization of stochastic "
           "objective functions.", ["Diederik P. Kingma", "Jimmy Ba"], ["cs.LG"], "2014-12-22"),
    _paper("2106.09685", "LoRA: Low-Rank Adaptation of Large Language Models",
           "We propose Low-Rank Adaptation, which freezes the pre-trained model weights and injects trainable "
           "rank decomposition matrices.", ["Edward J. Hu", "Yelong Shen"], ["cs.CL", "cs.AI"], "2021-06-17"),
    _paper("hep-th/9711200", "The Large N Limit of Superconformal Field Theories and Supergravity",
           "We show that the large N limit of certain conformal field theories includes gravity.",
           ["Juan Maldacena"], ["hep-th"], "1997-11-27"),
    _paper("2201.00001", "Sparse recovery in networks of neurons",
           "Networks of spiking neurons learn sparse codes; we analyse their recovery guarantees.",
           ["Balázs Szörényi", "Zoë Müller"], ["q-bio.NC", "cs.NE"], "2022-01-03"),
    _paper("2305.00002", "Neural network pruning at initialization",
           "We study pruning of neural network weights before training and find lottery tickets.",
           ["Anna Schmidt"], ["cs.LG"], "2023-05-02"),
    _paper("2305.00003", "Graph neural networks for molecules",
           "Message passing neural networks predict molecular properties; attention is not needed here.",
           ["Li Wei", "Anna Schmidt"], ["cs.LG", "physics.chem-ph"], "2023-05-20"),
    _paper("2401.00004", "Reinforcement learning for legged robots",
           "A legged robot learns to walk with deep reinforcement learning in simulation.",
           ["Marco Hutter"], ["cs.RO"], "2024-01-15"),
    _paper("2402.00005", "Networked control of robot swarms",
           "Robot swarms coordinate over a wireless network with delays.", ["Jane Network"], ["cs.RO", "eess.SY"],
           "2024-02-01"),
    _paper("2403.00006", "An undated survey of transformers",
           "A survey of transformer architectures for vision and language.", ["Sam Survey"], ["cs.LG"], "2024-03-01"),
]  # fmt: skip


@pytest.fixture
def indexed(store: PaperStore, tmp_path: Path) -> LexicalIndex:
    ingest(PAPERS, store)
    index = LexicalIndex.open(tmp_path / "index" / "lexical")
    index.update_from(store)
    return index


def ids(index: LexicalIndex, store: PaperStore, text: str, **kwargs) -> list[str]:
    hits = index.search(parse_query(text), limit=50, **kwargs).hits
    return [paper.paper_id for paper in store.get_many([pk for pk, _ in hits])]


def test_analysis_folds_diacritics_and_stems_text_but_not_names() -> None:
    assert TEXT.terms("Networks of Neurons, naïvely") == ["network", "of", "neuron", "naiv"]
    assert QUERY_TEXT.terms("Networks of Neurons, naïvely") == ["network", "neuron", "naiv"]
    assert NAMES.terms("Balázs Szörényi-Jones") == ["balazs", "szorenyi", "jones"]
    assert QUERY_TEXT.terms("What would it have been, and why?") == []


def test_stop_words_are_indexed_but_only_searched_when_nothing_else_is(
    indexed: LexicalIndex, store: PaperStore
) -> None:
    assert ids(indexed, store, '"is all you need"') == ["1706.03762"]
    assert ids(indexed, store, '"all is you need"') == []  # a phrase is exact, stop words and all
    assert ids(indexed, store, "all") == ["1706.03762"]  # nothing but stop words: those are searched
    assert ids(indexed, store, "all xylophone") == ["1706.03762"]  # no other word occurs: likewise
    with_the = indexed.search(parse_query("the attention"), limit=50).hits
    assert with_the == indexed.search(parse_query("attention"), limit=50).hits  # else they add nothing


def test_title_match_ranks_first(indexed: LexicalIndex, store: PaperStore) -> None:
    assert ids(indexed, store, "diffusion models")[0] == "2006.11239"


def test_free_words_are_alternatives_ranked_by_bm25(indexed: LexicalIndex, store: PaperStore) -> None:
    found = ids(indexed, store, "gaussian splatting adam")
    assert set(found) == {"2308.04079", "1412.6980"}


def test_stemming_matches_other_word_forms(indexed: LexicalIndex, store: PaperStore) -> None:
    assert {"2201.00001", "2305.00002", "2305.00003", "2402.00005"} <= set(ids(indexed, store, "network"))
    assert "2402.00005" in ids(indexed, store, "networking")


def test_diacritics_are_folded_both_ways(indexed: LexicalIndex, store: PaperStore) -> None:
    assert ids(indexed, store, "Balazs") == ["2201.00001"]
    assert ids(indexed, store, "author:szörényi") == ["2201.00001"]
    assert ids(indexed, store, "author:Zoe") == ["2201.00001"]


def test_phrase_needs_the_words_in_order(indexed: LexicalIndex, store: PaperStore) -> None:
    # Phrase words are stemmed like any others: "neural networks" also finds "neural network".
    assert set(ids(indexed, store, '"neural networks"')) == {"2305.00002", "2305.00003", "1512.03385"}
    assert ids(indexed, store, '"networks neural"') == []


def test_phrase_is_required_and_free_words_only_rank(indexed: LexicalIndex, store: PaperStore) -> None:
    found = ids(indexed, store, '"legged robot" swarms')
    assert found == ["2401.00004"]


def test_negated_terms_exclude(indexed: LexicalIndex, store: PaperStore) -> None:
    found = ids(indexed, store, "network -pruning -author:wei")
    assert "2305.00002" not in found and "2305.00003" not in found
    assert "2201.00001" in found


def test_author_terms_match_within_one_name(indexed: LexicalIndex, store: PaperStore) -> None:
    assert set(ids(indexed, store, "author:schmidt")) == {"2305.00002", "2305.00003"}
    assert ids(indexed, store, 'author:"anna schmidt" graph') == ["2305.00003", "2305.00002"]
    assert ids(indexed, store, 'author:"schmidt li"') == []  # two authors' names do not run together
    assert ids(indexed, store, "network author:network") == ["2402.00005"]


def test_field_terms_search_only_their_field(indexed: LexicalIndex, store: PaperStore) -> None:
    assert ids(indexed, store, "title:attention") == ["1706.03762"]
    assert set(ids(indexed, store, "abstract:attention")) == {"1706.03762", "2305.00003"}


def test_category_filters_with_wildcards_and_exclusion(indexed: LexicalIndex, store: PaperStore) -> None:
    everywhere = {"1706.03762", "1512.03385", "2201.00001", "2305.00002", "2305.00003", "2402.00005"}
    assert set(ids(indexed, store, "network")) == everywhere
    assert set(ids(indexed, store, "network cat:cs.*")) == everywhere
    assert set(ids(indexed, store, "network cat:eess.*,q-bio.*")) == {"2201.00001", "2402.00005"}
    assert set(ids(indexed, store, "network cat:cs.N*")) == {"2201.00001"}
    assert set(ids(indexed, store, "network cat:q-bio.*,cs.RO")) == {"2201.00001", "2402.00005"}
    assert set(ids(indexed, store, "network -cat:cs.LG")) == {"2201.00001", "2402.00005", "1512.03385"}
    assert set(ids(indexed, store, "cat:cs.LG -cat:stat.*")) == {
        "1706.03762", "1412.6980", "2305.00002", "2305.00003", "2403.00006",
    }  # fmt: skip


def test_filters_do_not_change_scores(indexed: LexicalIndex) -> None:
    plain = dict(indexed.search(parse_query("network"), limit=50).hits)
    filtered = indexed.search(parse_query("network cat:cs.* year:2020.."), limit=50).hits
    assert filtered and all(plain[pk] == pytest.approx(score) for pk, score in filtered)


def test_year_and_date_ranges_are_inclusive(indexed: LexicalIndex, store: PaperStore) -> None:
    assert set(ids(indexed, store, "network year:2023")) == {"2305.00002", "2305.00003"}
    assert set(ids(indexed, store, "network date:2022-01-03..2023-05-02")) == {"2201.00001", "2305.00002"}
    assert ids(indexed, store, "year:..2014") == ["1412.6980", "hep-th/9711200"]  # newest first when browsing


def test_dates_beyond_what_tantivy_stores_leave_nothing_or_limit_nothing(
    indexed: LexicalIndex, store: PaperStore
) -> None:
    assert ids(indexed, store, "network year:2300") == []
    assert ids(indexed, store, "network year:..1500") == []
    everything = set(ids(indexed, store, "network"))
    assert set(ids(indexed, store, "network year:1500..")) == everything
    forever = Filters(date_from=date(1, 1, 1), date_to=date(9999, 12, 31))
    assert len(indexed.search(merge_filters(parse_query(""), forever), limit=50).hits) == len(PAPERS)


def test_a_paper_dated_beyond_tantivy_is_indexed_as_undated(indexed: LexicalIndex, store: PaperStore) -> None:
    ingest([_paper("2501.00020", "Medieval networks", "Old.", ["A. Monk"], ["cs.SI"], "1450-01-01")], store)
    indexed.update_from(store)
    assert "2501.00020" in ids(indexed, store, "network")
    assert "2501.00020" not in ids(indexed, store, "network year:..2000")


def test_empty_query_lists_everything_newest_first_undated_last(indexed: LexicalIndex, store: PaperStore) -> None:
    ingest([replace(PAPERS[0], id="2501.00001", title="Undated", submitted=None)], store)
    indexed.update_from(store)
    found = ids(indexed, store, "", newest=True)
    assert len(found) == len(PAPERS) + 1
    assert found[:2] == ["2403.00006", "2402.00005"] and found[-1] == "2501.00001"
    assert ids(indexed, store, "year:2000..") and "2501.00001" not in ids(indexed, store, "year:2000..")


def test_newest_sort_keeps_the_matches(indexed: LexicalIndex, store: PaperStore) -> None:
    assert ids(indexed, store, "network", newest=True) == [
        "2402.00005", "2305.00003", "2305.00002", "2201.00001", "1706.03762", "1512.03385",
    ]  # fmt: skip


def test_total_counts_all_matches_and_offset_pages(indexed: LexicalIndex) -> None:
    first = indexed.search(parse_query("network"), limit=2)
    second = indexed.search(parse_query("network"), limit=2, offset=2)
    assert first.total == second.total == 6
    assert not {pk for pk, _ in first.hits} & {pk for pk, _ in second.hits}


def test_form_filters_merge_with_typed_ones(indexed: LexicalIndex, store: PaperStore) -> None:
    parsed = merge_filters(parse_query("network cat:cs.*"), Filters(categories_include=("cs.RO",)))
    hits = indexed.search(parsed, limit=10).hits
    assert [p.paper_id for p in store.get_many([pk for pk, _ in hits])] == ["2402.00005"]


def test_incremental_update_replaces_changed_papers_and_adds_new_ones(indexed: LexicalIndex, store: PaperStore) -> None:
    before = len(indexed)
    changed = replace(PAPERS[4], title="Gaussian Splatting Revisited", abstract="Now about point clouds.")
    added = _paper("2501.00007", "Splatting for robots", "Robots map with splats.", ["Ro Bot"], ["cs.RO"], "2025-01-07")
    ingest([changed, added], store)
    assert indexed.update_from(store) == 2
    assert len(indexed) == before + 1
    assert set(ids(indexed, store, "splatting")) == {"2308.04079", "2501.00007"}
    assert ids(indexed, store, "radiance") == []  # the old text is gone
    assert ids(indexed, store, "revisited") == ["2308.04079"]
    assert indexed.update_from(store) == 0
    assert indexed.last_seq == store.max_change_seq()


def test_a_view_answers_from_its_commit_and_the_next_view_from_the_newest(
    indexed: LexicalIndex, store: PaperStore
) -> None:
    # A search does all its lexical work in one view: a commit landing meanwhile (another process
    # indexing) neither mixes two commits into one search nor stays unseen by the next one.
    view = indexed.view()
    added = _paper("2501.00030", "Splatting robots", "Robots map with splats.", ["Ro Bot"], ["cs.RO"], "2025-01-30")
    ingest([added], store)
    LexicalIndex.open(indexed.directory).update_from(store)  # another opening of the index commits
    query = parse_query("splatting")
    assert view.search(query, limit=10).total == 1 and view.stats.num_docs == len(PAPERS)
    assert indexed.view() is not view and indexed.search(query, limit=10).total == 2
    pk = store.get("2501.00030").pk
    assert view.scores(query, [pk]) == {} and pk in indexed.scores(query, [pk])
    assert indexed.view() is indexed.view()  # unchanged index: the same view


def test_index_reopens_with_its_contents(indexed: LexicalIndex, store: PaperStore) -> None:
    reopened = LexicalIndex.open(indexed.directory)
    assert len(reopened) == len(PAPERS)
    assert reopened.last_seq == store.max_change_seq()
    assert ids(reopened, store, "superconformal") == ["hep-th/9711200"]


def test_index_of_another_format_is_rebuilt(indexed: LexicalIndex, store: PaperStore) -> None:
    (indexed.directory / "papertide.json").write_text('{"format": "0.0"}')
    reopened = LexicalIndex.open(indexed.directory)
    assert len(reopened) == 0 and reopened.last_seq == 0
    assert reopened.update_from(store) == len(PAPERS)


def test_scores_of_given_papers_match_a_full_search(indexed: LexicalIndex, store: PaperStore) -> None:
    pks = [paper.pk for paper in store.get_many_by_id(["2305.00002", "2305.00003", "1706.03762", "1412.6980"])]
    full = dict(indexed.search(parse_query("neural network attention"), limit=50).hits)
    given = indexed.scores(parse_query("neural network attention"), pks)
    assert set(given) == set(pks[:3])  # Adam matches none of the words
    assert all(given[pk] == pytest.approx(full[pk]) for pk in given)
    assert set(indexed.scores(parse_query('"neural network" -graph'), pks)) == {pks[0]}
    unknown = list(range(10**6, 10**6 + 5000))  # enough keys to be looked up as a set, not one by one
    assert indexed.scores(parse_query("neural network attention"), pks + unknown) == given


def test_a_title_only_record_scores_as_under_one_field_bm25(store: PaperStore, tmp_path: Path) -> None:
    """BM25F: a title-only record is not held to a title field's weight. Here the short title-only record
    holds both words once, as the long record's abstract does: one-field BM25 puts the shorter first."""
    long_abstract = "We review visual cortex models. " + "Receptive fields are measured in many ways. " * 8
    ingest(
        [
            _paper("2501.00030", "Sparse coding in visual cortex", "", ["A. Author"], ["q-bio.NC"], "2025-01-01"),
            _paper("2501.00031", "Visual cortex models", f"Sparse coding. {long_abstract}", ["B. Author"],
                   ["q-bio.NC"], "2025-01-02"),
        ],
        store,
    )  # fmt: skip
    index = LexicalIndex.open(tmp_path / "lexical")
    index.update_from(store)
    assert ids(index, store, "sparse coding") == ["2501.00030", "2501.00031"]


def test_title_only_records_score_exactly_as_one_field_bm25(store: PaperStore, tmp_path: Path) -> None:
    """A record without an abstract holds its title once in the combined field, so its score is plain BM25
    (tantivy's k1 1.2, b 0.75) over its title, with the document length and average length of that field."""
    titles = ["Sparse coding in visual cortex", "Sparse sparse coding of natural images", "Cortex maps"]
    with_abstract = ("Visual cortex models", "Sparse coding explains receptive fields in the visual cortex.")
    ingest(
        [Paper(f"2502.0000{i}", title, source="test") for i, title in enumerate(titles)]
        + [Paper("2502.00009", with_abstract[0], with_abstract[1], source="test")],
        store,
    )
    index = LexicalIndex.open(tmp_path / "lexical")
    index.update_from(store)
    documents = [TEXT.terms(title) for title in titles]
    documents.append(TEXT.terms(" ".join([with_abstract[0]] * TITLE_WEIGHT + [with_abstract[1]])))
    average = sum(map(len, documents)) / len(documents)

    def bm25(words: list[str], document: list[str]) -> float:
        total = 0.0
        for word in words:
            holding = sum(word in other for other in documents)
            idf = math.log(1 + (len(documents) - holding + 0.5) / (holding + 0.5))
            tf = document.count(word)
            total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(document) / average))
        return total

    scored = dict(index.search(parse_query("sparse coding"), limit=10).hits)
    pks = {paper.paper_id: paper.pk for paper in store.get_many_by_id([f"2502.0000{i}" for i in range(3)])}
    assert set(pks.values()) & set(scored) == {pks["2502.00000"], pks["2502.00001"]}
    for number, document in enumerate(documents[:3]):
        expected = bm25(["spars", "code"], document)
        assert scored.get(pks[f"2502.0000{number}"], 0.0) == pytest.approx(expected, rel=1e-4), number


def test_title_words_weigh_more_than_abstract_words(indexed: LexicalIndex, store: PaperStore) -> None:
    assert ids(indexed, store, "attention")[0] == "1706.03762"  # in its title and abstract; 2305.00003's abstract
    assert ids(indexed, store, "swarms")[0] == "2402.00005"


def test_a_long_query_is_searched_by_its_most_telling_words(indexed: LexicalIndex, store: PaperStore) -> None:
    common = " ".join(["network"] * 3 + ["neural"] * 3)  # in many papers, typed often
    rare = " ".join(f"superconformal{'' if i == 0 else i}" for i in range(MAX_FREE_WORDS))  # one real, the rest in none
    words = free_words(parse_query(f"{common} {rare} gravity"), indexed.stats())
    assert len(words) <= MAX_FREE_WORDS and {"superconform", "graviti", "network"} <= set(words)
    assert not any(word.startswith("superconformal1") for word in words)  # in no paper: never chosen
    assert words["network"] == 3.0  # typed three times
    assert ids(indexed, store, f"network neural {rare} gravity")[0] == "hep-th/9711200"
    # The hits say how many words scored them (what hybrid fusion weighs the two legs by).
    assert indexed.search(parse_query(f"{common} {rare} gravity"), limit=5).words == sum(words.values())
    assert indexed.search(parse_query('the neural networks of networks "low rank"'), limit=5).words == 3


def test_a_long_querys_best_matches_are_ranked_by_every_word(store: PaperStore, tmp_path: Path) -> None:
    rare = [f"xq{i}" for i in range(MAX_FREE_WORDS)]  # held by two papers: the most telling words
    papers = [
        _paper("2501.00001", "Alpha", " ".join(rare) + " approach", ["A One"], ["cs.LG"], "2025-01-01"),
        _paper("2501.00002", "Alpha", " ".join(rare) + " method", ["B Two"], ["cs.LG"], "2025-01-02"),
    ] + [
        _paper(f"2501.001{i:02}", f"Filler {i}", "A method for other things.", ["C Three"], ["cs.LG"], "2025-01-03")
        for i in range(RESCORED + 5)
    ]
    ingest(papers, store)
    index = LexicalIndex.open(tmp_path / "lexical")
    index.update_from(store)
    query = parse_query(" ".join(rare) + " method")
    chosen = free_words(query, index.stats())
    assert set(chosen) == set(rare) and extra_words(query, index.stats(), chosen) == {"method": 1.0}
    # The two papers tie on the telling words; "method", common and left out of matching, decides.
    assert ids(index, store, " ".join(rare) + " method")[:2] == ["2501.00002", "2501.00001"]
    assert ids(index, store, " ".join(rare) + " approach")[:2] == ["2501.00001", "2501.00002"]
    # Every page is cut from the same ranking, whatever its size.
    ranking = index.search(query, limit=40)
    assert ranking.total == 2 and len(ranking.hits) == 2  # matched by the telling words only
    assert index.search(query, limit=1).hits == ranking.hits[:1]
    assert index.search(query, limit=1, offset=1).hits == ranking.hits[1:2]
    # A long query that a filter leaves without a match finds nothing, and says so.
    unmatched = index.search(parse_query(" ".join(rare) + " method cat:hep-th"), limit=10)
    assert unmatched.hits == [] and unmatched.total == 0


def test_an_index_of_a_few_papers_in_memory_searches_them_as_the_library_index_does(
    indexed: LexicalIndex, store: PaperStore
) -> None:
    few = store.get_many_by_id(["2305.00002", "2305.00003", "2401.00004", "1706.03762"])
    small = LexicalIndex.of_papers(few)
    assert len(small) == 4
    for text in ("neural networks", 'author:"Anna Schmidt"', "attention cat:cs.LG", "robot -legged", "nothing"):
        everywhere = set(ids(indexed, store, text))
        assert set(ids(small, store, text)) == everywhere & {p.paper_id for p in few}, text
    assert ids(small, store, "robot") == ["2401.00004"]  # the library's other robot paper is not in it
