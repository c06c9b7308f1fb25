"""The lexical index's document model: its fields and how a stored paper becomes a document.

Titles, abstracts and author names are indexed in their display form (TeX accents already
turned into Unicode by the store) and folded by :mod:`papertide.search.lexical.analysis`, each in a
field of its own for ``title:``, ``abstract:`` and ``author:``, and all together in
:data:`COMBINED`, which free words and phrases search. That field is BM25F over title, abstract
and authors: the title is added :data:`TITLE_WEIGHT` times, so a word's frequency there and the
document's length are the fields' weighted sums, with one BM25 saturation over them. A paper
with only a title has its title added once: with nothing to weigh it against, it scores exactly
as under one-field BM25 (repeating it would only lower BM25's saturation constant, which costs
MEDLINE 1.7 nDCG@10 points; bench/README.md has the measurements). Each value is a separate run
of positions, so a phrase never spans the title and the abstract. Categories are
indexed lower-cased and untokenized so category patterns compile to term or regex queries; the
submission date is a fast date field so date filters are range queries and "newest" is a sort.
"""

from __future__ import annotations

from datetime import UTC, datetime

import tantivy

from papertide.search.lexical.analysis import NAMES, TEXT
from papertide.store.papers.store import StoredPaper

PK = "pk"
SEQ = "seq"
TITLE = "title"
ABSTRACT = "abstract"
AUTHORS = "authors"
COMBINED = "combined"
CATEGORIES = "categories"
SUBMITTED = "submitted"
# Times the title counts in COMBINED beside an abstract; chosen by the mean nDCG@10 over every evaluation task.
TITLE_WEIGHT = 4


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(PK, indexed=True, fast=True)
    builder.add_unsigned_field(SEQ, fast=True)
    builder.add_text_field(TITLE, tokenizer_name=TEXT.name, index_option="position")
    builder.add_text_field(ABSTRACT, tokenizer_name=TEXT.name, index_option="position")
    builder.add_text_field(AUTHORS, tokenizer_name=NAMES.name, index_option="position")
    builder.add_text_field(COMBINED, tokenizer_name=TEXT.name, index_option="position")
    builder.add_text_field(CATEGORIES, tokenizer_name="raw", index_option="basic")
    builder.add_date_field(SUBMITTED, indexed=True, fast=True)
    return builder.build()


def to_document(stored: StoredPaper) -> tantivy.Document:
    """The document indexed for ``stored``; each author is a value of its own, so a phrase never spans two."""
    doc = tantivy.Document()
    doc.add_unsigned(PK, stored.pk)
    doc.add_unsigned(SEQ, stored.change_seq)
    title, abstract = TEXT.prepare(stored.title), TEXT.prepare(stored.abstract)
    doc.add_text(TITLE, title)
    doc.add_text(ABSTRACT, abstract)
    for _ in range(TITLE_WEIGHT if abstract.strip() else 1):
        doc.add_text(COMBINED, title)
    doc.add_text(COMBINED, abstract)
    for name in stored.authors:
        doc.add_text(AUTHORS, NAMES.prepare(name))
        doc.add_text(COMBINED, TEXT.prepare(name))
    for category in dict.fromkeys(category.lower() for category in stored.paper.categories):
        doc.add_text(CATEGORIES, category)
    submitted = naive_utc(stored.paper.submitted) if stored.paper.submitted else None
    if submitted is not None and EARLIEST <= submitted <= LATEST:  # else indexed as undated
        doc.add_date(SUBMITTED, submitted)
    return doc


def naive_utc(moment: datetime) -> datetime:
    """A UTC datetime without its zone, as tantivy date fields take it."""
    return moment.astimezone(UTC).replace(tzinfo=None)


# tantivy keeps dates as nanoseconds since 1970, so only these fit.
EARLIEST = naive_utc(tantivy.MIN_DATETIME)
LATEST = naive_utc(tantivy.MAX_DATETIME)
