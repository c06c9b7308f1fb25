"""Compiling a :class:`ParsedQuery` into tantivy query objects; no user text reaches a query language.

Every term goes through the same analyzer its field was indexed with. The result is one flat
boolean query, because tantivy prunes a flat union of term queries with block-max WAND, which
keeps common words fast on large indexes:

- free words: SHOULD clauses, one per word and field, BM25-scored, summed over the fields (a
  title word also scores in the title field); at least one must match unless a required term
  is present;
- phrases and field terms: MUST clauses (a phrase without a field may match any text field);
- negated terms: MUST_NOT clauses;
- filters: MUST clauses scored zero, so they select without changing the ranking.
"""

from __future__ import annotations

from datetime import datetime, time

import tantivy

from papertide.search.analysis import NAMES, TEXT, Analyzer
from papertide.search.lexical_schema import (
    ABSTRACT,
    AUTHORS,
    CATEGORIES,
    EARLIEST,
    LATEST,
    SUBMITTED,
    TITLE,
)
from papertide.search.query import Field, Filters, ParsedQuery, Term

Occur = tantivy.Occur
Query = tantivy.Query

# Per-field weights of the free-word BM25 sum. A title word nearly always recurs in the abstract,
# so it already scores in both fields: an extra half weight for the title is the best "title
# weighted higher" on SciFact (nDCG@10 test/train 0.696/0.695; title weight 1: 0.664/0.675, 2: 0.626/0.630).
TITLE_BOOST = 0.5
ABSTRACT_BOOST = 1.0
AUTHORS_BOOST = 1.0

_FIELDS: dict[Field, tuple[str, Analyzer]] = {
    Field.TITLE: (TITLE, TEXT),
    Field.ABSTRACT: (ABSTRACT, TEXT),
    Field.AUTHOR: (AUTHORS, NAMES),
}
_BOOSTS = {TITLE: TITLE_BOOST, ABSTRACT: ABSTRACT_BOOST, AUTHORS: AUTHORS_BOOST}


def compile_query(parsed: ParsedQuery, schema: tantivy.Schema) -> tantivy.Query:
    """The tantivy query selecting and scoring what ``parsed`` asks for (every paper when it asks nothing)."""
    free: list[tuple[tantivy.Occur, tantivy.Query]] = []
    words = [term.text for term in parsed.positive_terms if not term.required]
    for field, analyzer in _FIELDS.values():
        for word in dict.fromkeys(token for text in words for token in analyzer.terms(text)):
            free.append((Occur.Should, _boosted(Query.term_query(schema, field, word), field)))
    required = [
        (Occur.Must, query)
        for term in parsed.positive_terms
        if term.required and (query := _term_query(term, schema)) is not None
    ]
    if not (free or required):
        # Only stop words (or words too long to index) match nothing; no terms at all is a listing.
        required.append((Occur.Must, Query.empty_query() if parsed.positive_terms else Query.all_query()))
    excluded = [
        (Occur.MustNot, query) for term in parsed.negative_terms if (query := _term_query(term, schema)) is not None
    ]
    clauses = free + required + _filter_clauses(parsed.filters, schema) + excluded
    if len(clauses) == 1 and clauses[0][0] == Occur.Must:
        return clauses[0][1]
    # Free words are optional beside a required term but one must match otherwise, filters or not.
    at_least_one = 1 if free and not required and len(clauses) > len(free) else None
    return Query.boolean_query(clauses, minimum_number_should_match=at_least_one)


def _boosted(query: tantivy.Query, field: str) -> tantivy.Query:
    boost = _BOOSTS[field]
    return query if boost == 1.0 else Query.boost_query(query, boost)


def _term_query(term: Term, schema: tantivy.Schema) -> tantivy.Query | None:
    """A required or negated term: its phrase in its field, or in any text field; None if it has no words."""
    fields = [_FIELDS[term.field]] if term.field else list(_FIELDS.values())
    queries = [
        _boosted(query, field)
        for field, analyzer in fields
        if (query := _phrase(analyzer, term.text, field, schema)) is not None
    ]
    if not queries:
        return None
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def _phrase(analyzer: Analyzer, text: str, field: str, schema: tantivy.Schema) -> tantivy.Query | None:
    """The words of ``text`` in this order (an author's name: within one name), as positions allow."""
    tokens = analyzer.tokens(text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Query.term_query(schema, field, tokens[0].term)
    first = tokens[0].position
    return Query.phrase_query(schema, field, [(token.position - first, token.term) for token in tokens])


def _filter_clauses(filters: Filters, schema: tantivy.Schema) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """Category and date filters; the positive ones score zero so they never change the ranking."""
    clauses = []
    if filters.categories_include:
        clauses.append((Occur.Must, Query.const_score_query(_any_category(filters.categories_include, schema), 0.0)))
    if filters.categories_exclude:
        clauses.append((Occur.MustNot, _any_category(filters.categories_exclude, schema)))
    if filters.date_from or filters.date_to:
        clauses.append((Occur.Must, Query.const_score_query(_date_range(filters, schema), 0.0)))
    return clauses


def _any_category(patterns: tuple[str, ...], schema: tantivy.Schema) -> tantivy.Query:
    """Categories are indexed lower-case; a pattern's ``*`` matches any run of characters (as fnmatch)."""
    queries = [
        Query.regex_query(schema, CATEGORIES, pattern.lower().replace(".", r"\.").replace("*", ".*"))
        if "*" in pattern
        else Query.term_query(schema, CATEGORIES, pattern.lower())
        for pattern in patterns
    ]
    return queries[0] if len(queries) == 1 else Query.boolean_query([(Occur.Should, q) for q in queries])


def _date_range(filters: Filters, schema: tantivy.Schema) -> tantivy.Query:
    """Dated papers from ``date_from`` to ``date_to`` inclusive, whatever the dates.

    tantivy stores dates as nanoseconds, so it takes only 1677-09-21..2262-04-11: a bound beyond
    that range either leaves nothing or limits nothing.
    """
    # Naive datetimes stand for UTC, as in the index.
    low = datetime.combine(filters.date_from, time()) if filters.date_from else None
    high = datetime.combine(filters.date_to, time.max) if filters.date_to else None
    if (low is not None and low > LATEST) or (high is not None and high < EARLIEST):
        return Query.empty_query()
    low = low if low is not None and low > EARLIEST else None
    high = high if high is not None and high < LATEST else None
    if low is None and high is None:
        return Query.exists_query(SUBMITTED)  # an undated paper fails any date limit
    return Query.range_query(schema, SUBMITTED, tantivy.FieldType.Date, low, high)
