"""Compiling a :class:`ParsedQuery` into tantivy query objects; no user text reaches a query language.

Every term goes through the same analyzer its field was indexed with. The result is one flat
boolean query (:mod:`papertide.search.lexical.maxscore` splits off the commonest free words where that
provably keeps the best hits):

- free words: one SHOULD clause per distinct word, on the combined BM25F field (title, abstract,
  authors), weighted by how often the query repeats it; stop words are left out unless there is
  nothing else. At least one must match unless a required term is present. A long query (a
  pasted abstract) is matched by its :data:`MAX_FREE_WORDS` most telling words, by term
  frequency x inverse document frequency, as Lucene's MoreLikeThis chooses them, and its best
  :data:`RESCORED` matches are then scored by every word (:func:`extra_words`, see
  :meth:`LexicalIndex.search <papertide.search.lexical.index.LexicalIndex.search>`);
- phrases: MUST clauses on the combined field; field terms: MUST clauses on their field; a
  boost phrase (quoted in prose, :attr:`Term.boost`): a SHOULD clause, adding its score;
- negated terms: MUST_NOT clauses;
- filters: MUST clauses scored zero, so they select without changing the ranking.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

import tantivy

from papertide.search.lexical.analysis import NAMES, QUERY_TEXT, TEXT, Analyzer
from papertide.search.lexical.documents import (
    ABSTRACT,
    AUTHORS,
    CATEGORIES,
    COMBINED,
    EARLIEST,
    LATEST,
    SUBMITTED,
    TITLE,
)
from papertide.search.query import Field, Filters, ParsedQuery, Term

Occur = tantivy.Occur
Query = tantivy.Query

# Free words matched at most; more are chosen by tf x idf (see bench/README.md for the measurements).
MAX_FREE_WORDS = 32
# The best matches of a long query by its most telling words that are scored by all its words. Scoring every
# word of a pasted abstract over every paper holding one doubles the lexical leg's cost (bench/README.md, issue 25).
RESCORED = 20

_FIELDS: dict[Field | None, tuple[str, Analyzer]] = {
    None: (COMBINED, TEXT),
    Field.TITLE: (TITLE, TEXT),
    Field.ABSTRACT: (ABSTRACT, TEXT),
    Field.AUTHOR: (AUTHORS, NAMES),
}


@dataclass(frozen=True, slots=True)
class TermStats:
    """How common the combined field's terms are: what choosing a long query's words needs."""

    doc_freq: Callable[[str], int]
    num_docs: int

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency, as tantivy computes it."""
        df = self.doc_freq(term)
        return math.log(1 + (self.num_docs - df + 0.5) / (df + 0.5))


def free_words(parsed: ParsedQuery, stats: TermStats | None = None) -> dict[str, float]:
    """The index terms the free words of ``parsed`` are scored by, each with its weight.

    Stop words are left out unless no other word occurs in the index (given ``stats``) or there
    is no other word. Given ``stats``, a query of more than :data:`MAX_FREE_WORDS` words keeps
    the most telling ones.
    """
    counts = _every_word(parsed, stats)
    if stats is not None and len(counts) > MAX_FREE_WORDS:
        # Words no paper holds match nothing, however rare: they are never the most telling.
        weights = {word: count * stats.idf(word) for word, count in counts.items() if stats.doc_freq(word)}
        kept = sorted(weights, key=lambda word: (-weights[word], word))[:MAX_FREE_WORDS]
        counts = Counter({word: counts[word] for word in kept})
    return {word: float(count) for word, count in counts.items()}


def extra_words(parsed: ParsedQuery, stats: TermStats, chosen: dict[str, float]) -> dict[str, float]:
    """The free words of ``parsed`` left out of ``chosen`` (its :func:`free_words`), each with its weight, that
    some paper holds: what a long query's best matches are scored by beside the most telling words."""
    if len(chosen) < MAX_FREE_WORDS:
        return {}  # none was left out
    counts = _every_word(parsed, stats)
    return {word: float(count) for word, count in counts.items() if word not in chosen and stats.doc_freq(word)}


