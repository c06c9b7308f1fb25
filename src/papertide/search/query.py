r"""The search-box query language, parsed once into a tree that every backend compiles.

Syntax (whitespace separates terms)::

    free words                 parameter-efficient fine-tuning of LLMs
    "a phrase"                 these words in this order
    -word  -"a phrase"         exclude papers that match it (also before field terms)
    title:x  abstract:x        a word or "phrase" in that field (arXiv's ti: and abs: work too)
    author:x                   an author whose name contains x (also au:)
    cat:cs.LG,cs.*  -cat:x     any of these categories; -cat: excludes
    year:2021  year:2020..2024  year:2020..  year:..2019
    date:2024-01-01..2024-06-30  each bound YYYY, YYYY-MM or YYYY-MM-DD; bounds are inclusive

Questions and pasted prose are read as prose wherever the syntax would be a guess:

- A phrase opens with a ``"`` at the start of a term and closes at the next ``"``. A quote with
  no partner, or one inside a word (``5" screen``), is an ordinary character.
- In prose longer than a sentence or two (more than :data:`PROSE_WORDS` words: a paragraph
  question, a pasted abstract) a quoted phrase is a boost (:attr:`Term.boost`): its words are
  free words, and papers holding the phrase score higher, but none has to. Quotes in prose mark
  terms of art, titles and misremembered wordings far more often than "this or nothing". There
  TeX markup (``\cite{key}``, ``\emph{word}``, ``$\alpha$``) is read as the text it shows, and a
  trailing reference list ("References", "Bibliography") is left out: its titles are other papers'.
- A ``-`` excludes only as an operator: at the start of a term (the query's start or after
  whitespace) and followed directly by a letter, a closed quote or a field name. Hyphens
  (``state-of-the-art``), spaced dashes (``a - b``), double dashes (``--``), en and em dashes and
  negative numbers (``-40``) are text.
- ``AND``, ``OR``, ``NOT``, parentheses, ``*`` and ``NEAR(`` are ordinary text (terms without a
  letter or digit are dropped); an unknown ``foo:bar`` is searched as ``foo bar`` with a
  warning, and a field name with nothing after it (``CAT: Closed-loop ...``) is a word.

Every word counts, as often as it is typed (:attr:`Term.count`); a backend that cannot afford
all the words of a long query picks the most telling ones. :attr:`ParsedQuery.text` is what the
user wrote with the operators taken out, for the embedder. With ``operators=False`` (pasted text
to find related papers) nothing is syntax: every word is a free word.

A pasted arXiv id or URL sets :attr:`ParsedQuery.paper_id` so the web page can jump to it.
Only a bad value of a known field, or an over-long query, raises :class:`QueryError`. Backends
never see user syntax: they compile :class:`Term` texts and :class:`Filters`, escaping the texts
themselves.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum

from papertide.category_filter import category_patterns, check_pattern, passes
from papertide.errors import QueryError
from papertide.model import parse_arxiv_id

# A pasted abstract or a page of a paper: long texts are searched by their most telling words.
MAX_QUERY_CHARS = 20_000
# Phrases, field terms and exclusions, each a clause every candidate must be checked against.
MAX_OPERATOR_TERMS = 32
# More words than this (about two sentences) make a query prose: its quoted phrases are boosts.
PROSE_WORDS = 30


class Field(StrEnum):
    """A paper field a term can be restricted to."""

    TITLE = "title"
    ABSTRACT = "abstract"
    AUTHOR = "author"


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase to match; ``text`` is as typed, unescaped, single-spaced, never empty.

    Positive free words add to the score, ``count`` times as much as a word typed once; phrases
    and field terms are :attr:`required`, except a ``boost`` phrase (quoted in prose): it adds
    the phrase's score to the papers holding it and selects nothing (its words are also free
    words of the query). A negated term excludes every paper it matches. An
    author term matches a paper if one author's name contains its words (its phrase, if quoted),
    or the words of one of ``also``: the other spellings of the same name, such as the one full
    name its initials stand for (see :func:`papertide.author_names.spellings`).
    """

    text: str
    field: Field | None = None
    phrase: bool = False
    negated: bool = False
    count: int = 1
    also: tuple[str, ...] = ()
    boost: bool = False

    @property
    def required(self) -> bool:
        """Whether a paper must match this (positive) term to be a result at all."""
        return (self.phrase and not self.boost) or self.field is not None

    @property
    def free(self) -> bool:
        """Whether this is a free word (or words) of the query, scored by BM25 word by word."""
        return not (self.phrase or self.field is not None)


