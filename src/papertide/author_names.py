"""Author names as keys: the one place that decides when two spellings are the same name.

On the ground floor: the store keeps these keys current on ingest, and pages and search look them up.

A key is the name folded (:func:`papertide.text.fold`: Unicode NFKD with combining marks
stripped, case folded) and cut into its letter and digit runs, joined by single spaces:
``Jürgen  SCHMIDHUBER`` and ``jurgen schmidhuber`` share ``jurgen schmidhuber``, and ``J.-P. Dupont``
is ``j p dupont``. These are exactly the words the lexical index keeps of an author's name
(:data:`papertide.search.lexical.analysis.NAMES`), so an author page and the search ``author:"Name"``
look for the same words.

Initials stand for a full name only where that is unambiguous: ``J. Smith`` is also ``John Smith``
when the library holds exactly one full name abbreviated ``j smith`` (see :func:`spellings`).
Names are grouped by how they are written, never by a verified identity.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from urllib.parse import quote

from papertide.errors import InvalidInput, NotFound
from papertide.text import fold

# Longest name an author page or a followed author takes (the digest's alerts share it): arXiv's
# longest collaboration names run to about 120 characters.
MAX_NAME_CHARS = 200
# The lexical index leaves out words of this many UTF-8 bytes or more (search.lexical.analysis); so do keys.
_LONGEST_WORD_BYTES = 40


def _is_word_char(char: str) -> bool:
    # Letters, digits and the marks written inside words (Devanagari vowel signs): what the lexical
    # index's tokenizer (Rust's char::is_alphanumeric, which counts such marks as alphabetic) keeps.
    return char.isalnum() or unicodedata.category(char)[0] == "M"


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def name_words(name: str) -> list[str]:
    """The folded words of ``name``, in order."""
    folded = fold(name)
    if folded.isascii():  # most names: a regex, where the walk below costs a call per character
        return [word for word in _ASCII_WORD.findall(folded) if len(word) < _LONGEST_WORD_BYTES]
    words, current = [], []
    for char in folded:
        if _is_word_char(char):
            current.append(char)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return [word for word in words if len(word.encode()) < _LONGEST_WORD_BYTES]


# Names repeat: a collaboration's thousands on each of its papers, a co-author on each shared paper.
@lru_cache(maxsize=1 << 16)
def name_key(name: str) -> str:
    """``name`` reduced to what identifies its spelling: folded words joined by spaces ("" for no words)."""
    return " ".join(name_words(name))


def initials_key(key: str) -> str:
    """The key with every word but the last cut to its first letter: ``john a smith`` -> ``j a smith``."""
    words = key.split()
    return " ".join([*(word[0] for word in words[:-1]), *words[-1:]])


def is_abbreviated(key: str) -> bool:
    """Whether ``key`` is written with initials only before the surname (``j smith``, not ``smith``)."""
    words = key.split()
    return len(words) > 1 and all(len(word) == 1 for word in words[:-1])


def spellings(key: str, full_names: Iterable[str]) -> tuple[str, ...]:
    """The keys that stand for ``key``'s author: itself, and its other form where that is unambiguous.

    ``full_names`` are the library's unabbreviated keys sharing ``key``'s :func:`initials_key`
    (two of them are enough to know it is ambiguous). ``j smith`` adds ``john smith`` when that
    is the only such name; ``john smith`` adds ``j smith`` when no other ``J* Smith`` exists.
    """
    abbreviated = initials_key(key)
    if abbreviated == key and not is_abbreviated(key):
        return (key,)  # one word: a surname or a collaboration, nothing to expand
    others = set(full_names) - {key}
    if is_abbreviated(key):
        return (key, *others) if len(others) == 1 else (key,)
    return (key,) if others else (key, abbreviated)


def contains_name(author_key: str, key: str) -> bool:
    """Whether an author written ``author_key`` holds ``key``'s words in order, as ``author:"..."`` matches."""
    return f" {key} " in f" {author_key} "


def checked_name(name: str) -> str:
    """``name`` as an author page takes it (trimmed); :class:`InvalidInput` or :class:`NotFound` saying why not."""
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise InvalidInput(f"author: at most {MAX_NAME_CHARS} characters, got {len(name):,}")
    if any(unicodedata.category(char)[0] == "C" for char in name):
        raise InvalidInput("author: contains a control character")
    if not name_key(name):
        raise NotFound(f"no author is named {name[:60]!r}: a name needs letters or digits")
    return name


def author_path(name: str) -> str:
    """The author page of ``name``: every character but letters and digits escaped, ``/``, ``?`` and ``#`` too."""
    return "/author/" + quote(name, safe="")
