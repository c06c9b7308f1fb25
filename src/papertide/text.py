"""Text normalisation: LaTeX accents to Unicode, whitespace folding, diacritic folding.

arXiv metadata is typed by authors in TeX: ``Bal\\'azs``, ``{\\"o}``, ``\\c{c}``, with hard line
breaks and indentation. We keep that raw text and derive a display form here; math (``$...$``) is
left alone so the web pages can render it.
"""

from __future__ import annotations

import re
import unicodedata

# TeX accent commands and the Unicode combining mark each one stands for.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
# Letter-like commands: \ss, \o, \ae, ...
_LETTERS = {
    "ss": "ß", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ",
}  # fmt: skip

# \'a  \'{a}  {\'a}  \'{\i}  \c c  \v{s}  -- the accented letter may be braced or a dotless i/j.
_ACCENT_RE = re.compile(
    r"\{?\\(?P<cmd>['`^\"~=.]|[uvHckrdb](?=[\s{]))\s*"
    r"(?:\{\s*(?P<braced>\\[ij]|[A-Za-z])\s*\}|(?P<bare>\\[ij](?![A-Za-z])|[A-Za-z]))\}?"
)
_LETTER_RE = re.compile(r"\{?\\(?P<name>ss|ae|AE|oe|OE|aa|AA|[oOlL])(?![A-Za-z])\s*(?:\{\})?\}?")
_STROKES = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i"})
# TeX math ($...$, $$...$$, \(...\), \[...\]): left as written here, never marked or cut by highlighting.
MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\])", re.DOTALL)


def _accent(match: re.Match[str]) -> str:
    letter = match["braced"] or match["bare"]
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + _ACCENTS[match["cmd"]])


def _convert_text(segment: str) -> str:
    segment = _ACCENT_RE.sub(_accent, segment)
    return _LETTER_RE.sub(lambda m: _LETTERS[m["name"]], segment)


def normalize(text: str | None) -> str:
    """The display form: TeX accents outside math become Unicode, whitespace runs become one space."""
    if not text:
        return ""
    if "\\" in text:
        parts = MATH.split(text)
        # Odd indices are math segments captured by the split; they stay as written.
        text = "".join(part if i % 2 else _convert_text(part) for i, part in enumerate(parts))
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return " ".join(text.split())


def fold(text: str) -> str:
    """Lower-case and strip diacritics, for search keys: ``Balázs`` -> ``balazs``."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Letters with a stroke have no decomposition: map them once they are lower case (ß casefolds to ss).
    return stripped.casefold().translate(_STROKES)
