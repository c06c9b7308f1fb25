"""The lexical index's document model: its fields and how a stored paper becomes a document.

Titles, abstracts and author names are indexed in their display form (TeX accents already
turned into Unicode by the store) and folded by :mod:`papertide.search.analysis`. Categories are
indexed lower-cased and untokenized so category patterns compile to term or regex queries; the
submission date is a fast date field so date filters are range queries and "newest" is a sort.
"""

from __future__ import annotations

from datetime import UTC, datetime

import tantivy

from papertide.search.analysis import NAMES, TEXT
from papertide.store.papers import StoredPaper

PK = "pk"
SEQ = "seq"
TITLE = "title"
ABSTRACT = "abstract"
AUTHORS = "authors"
CATEGORIES = "categories"
SUBMITTED = "submitted"


def build_schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_unsigned_field(PK, indexed=True, fast=True)
    builder.add_unsigned_field(SEQ, fast=True)
    builder.add_text_field(TITLE, tokenizer_name=TEXT.name, index_option="position")
    builder.add_text_field(ABSTRACT, tokenizer_name=TEXT.name, index_option="position")
    builder.add_text_field(AUTHORS, tokenizer_name=NAMES.name, index_option="position")
    builder.add_text_field(CATEGORIES, tokenizer_name="raw", index_option="basic")
    builder.add_date_field(SUBMITTED, indexed=True, fast=True)
    return builder.build()


def to_document(stored: StoredPaper) -> tantivy.Document:
    """The document indexed for ``stored``; each author is a value of its own, so a phrase never spans two."""
    doc = tantivy.Document()
    doc.add_unsigned(PK, stored.pk)
    doc.add_unsigned(SEQ, stored.change_seq)
    doc.add_text(TITLE, TEXT.prepare(stored.title))
    doc.add_text(ABSTRACT, TEXT.prepare(stored.abstract))
    for name in stored.authors:
        doc.add_text(AUTHORS, NAMES.prepare(name))
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