@dataclass(frozen=True, slots=True)
class Filters:
    """Constraints that select papers without scoring them.

    A paper passes if one of its categories matches an include pattern (when there are any), none
    matches an exclude pattern, and its date lies in ``date_from..date_to`` (inclusive). Patterns
    match case-insensitively and may end in ``*``; :meth:`category_matches` is the reference.
    Invalid patterns or an empty date range raise :class:`QueryError`, so form input can be
    passed straight in.
    """

    categories_include: tuple[str, ...] = ()
    categories_exclude: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        for pattern in (*self.categories_include, *self.categories_exclude):
            check_pattern(pattern)
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise QueryError(f"the date limits leave no dates: {self.date_from} is after {self.date_to}")

    @property
    def is_empty(self) -> bool:
        return not (self.categories_include or self.categories_exclude or self.date_from or self.date_to)

    def category_matches(self, categories: Iterable[str]) -> bool:
        """Whether a paper listed in ``categories`` passes the category filters."""
        return passes(categories, self.categories_include, self.categories_exclude)

    def date_matches(self, day: date | None) -> bool:
        """Whether a paper of this date passes; an undated paper fails any date limit."""
        if self.date_from is None and self.date_to is None:
            return True
        if day is None:
            return False
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """What a user asked for, free of syntax; ``warnings`` are for the UI to show.

    ``text`` is the topical part as written (words, phrases without their quotes, the values of
    ``title:`` and ``abstract:``), in order, whitespace folded: what the embedder reads.
    """

    terms: tuple[Term, ...] = ()
    filters: Filters = field(default_factory=Filters)
    paper_id: str | None = None
    warnings: tuple[str, ...] = ()
    text: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing was asked for; the caller decides what an empty search shows."""
        return not self.terms and self.filters.is_empty and self.paper_id is None

    @property
    def positive_terms(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if not term.negated)

    @property
    def negative_terms(self) -> tuple[Term, ...]:
        return tuple(term for term in self.terms if term.negated)

    @property
    def phrases(self) -> tuple[Term, ...]:
        """The positive required phrases not limited to a field: what :meth:`phrases_as_words` relaxes."""
        return tuple(term for term in self.positive_terms if term.required and term.phrase and term.field is None)

    def text_for_embedding(self) -> str:
        """The topical text for the semantic retriever (:attr:`text`)."""
        return self.text

    def phrases_as_words(self) -> ParsedQuery:
        """This query with its :attr:`phrases` read as free words: for when no paper holds them."""
        relaxed = [Term(term.text, count=term.count) if term in self.phrases else term for term in self.terms]
        return replace(self, terms=_merged(relaxed))

    def without_exclusions(self) -> ParsedQuery:
        """This query without its negated terms: for when they leave nothing."""
        return replace(self, terms=self.positive_terms)


def check_query_length(text: str) -> None:
    """Refuse a text longer than any query or pasted text may be (:class:`QueryError` naming the limit)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"query is too long ({len(text):,} characters; at most {MAX_QUERY_CHARS:,})")


def parse_query(text: str, *, operators: bool = True) -> ParsedQuery:
    """Parse what was typed into the search box; raise :class:`QueryError` naming a bad term.

    With ``operators=False`` the text is prose to search by (a pasted abstract): quotes, dashes
    and field names are ordinary characters.
    """
    check_query_length(text)
    prose = len(text.split()) > PROSE_WORDS
    cleaned = _clean(_without_references(_tex_as_text(text)) if prose else text)
    if not operators:
        words = cleaned.split()
        return ParsedQuery(_merged(_free_words(words)), text=" ".join(words))
    builder = _Builder(prose)
    for token in _tokens(cleaned):
        builder.add(token)
    return builder.build()


# \cite{a,b}, \ref{x}, \label{x}: keys, not words; \emph{word}, \textbf{word}: the word; $\alpha$: alpha.
_TEX_KEYS = re.compile(r"\\(?:cite[pt]?|citet|citep|ref|eqref|label|url|footnote)\*?(?:\[[^\]]*\])*\{[^{}]*\}")
_TEX_COMMAND = re.compile(r"\\[A-Za-z]+\*?")
_TEX_MATH = re.compile(r"(?<![\w$])\$([^$]{1,80})\$(?![\w$])")
# A reference list's heading, on its own line or before its first numbered entry, ends the prose.
_REFERENCES = re.compile(
    r"(?:^|\n|\s)(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY)(?:\s*:)?\s*(?:\n|\[1\]|1\.\s)"
)