def _every_word(parsed: ParsedQuery, stats: TermStats | None) -> Counter[str]:
    free = [term for term in parsed.positive_terms if term.free]
    counts = _counts(free, QUERY_TEXT)
    if not counts or (stats is not None and not any(stats.doc_freq(word) for word in counts)):
        counts = _counts(free, TEXT)  # stop words are indexed: a query of nothing else still finds them
    return counts


def _counts(terms: list[Term], analyzer: Analyzer) -> Counter[str]:
    counts: Counter[str] = Counter()
    for term in terms:
        for word in analyzer.terms(term.text):
            counts[word] += term.count
    return counts


def compile_query(
    parsed: ParsedQuery, schema: tantivy.Schema, stats: TermStats | None = None, words: dict[str, float] | None = None
) -> tantivy.Query:
    """The tantivy query selecting and scoring what ``parsed`` asks for (every paper when it asks nothing).

    ``words`` are the query's :func:`free_words`, when the caller has them already.
    """
    if words is None:
        words = free_words(parsed, stats)
    free = [(Occur.Should, _word(schema, word, weight)) for word, weight in words.items()]
    required = [
        (Occur.Must, query)
        for term in parsed.positive_terms
        if term.required and (query := _term_query(term, schema)) is not None
    ]
    free += [
        (Occur.Should, query)
        for term in parsed.positive_terms
        if term.boost and (query := _term_query(term, schema)) is not None
    ]
    if not (free or required):
        # Only words too long to index match nothing; no terms at all is a listing.
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


def words_query(schema: tantivy.Schema, words: dict[str, float], optional: list[str]) -> tantivy.Query:
    """The free ``words`` (weighted), matching papers that hold one of those not ``optional``.

    Each paper it matches scores as under the query of all the words; see :mod:`papertide.search.lexical.maxscore`.
    """
    essential = [(Occur.Should, _word(schema, word, weight)) for word, weight in words.items() if word not in optional]
    scored = [(Occur.Should, _word(schema, word, words[word])) for word in optional]
    return Query.boolean_query([(Occur.Must, Query.boolean_query(essential)), *scored])


def among_papers(schema: tantivy.Schema, words: dict[str, float], papers: tantivy.Query) -> tantivy.Query:
    """Every paper ``papers`` selects, scored by the free ``words`` (weighted) alone: zero where it holds none."""
    scored = [(Occur.Should, _word(schema, word, weight)) for word, weight in words.items()]
    return Query.boolean_query([(Occur.Must, Query.const_score_query(papers, 0.0)), *scored])


def any_author(names: list[str], schema: tantivy.Schema) -> tantivy.Query | None:
    """Papers with an author named as one of ``names``, each matched as ``author:"name"`` is; None for no
    name of two words or more (a lone "Li" would name thousands of people)."""
    queries = [
        query
        for name in names
        if len(NAMES.tokens(name)) > 1 and (query := _term_query(Term(name, Field.AUTHOR, phrase=True), schema))
    ]
    return Query.boolean_query([(Occur.Should, query) for query in queries]) if queries else None


def _word(schema: tantivy.Schema, word: str, weight: float) -> tantivy.Query:
    query = Query.term_query(schema, COMBINED, word)
    return query if weight == 1.0 else Query.boost_query(query, weight)


def _term_query(term: Term, schema: tantivy.Schema) -> tantivy.Query | None:
    """A required, boosting or negated term: its phrase in its field, or in the combined field, or any of its other
    spellings' phrases; None if it has no words."""
    field, analyzer = _FIELDS[term.field]
    found = [query for text in (term.text, *term.also) if (query := _phrase(text, field, analyzer, schema)) is not None]
    if len(found) < 2:
        return found[0] if found else None
    return Query.boolean_query([(Occur.Should, query) for query in found])


def _phrase(text: str, field: str, analyzer: Analyzer, schema: tantivy.Schema) -> tantivy.Query | None:
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
