"""Text normalisation: LaTeX accents to Unicode, whitespace folding, diacritic folding.

arXiv metadata is typed by authors in TeX: ``Bal\\'azs``, ``{\\"o}``, ``\\c{c}``, with hard line
breaks and indentation. We keep that raw text and derive a display form here; math (``$...$``) is
left alone so the web pages can render it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from itertools import cycle

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
# \( and \[ math may not hold another opener of its kind, so a search from an opener that is never
# closed stops at the next one: linear time, where ".+?" scanned to the end from each (quadratic).
MATH = re.compile(r"(\$\$.+?\$\$|\$.+?\$|\\\((?:(?!\\\().)+?\\\)|\\\[(?:(?!\\\[).)+?\\\])", re.DOTALL)


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
    if text.isascii():  # most titles and abstracts: nothing to decompose, and a walk per character is costly
        return text.lower()
    # Only the non-ASCII runs take the walk per character (an abstract with one accented name was
    # walked whole: a third of the lexical indexing time at 1M papers). Decomposing, stripping and
    # case-folding a run alone gives what the whole text would: ASCII characters are starters, so
    # no reordering of combining marks crosses them.
    parts = _NON_ASCII_RUN.split(text)  # ASCII, non-ASCII, ASCII, ...
    return "".join(_fold_run(part) if odd else part.lower() for odd, part in zip(cycle((False, True)), parts))


_NON_ASCII_RUN = re.compile(r"([^\x00-\x7f]+)")


def _fold_run(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Letters with a stroke have no decomposition: map them once they are lower case (ß casefolds to ss).
    return stripped.casefold().translate(_STROKES)


_TEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_NOT_WORD = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """A title reduced to what identifies it across sources: TeX accents resolved, then TeX commands,
    braces, math delimiters, punctuation, case and diacritics folded away. ``Attention {Is} All You
    Need.`` and ``attention is all you need`` share one key; an import matches papers by it.
    """
    return " ".join(_NOT_WORD.sub(" ", fold(_TEX_COMMAND.sub(" ", normalize(title)))).split())


# TeX math as plain Unicode, for places that cannot typeset it (mail, feeds' plain text).
_MATH_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ε", "zeta": "ζ",
    "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν",
    "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ",
    "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ",
    "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠",
    "ne": "≠", "approx": "≈", "sim": "∼", "simeq": "≃", "equiv": "≡", "propto": "∝", "infty": "∞",
    "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "mapsto": "↦", "in": "∈", "notin": "∉",
    "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "forall": "∀", "exists": "∃", "partial": "∂",
    "nabla": "∇", "sum": "∑", "prod": "∏", "int": "∫", "sqrt": "√", "ell": "ℓ", "hbar": "ℏ", "circ": "∘",
    "langle": "⟨", "rangle": "⟩", "ldots": "…", "cdots": "⋯", "dots": "…", "log": "log", "exp": "exp",
    "sin": "sin", "cos": "cos", "max": "max", "min": "min", "lim": "lim",
}  # fmt: skip
_BLACKBOARD = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼", "P": "ℙ"}
_SUPERSCRIPTS = str.maketrans("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ")
_SUBSCRIPTS = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
_MATHBB = re.compile(r"\\mathbb\s*\{\s*([A-Z])\s*\}")
_STYLE = re.compile(r"\\(?:math[a-z]*|text[a-z]*|operatorname|boldsymbol|bm|rm|bf|it|cal)\s*\{([^{}]*)\}")
_COMMAND = re.compile(r"\\([A-Za-z]+)")
_FRACTION = re.compile(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}")
_SCRIPT = re.compile(r"([\^_])\s*(\{[^{}]*\}|\\?[A-Za-z0-9+\-=()])")
_DELIMITERS = re.compile(r"^(\$\$|\$|\\\(|\\\[)(.*?)(\$\$|\$|\\\)|\\\])$", re.DOTALL)


def _script(match: re.Match[str]) -> str:
    """``^2`` -> ``²`` where Unicode has every character; otherwise ``^d`` or ``^(a+b)``."""
    mark, body = match[1], match[2].strip("{}").strip()
    table, allowed = (_SUPERSCRIPTS, "0123456789+-=()ni") if mark == "^" else (_SUBSCRIPTS, "0123456789+-=()")
    if body and all(char in allowed for char in body):
        return body.translate(table)
    return f"{mark}{body}" if len(body) == 1 else f"{mark}({body})"


def _grouped(term: str) -> str:
    term = term.strip()
    return term if term.isalnum() else f"({term})"


def _math_segment(segment: str) -> str:
    body = _DELIMITERS.match(segment)[2]
    body = _MATHBB.sub(lambda m: _BLACKBOARD.get(m[1], m[1]), body)
    body = _FRACTION.sub(lambda m: f"{_grouped(m[1])}/{_grouped(m[2])}", body)
    for _ in range(3):  # nested styles: \mathbf{\mathcal{X}}
        body = _STYLE.sub(r"\1", body)
    body = _COMMAND.sub(lambda m: _MATH_SYMBOLS.get(m[1], m[1]), body)
    body = _SCRIPT.sub(_script, body)
    body = re.sub(r"\s+", " ", body.replace("{", "").replace("}", "").replace("\\", ""))
    return body.strip() if segment.startswith(("$$", "\\[")) else body


def plain_math(text: str) -> str:
    """``text`` with its TeX math written in Unicode: ``$O(n^2)$ in $\\mathbb{R}^d$`` -> ``O(n²) in ℝ^d``."""
    if "$" not in text and "\\" not in text:
        return text
    parts = MATH.split(text)
    return "".join(_math_segment(part) if i % 2 else part for i, part in enumerate(parts))


def shown_authors(authors: Sequence[str], shown: int = 3) -> tuple[list[str], bool]:
    """The names a card or a digest shows, and whether "et al." follows them (never for just one more name)."""
    if len(authors) <= shown + 1:
        return list(authors), False
    return list(authors[:shown]), True


def short_authors(authors: Sequence[str], shown: int = 3) -> str:
    """The first few names and "et al." for a card or a digest; the full list is on the paper page."""
    names, more = shown_authors(authors, shown)
    return ", ".join(names) + (" et al." if more else "")


def snippet(text: str, limit: int = 300) -> str:
    """The start of ``text`` cut at a word boundary, never inside ``$...$`` math, with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    if cut.count("$") % 2:  # an unclosed formula would show as raw TeX
        cut = cut[: cut.rfind("$")].rstrip()
    return cut.rstrip(" ,.;:") + "…"


def quoted(text: str) -> str:
    """``text`` between curly quotes, for a label (“regression testing”), without doubling the ones it has.

    A search that is one quoted phrase (``"regression testing"``) trades its straight quotes for the
    curly ones; a search with quotes of its own inside (``"regression testing" -survey``) is shown
    as typed, since quotes around quotes read as a typo.
    """
    inner = text[1:-1]
    if len(text) > 1 and text[0] == text[-1] == '"' and '"' not in inner:
        return f"“{inner}”"
    return text if '"' in text else f"“{text}”"