def _tex_as_text(text: str) -> str:
    """TeX markup as the words it shows: citation and reference keys go, commands and braces go."""
    text = _TEX_KEYS.sub(" ", text)
    text = _TEX_MATH.sub(lambda match: f" {match[1]} ", text)
    text = _TEX_COMMAND.sub(" ", text)
    return text.replace("{", " ").replace("}", " ")


def _without_references(text: str) -> str:
    """The text before a trailing reference list (its heading past the text's first third)."""
    for match in _REFERENCES.finditer(text):
        if match.start() > len(text) // 3:
            return text[: match.start()]
    return text


def _free_words(pieces: Iterable[str]) -> Iterator[Term]:
    """Free-word terms of text pieces; a quote inside a word is a separator, not part of a term."""
    for piece in pieces:
        for word in piece.replace('"', " ").split():
            if any(char.isalnum() for char in word):
                yield Term(word)


def _merged(terms: Iterable[Term]) -> tuple[Term, ...]:
    """Terms in first-typed order, repeats folded into :attr:`Term.count`."""
    counts: dict[Term, int] = {}
    for term in terms:
        key = replace(term, count=1)
        counts[key] = counts.get(key, 0) + term.count
    return tuple(replace(term, count=count) for term, count in counts.items())


def build_filters(
    categories: Iterable[str] = (),
    exclude: Iterable[str] = (),
    date_from: date | None = None,
    date_to: date | None = None,
) -> Filters:
    """Filters from typed values (form fields, query parameters, CLI options), each category value one or more
    patterns; raises :class:`QueryError` for a bad pattern or an empty range."""
    return Filters(category_patterns(categories), category_patterns(exclude), date_from, date_to)


def merge_filters(parsed: ParsedQuery, extra: Filters) -> ParsedQuery:
    """Narrow a parsed query by filters given apart from it (the web form's fields).

    Both sets must hold: categories and date ranges intersect, exclusions add up. Filters that
    leave nothing raise :class:`QueryError` rather than silently finding nothing.
    """
    own = parsed.filters
    merged = Filters(
        _intersect_categories(_canonical(own.categories_include), _canonical(extra.categories_include)),
        _canonical((*own.categories_exclude, *extra.categories_exclude)),
        _latest(own.date_from, extra.date_from),
        _earliest(own.date_to, extra.date_to),
    )
    return replace(parsed, filters=merged)


# "author:" at the start of a token, but not "https://".
_PREFIX = re.compile(r"([A-Za-z]+):(?!/)")
_TEXT_FIELDS = {
    "title": Field.TITLE, "ti": Field.TITLE,
    "abstract": Field.ABSTRACT, "abs": Field.ABSTRACT,
    "author": Field.AUTHOR, "au": Field.AUTHOR,
}  # fmt: skip
_EXAMPLES = {Field.TITLE: "title:transformer", Field.ABSTRACT: "abstract:diffusion", Field.AUTHOR: "author:hinton"}
_DATE_HELP = {
    "year": "expected a year or a range such as year:2021, year:2020..2024, year:2020.. or year:..2019",
    "date": "expected a date or a range such as date:2024-01-01..2024-06-30 (each bound YYYY, YYYY-MM or YYYY-MM-DD)",
}
_PERIOD = {
    "year": re.compile(r"(?P<y>[0-9]{4})"),
    "date": re.compile(r"(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{1,2})(?:-(?P<d>[0-9]{1,2}))?)?"),
}
_SMART_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e", '"'))


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str  # as typed, for messages and for the embedder
    prefix: str | None  # the field name before the colon, as typed
    value: str
    quoted: bool
    negated: bool


def _clean(text: str) -> str:
    """Control characters and junk become spaces; invisible format characters (soft hyphens) go."""
    kept = []
    for char in text:
        kind = unicodedata.category(char)
        if kind != "Cf":
            kept.append(" " if kind[0] == "C" else char)
    return unicodedata.normalize("NFC", "".join(kept)).translate(_SMART_QUOTES)


