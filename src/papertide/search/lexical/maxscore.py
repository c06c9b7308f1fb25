"""The exact best hits of a free-word query without scoring every paper that holds its commonest words.

tantivy-py runs every search through a ``MultiCollector``, which scores every matching paper:
tantivy's block-max WAND, which skips papers that cannot reach the page, never runs from Python.
A word held by half a million papers ("learning" at 1M) then costs ~2 ms in any query that has
it. MaxScore (Turtle and Flood, 1995) wins most of that back from outside: the common words
become optional, scored only in papers that hold one of the other (essential) words, and the
page is exact when its last score is above the most the optional words could give a paper
holding none of the others, the sum of each one's best score in any paper. Each common word's
best score and paper count are measured once per index generation, by one pass over its
postings, and kept.

Such a search does not count every match. It reports a lower bound instead, as Lucene does past
its counting threshold: the papers holding an essential word, or the most papers holding any
one optional word, whichever is more.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tantivy

from papertide.search.lexical.compile import TermStats, words_query
from papertide.search.lexical.documents import COMBINED
from papertide.search.query import ParsedQuery

# Words held by fewer papers cost little to score exhaustively; above it, a word may become optional.
COMMON_WORD_PAPERS = 10_000
# Queries of more free words are scored flat. Each optional word is sought in every paper holding an
# essential one, and past four words those seeks cost more than they save (1M papers, top 100: five
# words 5.1 ms pruned against 4.7 flat, six 7.8 against 5.4, a sentence of 20-25 words 24 against 12).
MAX_WORDS = 4
# Attempts with fewer optional words each before scoring every match.
_ATTEMPTS = 2
_KNOWN_WORDS = 4096
# The pruned query sums a paper's word scores in another order than the flat one: a margin for rounding.
_ROUNDING = 1e-5


@dataclass(frozen=True, slots=True)
class Reach:
    """What one word can contribute: its best score alone (query weight 1) and the papers holding it."""

    best: float
    papers: int


class WordReach:
    """The :class:`Reach` of each common word in one searcher's view of the index, measured on first use."""

    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.schema = schema
        self.of = lru_cache(maxsize=_KNOWN_WORDS)(self._measure)

    def _measure(self, word: str) -> Reach:
        found = self.searcher.search(tantivy.Query.term_query(self.schema, COMBINED, word), 1, count=True)
        return Reach(float(found.hits[0][0]) if found.hits else 0.0, found.count)


@dataclass(frozen=True, slots=True)
class Pruned:
    """The best hits as tantivy gives them (score, address), and a lower bound of the papers matching."""

    hits: list[tuple[float, tantivy.DocAddress]]
    at_least: int


def prunable(query: ParsedQuery) -> bool:
    """Whether ``query`` is free words only, the query :func:`search` can prune.

    Filters, required and excluded terms are left to the flat query: they already narrow what is
    scored, and a count bounded by the words' paper counts would ignore them.
    """
    return query.filters.is_empty and all(term.free and not term.negated for term in query.terms)


def search(reach: WordReach, stats: TermStats, words: dict[str, float], limit: int) -> Pruned | None:
    """The exact top ``limit`` papers for the free ``words`` (weighted) in ``reach``'s view of the index,
    or None where pruning cannot prove it or would not pay. ``stats`` must describe the same view.
    """
    if not 2 <= len(words) <= MAX_WORDS:
        return None
    common = [word for word in words if stats.doc_freq(word) >= COMMON_WORD_PAPERS]
    if not common:
        return None
    ceiling = {word: words[word] * reach.of(word).best for word in common}
    common.sort(key=ceiling.__getitem__)
    # At least one word stays essential: the one that can add the most.
    optional = common if len(common) < len(words) else common[:-1]
    for _ in range(_ATTEMPTS):
        if not optional:
            return None
        found = reach.searcher.search(words_query(reach.schema, words, optional), limit, count=True)
        bound = sum(ceiling[word] for word in optional)
        if len(found.hits) == limit and found.hits[-1][0] > bound * (1 + _ROUNDING) + _ROUNDING:
            at_least = max(found.count, *(reach.of(word).papers for word in optional))
            return Pruned(found.hits, at_least)
        optional = optional[:-1]  # the word that could add the most becomes essential
    return None
