"""Imports of BibTeX and RIS files: matching by arXiv id, DOI and title, reports, and all-or-nothing errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from papertide.errors import InvalidInput, NotFound, RecordError, TooLarge
from papertide.library.collections import Collections
from papertide.library.imports import Importer, ImportLimits
from papertide.library.ris import ris_references
from papertide.model import Paper
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore, User
from papertide.store.library.collections import CollectionStore
from papertide.store.papers.keys import PaperKeyStore
from tests.web.corpus import load_papers

FIXTURES = Path(__file__).parents[1] / "fixtures" / "library"
LIMITS = ImportLimits(max_bytes=5_000_000, max_entries=5_000)


@pytest.fixture
def collections(store: PaperStore) -> Collections:
    load_papers(store)
    return Collections(CollectionStore(store.engine), store)


@pytest.fixture
def importer(store: PaperStore, collections: Collections) -> Importer:
    return Importer(PaperKeyStore(store.engine), collections, LIMITS)


@pytest.fixture
def reader(store: PaperStore) -> User:
    return AccountStore(store.engine).get_or_create_user("reader@example.org")[0]


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def saved_ids(collections: Collections, reader: User) -> set[str]:
    return {saved.paper.paper_id for saved in collections.all_papers(collections.default(reader)).papers}


def test_a_zotero_bibtex_export_matches_by_arxiv_id_doi_and_title(importer, collections, reader) -> None:
    report = importer.run(reader, fixture("zotero.bib"), "My Library.bib")
    assert (report.format, report.entries, report.matched, report.added) == ("BibTeX", 9, 7, 7)
    assert report.collection.name == "Saved" and report.collection.size == 7
    assert saved_ids(collections, reader) == {
        "1706.03762",  # arXiv id in the URL and note
        "1512.03385",  # by title: the CVPR DOI is not the arXiv record's
        "hep-th/9711200",  # by DOI
        "quant-ph/9508027",  # by title, with {Capitals} braced
        "0704.0001",  # by DOI, an accented author
        "2106.09685",  # arXiv id
        "math/0211159",  # an old-style arXiv id
    }
    assert [(u.line, u.key, u.title) for u in report.unmatched] == [
        (95, "devlin_bert_2019", "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"),
        (107, "goodfellow_generative_2014", "Generative Adversarial Nets"),
    ]
    assert report.unmatched[0].reason == (
        "not in this library (looked for arXiv 1810.04805, DOI 10.48550/arxiv.1810.04805 and the title)"
    )
    assert report.unmatched[1].reason == "not in this library (looked for the title)"


def test_a_hand_kept_bibtex_file_and_a_second_import(importer, collections, reader) -> None:
    report = importer.run(reader, fixture("handwritten.bib"), "chapter2.bib")
    assert (report.entries, report.matched, report.added) == (6, 5, 5)
    assert [u.key for u in report.unmatched] == ["knuth1984texbook"]
    again = importer.run(reader, fixture("handwritten.bib"), "chapter2.bib")
    assert (again.matched, again.added, again.collection.size) == (5, 0, 5)  # nothing twice
    assert "2401.04088" in saved_ids(collections, reader)  # Mixtral, by its title alone


def test_a_zotero_ris_export(importer, collections, reader) -> None:
    report = importer.run(reader, fixture("zotero.ris"), "export.ris")
    assert (report.format, report.entries, report.matched, report.added) == ("RIS", 5, 4, 4)
    assert saved_ids(collections, reader) == {"2410.21276", "2410.13720", "2410.17243", "hep-th/9711200"}
    (bert,) = report.unmatched
    assert (bert.line, bert.title) == (
        53,
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
    )


def test_ris_abstracts_wrapped_over_lines_are_read_whole() -> None:
    refs = ris_references(fixture("zotero.ris").decode())
    assert [ref.line for ref in refs] == [1, 18, 31, 39, 53]
    assert refs[2].title.startswith("Breaking the Memory Barrier")  # from T1


def test_into_a_named_collection_and_not_into_someone_elses(importer, collections, reader, store) -> None:
    group = collections.create(reader, "Reading group")
    report = importer.run(reader, fixture("zotero.ris"), "export.ris", group.public_id)
    assert report.collection.public_id == group.public_id and report.collection.size == 4
    stranger = AccountStore(store.engine).get_or_create_user("stranger@example.org")[0]
    with pytest.raises(NotFound):
        importer.run(stranger, fixture("zotero.ris"), "export.ris", group.public_id)


def test_a_title_shared_by_two_papers_matches_neither(importer, reader, store) -> None:
    store.write_batch([Paper(id="2999.00001", title="Mistral 7B", source="test")])  # a namesake
    report = importer.run(reader, b"@misc{m, title = {Mistral {7B}}}\n", "one.bib")
    assert report.matched == 0
    assert report.unmatched[0].reason.startswith("2 papers in this library have this title")


def bibtex_with_error() -> tuple[bytes, str]:
    text = fixture("zotero.bib").decode()
    broken = text.replace("title = {Generative {Adversarial} {Nets}},", "title = {Generative {Adversarial} {Nets},")
    return broken.encode(), (
        "refs.bib: line 108 (entry 'goodfellow_generative_2014' from line 107): field 'title': the value's braces do "
        "not balance: the entry runs on to the end of the file"
    )


def ris_with_error() -> tuple[bytes, str]:
    text = fixture("zotero.ris").decode()
    return text.replace("PY  - 1999\n", "PY 1999\n").encode(), "refs.ris: line 44: expected a tag line"


@pytest.mark.parametrize("broken", [bibtex_with_error, ris_with_error], ids=["bibtex", "ris"])
def test_a_malformed_file_imports_nothing_and_names_the_line(importer, collections, reader, broken) -> None:
    data, where = broken()
    with pytest.raises(RecordError) as caught:
        importer.run(reader, data, "refs.bib" if "bib" in where else "refs.ris")
    assert caught.value.message.startswith(where), caught.value.message
    assert collections.mine(reader) == []  # not even the default collection was made


RIS_ERRORS = {
    "no ER": ("TY  - JOUR\nTI  - One\n", "refs.ris: line 1: the record has no 'ER  - ' line ending it"),
    "no TY": ("TI  - One\nER  - \n", "refs.ris: line 1: 'TI' stands outside a record"),
    "two TY": ("TY  - JOUR\nTI  - One\nTY  - JOUR\nER  - \n", "refs.ris: line 3: a new record starts before"),
    "stray ER": ("TY  - JOUR\nER  - \nER  - \n", "refs.ris: line 3: 'ER' ends a record that never started"),
}


@pytest.mark.parametrize("case", RIS_ERRORS, ids=list(RIS_ERRORS))
def test_ris_structure_errors_name_the_line(importer, reader, case: str) -> None:
    text, message = RIS_ERRORS[case]
    with pytest.raises(RecordError) as caught:
        importer.run(reader, text.encode(), "refs.ris")
    assert caught.value.message.startswith(message), caught.value.message


def test_limits_empty_files_and_encodings(store, collections, reader) -> None:
    small = Importer(PaperKeyStore(store.engine), collections, ImportLimits(max_bytes=2_000, max_entries=3))
    with pytest.raises(TooLarge, match="4,482 bytes; an import takes at most 2,000"):
        small.run(reader, fixture("zotero.bib"), "big.bib")
    with pytest.raises(TooLarge, match="has 5 entries; an import takes at most 3"):
        small.run(reader, fixture("zotero.ris"), "many.ris")
    with pytest.raises(InvalidInput, match="holds no BibTeX entries or RIS records"):
        small.run(reader, b"% just a comment\n", "empty.bib")
    with pytest.raises(RecordError, match=r"latin1\.bib: line 2: the file is not UTF-8"):
        small.run(reader, "@misc{a,\n title = {Café}}\n".encode("latin-1"), "latin1.bib")
    with_bom = "\ufeff@misc{a, title = {Mistral 7B}}\n".encode()
    assert small.run(reader, with_bom, "bom.bib").matched == 1
    assert collections.mine(reader)[0].size == 1
