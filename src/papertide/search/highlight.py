"""Result highlighting: HTML-escaped titles and abstract snippets with ``<mark>`` around matched words.

A word is marked when the text analyzer turns it into a term the query asked for, so ``networks``
is marked for the query ``network`` and ``Balázs`` for ``balazs``, exactly as the index matched
them. TeX math (``$...$``) is never marked or cut, so the page can still typeset it.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from papertide.search.lexical.analysis import QUERY_TEXT, TEXT
from papertide.search.lexical.compile import TermStats, free_words
from papertide.search.query import Field, ParsedQuery
from papertide.text import MATH, fold

SNIPPET_CHARS = 300
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PREFIX_CHARS = 3
_CONTEXT_BEFORE = 60  # characters shown before the first match of a snippet that starts mid-text
_ELLIPSIS = "…"


def query_terms(parsed: ParsedQuery, stats: TermStats | None = None) -> frozenset[str]:
    """The index terms a result's title and abstract are highlighted for: the free words the lexical
    retriever scores (for a long text only its most telling ones, given ``stats``) and the words of
    phrases and title or abstract terms (author terms are not about the text)."""
    required = (term for term in parsed.positive_terms if term.required and term.field is not Field.AUTHOR)
    return frozenset(free_words(parsed, stats)).union(*(QUERY_TEXT.terms(term.text) for term in required))


def highlight(text: str, terms: frozenset[str]) -> str:
    """All of ``text``, escaped, with matched words marked."""
    return _render(text, _matches(text, terms, _math_spans(text)), 0, len(text))


def snippet(text: str, terms: frozenset[str], max_chars: int = SNIPPET_CHARS) -> str:
    """An escaped excerpt of at most about ``max_chars`` characters around the densest run of matches."""
    if len(text) <= max_chars:
        return highlight(text, terms)
    math = _math_spans(text)
    matches = _matches(text, terms, math)
    start = _best_start(matches, max_chars)
    start, end = _shrink(text, start, min(len(text), start + max_chars), math)
    body = _render(text, matches, start, end).strip()
    return f"{_ELLIPSIS if start > 0 else ''}{body}{_ELLIPSIS if end < len(text) else ''}"


def _math_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in MATH.finditer(text)] if "$" in text or "\\" in text else []


def _matches(text: str, terms: frozenset[str], math: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose words analyze to one of ``terms``, outside the ``math`` spans."""
    if not terms or not text:
        return []
    folded, origin = _fold_keeping_offsets(text)
    spans = []
    for word in _candidates(terms).finditer(folded):
        start, end = word.span()
        if (start > 0 and folded[start - 1].isalnum()) or _term_of(word.group()) not in terms:
            continue  # inside a word, or a word of another stem
        if origin is not None:
            start, end = origin[start], origin[end - 1] + 1
            while end < len(text) and not _fold_char(text[end]):  # a combining mark belongs to its letter
                end += 1
        if not (math and any(low < end and start < high for low, high in math)):
            spans.append((start, end))
    return spans


@lru_cache(maxsize=256)
def _candidates(terms: frozenset[str]) -> re.Pattern[str]:
    """Words that may stem to one of ``terms``: those sharing its first letters (a stem can change its end).

    Tokenizing whole abstracts with the analyzer costs about a millisecond each; this finds the few
    words worth analyzing, and :func:`_term_of` decides exactly. The pattern starts with the
    prefixes, so the regex engine skips ahead to their first letters (a leading look-behind for the
    word's start would make it try every position: 2.3x slower); :func:`_matches` drops the
    matches that start inside a word.
    """
    prefixes = sorted({term[:_PREFIX_CHARS] for term in terms}, key=len, reverse=True)
    return re.compile(rf"(?:{'|'.join(map(re.escape, prefixes))})[^\W_]*")


@lru_cache(maxsize=65_536)
def _term_of(word: str) -> str | None:
    """The index term of one folded word."""
    found = TEXT.terms(word)
    return found[0] if len(found) == 1 else None


def _fold_keeping_offsets(text: str) -> tuple[str, list[int] | None]:
    """``fold(text)`` character by character, with the index in ``text`` of each folded character
    (None when they are the same, as for ASCII text)."""
    if text.isascii():
        return text.lower(), None
    pieces, origin, done = [], [], 0
    for match in _NON_ASCII.finditer(text):
        index = match.start()
        pieces.append(text[done:index].lower())
        origin.extend(range(done, index))
        piece = _fold_char(text[index])
        pieces.append(piece)
        origin.extend([index] * len(piece))
        done = index + 1
    pieces.append(text[done:].lower())
    origin.extend(range(done, len(text)))
    return "".join(pieces), origin


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return fold(char)


def _best_start(matches: list[tuple[int, int]], width: int) -> int:
    """Where a window of ``width`` holding the most matches begins, with a little context before it."""
    best_count, best_start, last = 0, 0, 0
    reach = width - _CONTEXT_BEFORE
    for first, (start, _) in enumerate(matches):  # two pointers: matches are in text order
        last = max(last, first)
        while last + 1 < len(matches) and matches[last + 1][0] < start + reach:
            last += 1
        if last - first + 1 > best_count:
            best_count, best_start = last - first + 1, start
    return max(0, best_start - _CONTEXT_BEFORE) if best_count else 0


def _shrink(text: str, start: int, end: int, math: list[tuple[int, int]]) -> tuple[int, int]:
    """The window narrowed so that it cuts no word and no math."""
    if 0 < start < len(text) and not text[start - 1].isspace():
        following = text.find(" ", start)
        start = following + 1 if following >= 0 else len(text)
    if end < len(text) and not text[end].isspace():
        end = max(start, text.rfind(" ", start, end))
    for low, high in math:
        if low < start < high:
            start = high
        if low < end < high:
            end = low
    return start, max(start, end)


def _render(text: str, matches: list[tuple[int, int]], start: int, end: int) -> str:
    parts, cursor = [], start
    for low, high in matches:
        if low < start or high > end:
            continue
        parts.append(html.escape(text[cursor:low]))
        parts.append(f"<mark>{html.escape(text[low:high])}</mark>")
        cursor = high
    parts.append(html.escape(text[cursor:end]))
    return "".join(parts)
