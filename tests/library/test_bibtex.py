"""BibTeX in and out: the strict reader against bibtexparser, its errors, and exports parsed back."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import bibtexparser
import pytest
from bibtexparser.bparser import BibTexParser
from hypothesis import given
from hypothesis import strategies as st

from papertide.errors import RecordError
from papertide.library.bibtex import bibtex_references, citation_key, escape_tex, read_bibtex, write_bibtex
from papertide.library.references import readable
from papertide.model import Paper
from papertide.store import PaperStore
from tests.web.corpus import load_papers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "library"


def parse_with_bibtexparser(text: str) -> list[dict]:
    return bibtexparser.loads(text, BibTexParser(common_strings=True, ignore_nonstandard_types=False)).entries


@pytest.mark.parametrize("name", ["zotero.bib", "handwritten.bib"])
def test_the_reader_agrees_with_bibtexparser_on_real_exports(name: str) -> None:
    text = (FIXTURES / name).read_text()
    ours = read_bibtex(text, name)
    theirs = parse_with_bibtexparser(text)
    assert [(e.type, e.key, e.fields) for e in ours] == [
        (e["ENTRYTYPE"], e["ID"], {k: v for k, v in e.items() if k not in ("ENTRYTYPE", "ID")}) for e in theirs
    ]


def test_references_carry_the_identifiers_reference_managers_write() -> None:
    refs = {ref.key: ref for ref in bibtex_references((FIXTURES / "handwritten.bib").read_text())}
    assert refs["vaswani2017attention"].arxiv_ids == ("1706.03762",)  # arXiv's own export: eprint
    assert refs["jiang2023mistral"].arxiv_ids == ("2310.06825",)  # Google Scholar: in the journal, via @string
    assert refs["2016arXiv160608415H"].title == "Gaussian Error Linear Units (GELUs)"  # NASA ADS
    assert refs["ye2024differential"].arxiv_ids == ("2410.05258",)  # \url{...v2} in howpublished
    assert refs["jiang2024mixtral"].arxiv_ids == () and refs["jiang2024mixtral"].line == 39
    zotero = {ref.key: ref for ref in bibtex_references((FIXTURES / "zotero.bib").read_text())}
    assert zotero["perelman_entropy_2002"].arxiv_ids == ("math/0211159",)  # an old-style id in the URL
    assert zotero["maldacena_large_1999"].dois == ("10.1023/a:1026654312961",)
    assert zotero["balazs_calculation_2007"].title.startswith("Calculation of prompt diphoton")


GOOD = "@misc{first,\n  title = {Fine},\n  year = 2020,\n}\n\n"
MALFORMED = {
    "unbalanced braces": (
        GOOD + "@misc{second,\n  title = {Unclosed,\n  year = {2021}\n}\n\n@book{third, title = {OK}}\n",
        "refs.bib: line 7 (entry 'second' from line 6): field 'title': the value's braces do not balance: the entry "
        "runs on into the next one at line 11",
    ),
    "missing comma": (
        GOOD + "@misc{second,\n  title = {Fine}\n  year = 2021\n}\n",
        "refs.bib: line 8 (entry 'second' from line 6): field 'title': expected ',' or '}' after the value, "
        "found 'year = 2021'",
    ),
    "no equals sign": (
        GOOD + "@misc{second,\n  title {Fine},\n}\n",
        "refs.bib: line 7 (entry 'second' from line 6): field 'title': the field name must be followed by '='",
    ),
    "no key": (GOOD + "@misc{\n  title = {Fine},\n}\n", "refs.bib: line 6: the entry needs a citation key"),
    "unclosed quote": (
        GOOD + '@misc{second,\n  title = "Fine,\n}\n',
        "refs.bib: line 7 (entry 'second' from line 6): field 'title': the '\"' opened here has no matching '\"' "
        "before the end of the file",
    ),
    "unclosed entry": (
        GOOD + "@misc{second,\n  title = {Fine},\n",
        "refs.bib: line 8 (entry 'second' from line 6): the entry is not closed: '}' is missing at the end",
    ),
    "no brace after type": (GOOD + "@article second, title = {x}}\n", "refs.bib: line 6: '@article' must be followed"),
    "no value": (
        GOOD + "@misc{second,\n  title = ,\n}\n",
        "refs.bib: line 7 (entry 'second' from line 6): field 'title': expected a value",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_files_are_refused_naming_the_line_and_entry(case: str) -> None:
    text, message = MALFORMED[case]
    with pytest.raises(RecordError) as caught:
        read_bibtex(text, "refs.bib")
    assert caught.value.message.startswith(message), caught.value.message
    assert len(parse_with_bibtexparser(text)) < text.count("@") or case == "no brace after type"  # it would skip


def test_text_outside_entries_is_a_comment() -> None:
    text = "Exported by hand; write to ada@example.org with corrections.\n" + GOOD + "% @misc{not, an entry}\n"
    entries = read_bibtex(text)
    assert [e.key for e in entries] == ["first"]


# -- export ----------------------------------------------------------------------------------------

TRICKY = Paper(
    id="2411.00001",
    title=r"Costs of 100% \& more: $O(n^{2})$ search_trees, {braces}, #tags, ~tilde, ^caret and a \ backslash",
    authors=["Ana Peña-Núñez", "The ATLAS and CMS Collaborations", "Jean-Pierre O'Neil"],
    categories=["cs.DS", "math.CO"],
    submitted=datetime(2024, 11, 1, tzinfo=UTC),
    doi="10.1000/j.ds_2024.01",
    journal_ref="J. Data Struct. 12 (2024) 1-20",
    source="test",
)


def authors_of(entry: dict) -> list[str]:
    """The names of an entry's author field, split at " and " outside braces, as BibTeX does."""
    names, depth, current = [], 0, ""
    for token in re.split(r"(\{|\}| and )", entry["author"]):
        depth += {"{": 1, "}": -1}.get(token, 0)
        if token == " and " and depth == 0:
            names.append(current)
            current = ""
        else:
            current += token
    return [readable(name) for name in [*names, current]]


