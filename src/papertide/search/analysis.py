"""Text analysis: the one place that decides what a searchable word is.

Documents, query terms and highlighting all go through the analyzers defined here, so a query
word matches exactly the index terms its document counterpart produced: diacritics folded with
:func:`papertide.text.fold` (``Balázs`` -> ``balazs``), split into letter/digit runs, and, for
topical text, Snowball-stemmed (``networks`` -> ``network``). Author names are not stemmed: a
stemmer would merge ``Jones`` and ``Jone``.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from papertide.text import fold

# Bump whenever an analyzer changes: an index built with other terms must be rebuilt.
ANALYSIS_VERSION = 1
# Longer "words" are base64 blobs, URLs glued together, DNA strings: never searched for.
_MAX_WORD_CHARS = 40


@dataclass(frozen=True, slots=True)
class Token:
    """One analyzed word: its index term and where it sits in the folded text."""

    term: str
    position: int
    start: int  # character offsets into the folded text
    end: int


class Analyzer:
    """A tantivy analyzer behind the diacritic fold, registered with every index under ``name``."""

    def __init__(self, name: str, analyzer: tantivy.TextAnalyzer) -> None:
        self.name = name
        self._analyzer = analyzer

    def register(self, index: tantivy.Index) -> None:
        index.register_tokenizer(self.name, self._analyzer)

    def prepare(self, text: str) -> str:
        """The text to hand tantivy for a field analyzed by this analyzer."""
        return fold(text)

    def tokens_of_folded(self, folded: str) -> list[Token]:
        """Tokens of text already passed through :meth:`prepare` (or an offset-keeping fold of it)."""
        return [
            Token(t.text, t.position, t.char_offset_from, t.char_offset_to)
            for t in self._analyzer.pre_tokenize(folded).tokens
        ]

    def tokens(self, text: str) -> list[Token]:
        return self.tokens_of_folded(self.prepare(text))

    def terms(self, text: str) -> list[str]:
        """The index terms of ``text``, in order, repeats kept."""
        return [token.term for token in self.tokens(text)]


def _build(*filters: tantivy.Filter) -> tantivy.TextAnalyzer:
    builder = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
    # No lower-case filter: fold() has case-folded the text already.
    for item in (tantivy.Filter.remove_long(_MAX_WORD_CHARS), *filters):
        builder = builder.filter(item)
    return builder.build()


TEXT = Analyzer("papertide_text", _build(tantivy.Filter.stemmer("english")))
NAMES = Analyzer("papertide_names", _build())