def _tokens(text: str) -> Iterator[_Token]:
    """Split into ``[-][field:](word|"phrase")`` tokens by the rules in the module docstring."""
    position, end = 0, len(text)
    while position < end:
        if text[position].isspace():
            position += 1
            continue
        start = position
        negated = _is_exclusion(text, position)
        if negated:
            position += 1
        prefix = _PREFIX.match(text, position)
        if prefix:
            position = prefix.end()
        closing = text.find('"', position + 1) if position < end and text[position] == '"' else -1
        if closing >= 0:
            value, quoted, position = text[position + 1 : closing], True, closing + 1
        else:  # a word, stray quotes and all
            stop = position
            while stop < end and not text[stop].isspace():
                stop += 1
            value, quoted, position = text[position:stop], False, stop
        yield _Token(text[start:position], prefix[1] if prefix else None, value, quoted, negated)


def _is_exclusion(text: str, position: int) -> bool:
    """Whether the ``-`` at ``position`` is the exclusion operator rather than a dash in prose."""
    if text[position] != "-" or (position > 0 and not text[position - 1].isspace()):
        return False
    following = text[position + 1 : position + 2]
    if following == '"':
        return text.find('"', position + 2) >= 0
    return following.isalpha()


class _Builder:
    """Collects tokens into a :class:`ParsedQuery`."""

    def __init__(self, prose: bool = False) -> None:
        self.prose = prose  # quoted phrases are boosts
        self.terms: list[Term] = []
        self.text: list[str] = []
        self.include: dict[str, None] = {}
        self.exclude: dict[str, None] = {}
        self.date_from: date | None = None
        self.date_to: date | None = None
        self.paper_id: str | None = None
        self.warnings: dict[str, None] = {}

    def add(self, token: _Token) -> None:
        name = token.prefix.lower() if token.prefix else None
        if (name in _TEXT_FIELDS or name == "cat" or name in _DATE_HELP) and not token.value and not token.quoted:
            # "CAT: Closed-loop ..." or "author: hinton": a pasted title or a stray space, not a field.
            self.warnings[f"nothing follows '{token.prefix}:', so it was searched as a word"] = None
            self._words(token, token.prefix)
        elif name in _TEXT_FIELDS:
            self._add_field_term(token, _TEXT_FIELDS[name])
        elif name == "cat":
            self._add_categories(token)
        elif name in _DATE_HELP:
            self._add_dates(token, name)
        elif self.paper_id is None and not (token.negated or token.quoted) and (paper_id := _paper_id(token.raw)):
            self.paper_id = paper_id
        else:
            if token.prefix and token.value:
                self.warnings[f"unknown field '{token.prefix}:' searched as text"] = None
            self._add_text(token)

    def build(self) -> ParsedQuery:
        terms = _merged(self.terms)
        operators = [term for term in terms if term.negated or not term.free]
        if len(operators) > MAX_OPERATOR_TERMS:
            dropped = set(operators[MAX_OPERATOR_TERMS:])
            self.warnings[
                f"only the first {MAX_OPERATOR_TERMS} phrases, field terms and exclusions are used; "
                f"{len(dropped)} more were ignored"
            ] = None
            terms = tuple(term for term in terms if term not in dropped)
        filters = Filters(tuple(self.include), tuple(self.exclude), self.date_from, self.date_to)
        return ParsedQuery(terms, filters, self.paper_id, tuple(self.warnings), " ".join(self.text))

    def _words(self, token: _Token, *pieces: str, embed: bool = True) -> None:
        """Free words; the embedder reads the token as typed unless it is excluded."""
        self.terms.extend(replace(term, negated=token.negated) for term in _free_words(pieces))
        if embed and not token.negated:
            self.text.append(token.raw)

    def _add_text(self, token: _Token) -> None:
        prefix = (token.prefix,) if token.prefix else ()
        if token.quoted:
            boost = self.prose and not token.negated
            self._words(token, *prefix, *((token.value,) if boost else ()), embed=False)
            if prefix and not token.negated:
                self.text.append(f"{token.prefix}:")
            self._phrase(token.value, None, token.negated, boost)
        else:
            self._words(token, *prefix, token.value)

    def _phrase(self, text: str, field: Field | None, negated: bool, boost: bool = False) -> None:
        text = " ".join(text.split())
        if any(char.isalnum() for char in text):
            self.terms.append(Term(text, field, True, negated, boost=boost))
            if not negated and field is not Field.AUTHOR:
                self.text.append(text)

    def _add_field_term(self, token: _Token, field: Field) -> None:
        if not any(char.isalnum() for char in token.value):
            raise QueryError(
                f"{token.raw!r} has nothing to search for; write it right after the colon, e.g. {_EXAMPLES[field]}"
            )
        if token.quoted:
            self._phrase(token.value, field, token.negated)
            return
        value = " ".join(token.value.replace('"', " ").split())
        self.terms.append(Term(value, field, False, token.negated))
        if not token.negated and field is not Field.AUTHOR:
            self.text.append(value)

    def _add_categories(self, token: _Token) -> None:
        patterns = [piece for piece in re.split(r"[\s,]+", token.value) if piece]  # any white space, unlike a form's
        if not patterns:
            raise QueryError(f"{token.raw!r} names no category; write it right after the colon, e.g. cat:cs.LG")
        for pattern in patterns:
            check_pattern(pattern, token.raw)
        target = self.exclude if token.negated else self.include
        target.update(dict.fromkeys(_canonical(patterns)))

    def _add_dates(self, token: _Token, name: str) -> None:
        if token.negated:
            raise QueryError(f"{token.raw!r}: dates cannot be excluded; use a range such as {name}:..2019")
        low, dots, high = token.value.partition("..")
        if not dots:
            high = low
        if not (low or high):
            raise QueryError(f"{token.raw!r} has no value; {_DATE_HELP[name]}")
        start = _period(low, name, token.raw)[0] if low else None
        end = _period(high, name, token.raw)[1] if high else None
        if start and end and start > end:
            raise QueryError(f"{token.raw!r}: the range is reversed ({low} is after {high})")
        self.date_from = _latest(self.date_from, start)
        self.date_to = _earliest(self.date_to, end)


