"""Text analysis: the one place that decides what a searchable word is.

Documents, query terms and highlighting all go through the analyzers defined here, so a query
word matches exactly the index terms its document counterpart produced: diacritics folded with
:func:`papertide.text.fold` (``Balázs`` -> ``balazs``), split into letter/digit runs, and, for
topical text, Snowball-stemmed (``networks`` -> ``network``). Author names keep every word
unstemmed: a stemmer would merge ``Jones`` and ``Jone``.

Stop words are indexed, so a phrase matches exactly and a query of nothing but common words
(``it``, ``to be or not to be``) still finds the papers holding them; :data:`QUERY_TEXT` leaves
them out of free-word queries, where they cost the most to score and add nothing to the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tantivy

from papertide.text import fold

# Bump whenever an analyzer changes: an index built with other terms must be rebuilt.
ANALYSIS_VERSION = 3
# Longer "words" are base64 blobs, URLs glued together, DNA strings: never searched for.
_MAX_WORD_CHARS = 40


@dataclass(frozen=True, slots=True)
class Token:
    """One analyzed word: its index term and its word position (phrases keep the gaps of removed words)."""

    term: str
    position: int


class Analyzer:
    """A tantivy analyzer behind the diacritic fold, registered with every index under ``name``."""

    def __init__(self, name: str, analyzer: tantivy.TextAnalyzer) -> None:
        self.name = name
        self._analyzer = analyzer
        # Queries are analyzed once per retriever and once per field (title and abstract share TEXT):
        # remembering recent answers spares a hybrid search the repeats.
        self.tokens = lru_cache(maxsize=4096)(self._tokens)

    def register(self, index: tantivy.Index) -> None:
        index.register_tokenizer(self.name, self._analyzer)

    def prepare(self, text: str) -> str:
        """The text to hand tantivy for a field analyzed by this analyzer."""
        return fold(text)

    def _tokens(self, text: str) -> tuple[Token, ...]:
        """The analyzed words of ``text`` (cached as :meth:`tokens`)."""
        return tuple(Token(t.text, t.position) for t in self._analyzer.pre_tokenize(self.prepare(text)).tokens)

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text``, in order, repeats kept."""
        return [token.term for token in self.tokens(text)]


def _build(*filters: tantivy.Filter) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    # No lower-case filter: fold() has case-folded the text already.
    for item in (tantivy.Filter.remove_long(_MAX_WORD_CHARS), *filters):
        builder = builder.filter(item)
    return builder.build()


# Function words of English queries: NLTK's list, and the modals and "also"/"whether" questions
# are full of. Left out of free-word queries only (they are indexed): a fuller list than Lucene's
# 33 words, because prose questions ask "what ... must be obeyed when ..." (bench/README.md).
QUERY_STOP_WORDS = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
    it its itself they them their theirs themselves what which who whom this that these those am is are was were be
    been being have has had having do does did doing a an the and but if or because as until while of at by for with
    about against between into through during before after above below to from up down in out on off over under
    again further then once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now d ll m o re ve y ain aren couldn didn doesn hadn
    hasn haven isn ma mightn mustn needn shan shouldn wasn weren won wouldn could would might may must shall also
    whether
""".split()  # noqa: SIM905 - a word list reads better as text

TEXT = Analyzer("papertide_text", _build(tantivy.Filter.stemmer("english")))
# The same terms without stop words: what free query words are scored by (never registered).
QUERY_TEXT = Analyzer(
    "papertide_query_text",
    _build(tantivy.Filter.custom_stopword(QUERY_STOP_WORDS), tantivy.Filter.stemmer("english")),
)
NAMES = Analyzer("papertide_names", _build())
