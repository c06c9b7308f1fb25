"""A reference from an imported file, reduced to what can find its paper: arXiv ids, DOIs, a title.

BibTeX and RIS readers both produce :class:`Reference`; identifiers are looked for only in the
fields that carry them (eprint, URL, DOI, note, journal...), never in abstracts, which cite
other papers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from papertide.model import normalize_doi, parse_arxiv_id
from papertide.text import MATH, normalize

# An arXiv id where a reference manager writes one: "arXiv:2410.17243", "arxiv.org/abs/hep-th/9901001v2",
# "arXiv preprint arXiv:1706.03762", the DOI arXiv registers ("10.48550/arXiv.2410.17243").
_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\s*[:/]\s*|arxiv\.org/(?:abs|pdf|html)/|10\.48550/arxiv\.)"
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[a-z]{2})?/\d{7})(?:v\d+)?",
    re.IGNORECASE,
)
_TEX_ESCAPE = re.compile(r"\\([&%$#_{}])")
_TEX_COMMAND = re.compile(r"\\(?:text(?:it|bf|rm|sc|tt|sf)|emph|mathrm|mbox)\s*(?=\{)")
_TEX_SYMBOLS = {
    r"\textbackslash{}": "\\", r"\textasciitilde{}": "~", r"\textasciicircum{}": "^",
    r"\textbraceleft{}": "{", r"\textbraceright{}": "}",
}  # fmt: skip
_TEX_SYMBOL = re.compile("|".join(re.escape(symbol) for symbol in _TEX_SYMBOLS))
_TIE = re.compile(r"(?<!\\)~")  # an unbreakable space
# Stand-ins for literal characters the later steps would take for TeX, put back at the end.
_KEPT = {"{": "\ue000", "}": "\ue001", "~": "\ue002", "\\": "\ue003"}
_RESTORED = str.maketrans({stand_in: char for char, stand_in in _KEPT.items()})


@dataclass(frozen=True, slots=True)
class ReadLimits:
    """What reading one uploaded file may build, checked before the memory is spent (README, "Import").

    ``max_entries`` is the import_max_entries setting. A value is one field (or ``@string``) after
    macros and ``#`` are expanded: 100,000 characters holds any real abstract or note many times
    over. Every value built from a file, together, may hold at most ``expansion`` times the file's
    characters: BibTeX macros let 1 KB stand for terabytes, while real files (journal-name macros,
    month names) expand by well under 2. Braces nest at most ``max_depth`` deep (real exports: 4).
    """

    max_entries: int = 5_000
    max_value_chars: int = 100_000
    expansion: int = 4
    max_depth: int = 32


@dataclass(frozen=True, slots=True)
class Reference:
    """One entry of an imported file: where it starts, its key (if any), readable title, identifiers."""

    line: int
    key: str
    title: str
    arxiv_ids: tuple[str, ...] = ()
    dois: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """How the import report names it: the title, else the key, else the line."""
        return self.title or (f"entry {self.key!r}" if self.key else f"the entry at line {self.line}")


def arxiv_ids_in(values: Iterable[str]) -> tuple[str, ...]:
    """The distinct arXiv ids (without version) written in ``values``, in order."""
    found: dict[str, None] = {}
    for value in values:
        for match in _ARXIV_IN_TEXT.finditer(value):
            try:
                found[parse_arxiv_id(match["id"])[0]] = None
            except ValueError:
                continue
    return tuple(found)


def bare_arxiv_id(value: str) -> str | None:
    """``value`` if it is an arXiv id by itself (an ``eprint`` field), without version; else None."""
    try:
        return parse_arxiv_id(value)[0]
    except ValueError:
        return None


def dois_in(values: Iterable[str]) -> tuple[str, ...]:
    found = (normalize_doi(value) for value in values)
    return tuple(dict.fromkeys(doi for doi in found if doi))


def readable(tex: str) -> str:
    """TeX as a reader sees it: accents resolved, escapes unescaped, grouping braces and font commands
    dropped; math is kept as written between its ``$`` signs, as titles are stored."""
    parts = MATH.split(normalize(tex))
    return " ".join("".join(part if i % 2 else _plain(part) for i, part in enumerate(parts)).split())


def _plain(text: str) -> str:
    text = _TIE.sub(" ", _TEX_COMMAND.sub("", text))
    text = _TEX_SYMBOL.sub(lambda m: _KEPT.get(_TEX_SYMBOLS[m.group(0)], _TEX_SYMBOLS[m.group(0)]), text)
    text = _TEX_ESCAPE.sub(lambda m: _KEPT.get(m.group(1), m.group(1)), text)
    return text.replace("{", "").replace("}", "").translate(_RESTORED)