def exported(store: PaperStore, ids: list[str]) -> tuple[list, dict[str, dict]]:
    papers = store.get_many_by_id(ids)
    entries = parse_with_bibtexparser(write_bibtex(papers))
    return papers, {entry["eprint"]: entry for entry in entries}


def test_exports_parse_back_with_bibtexparser_field_by_field(store: PaperStore) -> None:
    load_papers(store)
    store.write_batch([TRICKY])
    ids = ["1706.03762", "0704.0001", "hep-th/9711200", "2411.00001"]
    papers, entries = exported(store, ids)
    assert set(entries) == set(ids)
    for paper in papers:
        entry = entries[paper.paper_id]
        assert entry["ENTRYTYPE"] == "misc"
        assert (entry["archiveprefix"], entry["primaryclass"]) == ("arXiv", paper.paper.primary_category)
        assert readable(entry["title"]) == paper.title
        assert authors_of(entry) == paper.authors
        assert entry["year"] == str(paper.paper.submitted.year)
        assert entry["url"] == f"https://arxiv.org/abs/{paper.paper_id}"
        assert entry.get("doi", None) == (paper.paper.doi and escape_tex(paper.paper.doi))
        assert readable(entry.get("journal", "")) == (paper.paper.journal_ref or "")
    assert entries["0704.0001"]["doi"] == "10.1103/PhysRevD.76.013009"
    assert entries["0704.0001"]["journal"] == "Phys.Rev.D76:013009,2007"
    assert entries["hep-th/9711200"]["primaryclass"] == "hep-th"


def test_tex_specials_are_escaped_outside_math_only() -> None:
    assert escape_tex("50% of A&B_1 #2 $x_1^{2}$ {x} ~ ^ \\") == (
        r"50\% of A\&B\_1 \#2 $x_1^{2}$ \textbraceleft{}x\textbraceright{} \textasciitilde{} \textasciicircum{} "
        r"\textbackslash{}"
    )
    assert escape_tex("$a}$") == r"\$a\textbraceright{}\$"  # math whose braces do not balance is text


@given(st.text(max_size=200))
def test_any_text_escaped_makes_a_field_bibtex_reads_back(text: str) -> None:
    """Whatever a title or abstract holds (lone braces, backslashes, '$'), the field's braces balance."""
    entry = f"@misc{{key,\n  title = {{{escape_tex(text)}}},\n}}\n"
    assert read_bibtex(entry)[0].fields["title"] == escape_tex(text)


def test_collaborations_with_and_in_their_name_stay_one_author(store: PaperStore) -> None:
    store.write_batch([TRICKY])
    (entry,) = parse_with_bibtexparser(write_bibtex(store.get_many_by_id(["2411.00001"])))
    assert entry["author"].count(" and ") == 3  # two separators, one inside the braced collaboration
    assert "{The ATLAS and CMS Collaborations}" in entry["author"]


def test_citation_keys_are_ascii_and_unique_within_a_file(store: PaperStore) -> None:
    load_papers(store)
    same = [Paper(id=f"2412.0000{n}", title="The Attention Trick", authors=["Zoë Müller"],
                  submitted=datetime(2024, 12, 1, tzinfo=UTC), source="test") for n in (1, 2, 3)]  # fmt: skip
    store.write_batch(same)
    papers = store.get_many_by_id(["1706.03762", "0704.0001", "2412.00001", "2412.00002", "2412.00003"])
    assert citation_key(papers[0]) == "vaswani2017attention"
    assert citation_key(papers[1]) == "balazs2007calculation"  # C. Bal\'azs: accents folded to ASCII
    keys = [entry["ID"] for entry in parse_with_bibtexparser(write_bibtex(papers))]
    assert keys[2:] == ["muller2024attention", "muller2024attentionb", "muller2024attentionc"]
    assert len(set(keys)) == len(keys) and all(key.isascii() for key in keys)


def test_non_arxiv_papers_are_exported_without_an_eprint(store: PaperStore) -> None:
    store.write_batch([Paper(id="hf:abc123", title="A Hugging Face Daily Paper", source="hf_daily")])
    (entry,) = parse_with_bibtexparser(write_bibtex(store.get_many_by_id(["hf:abc123"])))
    assert "eprint" not in entry and "archiveprefix" not in entry
    assert entry["title"] == "A Hugging Face Daily Paper"