def _paper_id(text: str) -> str | None:
    if not text.isascii():  # parse_arxiv_id's \d would take other scripts' digits
        return None
    try:
        return parse_arxiv_id(text)[0]
    except ValueError:
        return None


def _period(value: str, name: str, raw: str) -> tuple[date, date]:
    """The first and last day that ``2024``, ``2024-03`` or ``2024-03-05`` stands for."""
    match = _PERIOD[name].fullmatch(value)
    if not match:
        raise QueryError(f"{raw!r}: {_DATE_HELP[name]}")
    parts = match.groupdict()
    year, month, day = int(parts["y"]), int(parts.get("m") or 0), int(parts.get("d") or 0)
    try:
        if day:
            return date(year, month, day), date(year, month, day)
        if month:
            return date(year, month, 1), date(year, month, monthrange(year, month)[1])
        return date(year, 1, 1), date(year, 12, 31)
    except ValueError as exc:
        raise QueryError(f"{raw!r}: {value} is not a valid date ({exc})") from None


def _canonical(patterns: Iterable[str]) -> tuple[str, ...]:
    """Patterns as arXiv spells categories (cs.LG, math.GT, hep-th, cond-mat.soft), deduplicated."""
    spelled = []
    for pattern in patterns:
        archive, dot, subject = pattern.partition(".")
        subject = subject.upper() if len(subject) == 2 and subject.isalpha() else subject.lower()
        spelled.append(f"{archive.lower()}{dot}{subject}")
    return tuple(dict.fromkeys(spelled))


def _covers(pattern: str, other: str) -> bool:
    """Whether ``pattern`` matches every category ``other`` matches (patterns are canonical)."""
    pattern, other = pattern.lower(), other.lower()
    return pattern == other or (pattern.endswith("*") and other.startswith(pattern[:-1]))


def _intersect_categories(own: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    """Patterns matching exactly the categories both sets match; star patterns only ever nest."""
    if not (own and extra):
        return own or extra
    common = [
        *(p for p in own if any(_covers(q, p) for q in extra)),
        *(q for q in extra if any(_covers(p, q) for p in own)),
    ]
    if not common:
        raise QueryError(f"the categories typed ({', '.join(own)}) and chosen ({', '.join(extra)}) have none in common")
    return tuple(dict.fromkeys(common))


def _latest(*days: date | None) -> date | None:
    return max((day for day in days if day is not None), default=None)


def _earliest(*days: date | None) -> date | None:
    return min((day for day in days if day is not None), default=None)
