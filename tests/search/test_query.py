"""The query language: every syntax element, each error and warning, and fuzzing for robustness."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertide.errors import QueryError
from papertide.search.query import (
    MAX_OPERATOR_TERMS,
    MAX_QUERY_CHARS,
    Field,
    Filters,
    ParsedQuery,
    Term,
    merge_filters,
    parse_query,
)

TITLE, ABSTRACT, AUTHOR = Field.TITLE, Field.ABSTRACT, Field.AUTHOR


def words(*texts: str, negated: bool = False) -> tuple[Term, ...]:
    return tuple(Term(text, negated=negated) for text in texts)


def terms_of(text: str) -> tuple[Term, ...]:
    return parse_query(text).terms


def dates(start: date | None, end: date | None) -> Filters:
    return Filters(date_from=start, date_to=end)


CASES: list[tuple[str, ParsedQuery]] = [
    # empty input
    ("", ParsedQuery()),
    ("  \t\n ", ParsedQuery()),
    ("\x00\x01\x7f\u200b", ParsedQuery()),
    ("* ( ) ^ - -- ~ NEAR(", ParsedQuery(words("NEAR("))),
    # free text and phrases
    ("parameter-efficient fine-tuning of LLMs", ParsedQuery(words("parameter-efficient", "fine-tuning", "of", "LLMs"))),
    ('"attention is all you need"', ParsedQuery((Term("attention is all you need", phrase=True),))),
    ('"  spaced \t out  "', ParsedQuery((Term("spaced out", phrase=True),))),
    ('""', ParsedQuery()),
    ("“smart quotes”", ParsedQuery((Term("smart quotes", phrase=True),))),
    ("diffusion diffusion", ParsedQuery((Term("diffusion", count=2),))),
    ("diffusion Diffusion diffusion", ParsedQuery((Term("diffusion", count=2), Term("Diffusion")))),
    # exclusion: a '-' at the start of a term, followed by a letter, a closed quote or a field name
    ("-rnn", ParsedQuery(words("rnn", negated=True))),
    ("lstm -rnn", ParsedQuery((*words("lstm"), *words("rnn", negated=True)))),
    ('-"recurrent network"', ParsedQuery((Term("recurrent network", phrase=True, negated=True),))),
    ("-Über", ParsedQuery(words("Über", negated=True))),
    # ... and every other dash is prose
    ("--rnn", ParsedQuery(words("--rnn"))),
    ("a - b", ParsedQuery(words("a", "b"))),
    ("a -- b", ParsedQuery(words("a", "b"))),
    ("a – b — c", ParsedQuery(words("a", "b", "c"))),
    ("–rnn —rnn", ParsedQuery(words("–rnn", "—rnn"))),
    ("state-of-the-art", ParsedQuery(words("state-of-the-art"))),
    ("cooling to -40 degrees", ParsedQuery(words("cooling", "to", "-40", "degrees"))),
    ("a-b -c-d", ParsedQuery((*words("a-b"), *words("c-d", negated=True)))),
    ("x(-y)", ParsedQuery(words("x(-y)"))),
    ('-"unclosed phrase', ParsedQuery(words("-", "unclosed", "phrase")[1:])),
    # text fields, with arXiv's aliases and any case
    ("title:transformer", ParsedQuery((Term("transformer", TITLE),))),
    ('title:"attention is all you need"', ParsedQuery((Term("attention is all you need", TITLE, phrase=True),))),
    ("ti:transformer TITLE:bert", ParsedQuery((Term("transformer", TITLE), Term("bert", TITLE)))),
    ("abstract:diffusion abs:score", ParsedQuery((Term("diffusion", ABSTRACT), Term("score", ABSTRACT)))),
    ("author:hinton", ParsedQuery((Term("hinton", AUTHOR),))),
    ('author:"Geoffrey Hinton"', ParsedQuery((Term("Geoffrey Hinton", AUTHOR, phrase=True),))),
    ("Au:LeCun", ParsedQuery((Term("LeCun", AUTHOR),))),
    ("-author:smith", ParsedQuery((Term("smith", AUTHOR, negated=True),))),
    ('-title:"a survey"', ParsedQuery((Term("a survey", TITLE, phrase=True, negated=True),))),
    ("title:foo:bar", ParsedQuery((Term("foo:bar", TITLE),))),
    # categories
    ("cat:cs.LG", ParsedQuery(filters=Filters(("cs.LG",)))),
    ("cat:cs.*", ParsedQuery(filters=Filters(("cs.*",)))),
    ("cat:cs*", ParsedQuery(filters=Filters(("cs*",)))),
    ("cat:CS.lg", ParsedQuery(filters=Filters(("cs.LG",)))),
    ("cat:math.gt cat:cond-mat.Mes-Hall", ParsedQuery(filters=Filters(("math.GT", "cond-mat.mes-hall")))),
    ("cat:cs.LG,cs.CL", ParsedQuery(filters=Filters(("cs.LG", "cs.CL")))),
    ('cat:"cs.LG, stat.ML"', ParsedQuery(filters=Filters(("cs.LG", "stat.ML")))),
    ("cat:cs.LG, cat:cs.LG cat:cs.lg", ParsedQuery(filters=Filters(("cs.LG",)))),
    ("-cat:hep-th", ParsedQuery(filters=Filters(categories_exclude=("hep-th",)))),
    ("-cat:hep-th,astro-ph.*", ParsedQuery(filters=Filters(categories_exclude=("hep-th", "astro-ph.*")))),
    ("cat:q-bio.NC -cat:q-bio.GN", ParsedQuery(filters=Filters(("q-bio.NC",), ("q-bio.GN",)))),
    # dates
    ("year:2021", ParsedQuery(filters=dates(date(2021, 1, 1), date(2021, 12, 31)))),
    ("year:2020..2024", ParsedQuery(filters=dates(date(2020, 1, 1), date(2024, 12, 31)))),
    ("year:2020..", ParsedQuery(filters=dates(date(2020, 1, 1), None))),
    ("year:..2019", ParsedQuery(filters=dates(None, date(2019, 12, 31)))),
    ('year:"2021"', ParsedQuery(filters=dates(date(2021, 1, 1), date(2021, 12, 31)))),
    ("date:2024-01-01..2024-06-30", ParsedQuery(filters=dates(date(2024, 1, 1), date(2024, 6, 30)))),
    ("date:2024-03-05", ParsedQuery(filters=dates(date(2024, 3, 5), date(2024, 3, 5)))),
    ("date:2024-2", ParsedQuery(filters=dates(date(2024, 2, 1), date(2024, 2, 29)))),
    ("date:2023..2023-6", ParsedQuery(filters=dates(date(2023, 1, 1), date(2023, 6, 30)))),
    ("date:..2024-01-15", ParsedQuery(filters=dates(None, date(2024, 1, 15)))),
    ("year:2020..2024 date:2022-06..", ParsedQuery(filters=dates(date(2022, 6, 1), date(2024, 12, 31)))),
    ("year:2020.. year:..2022", ParsedQuery(filters=dates(date(2020, 1, 1), date(2022, 12, 31)))),
    # pasted arXiv ids and URLs
    ("2410.17243", ParsedQuery(paper_id="2410.17243")),
    ("  arXiv:2410.17243v2 ", ParsedQuery(paper_id="2410.17243")),
    ("https://arxiv.org/abs/2410.17243", ParsedQuery(paper_id="2410.17243")),
    ("http://arxiv.org/pdf/2410.17243v1.pdf", ParsedQuery(paper_id="2410.17243")),
    ("hep-th/9901001", ParsedQuery(paper_id="hep-th/9901001")),
    ("math.gt/0309136", ParsedQuery(paper_id="math.GT/0309136")),
    ("2410.17243 scaling", ParsedQuery(words("scaling"), paper_id="2410.17243")),
    ("2410.17243 1706.03762", ParsedQuery(words("1706.03762"), paper_id="2410.17243")),
    ("-2410.17243", ParsedQuery(words("-2410.17243"))),
    ('"2410.17243"', ParsedQuery((Term("2410.17243", phrase=True),))),
    ("2410.172", ParsedQuery(words("2410.172"))),
    ("0704.0001", ParsedQuery(paper_id="0704.0001")),
    ("\u0662\u0664\u0661\u0660.\u0661\u0667\u0662\u0664\u0663", ParsedQuery(words("٢٤١٠.١٧٢٤٣"))),
    # everything else is plain text: no operators, no injection
    ("AND OR NOT and", ParsedQuery(words("AND", "OR", "NOT", "and"))),
    ("NEAR(a b) a* ^2 (x)", ParsedQuery(words("NEAR(a", "b)", "a*", "^2", "(x)"))),
    ("'; DROP TABLE papers;--", ParsedQuery(words("DROP", "TABLE", "papers;--"))),
    ("10:30 C++ x:", ParsedQuery(words("10:30", "C++", "x"))),
    ("Note: gradients", ParsedQuery(words("Note", "gradients"))),
    ("https://example.org/x?a=b", ParsedQuery(words("https://example.org/x?a=b"))),
    ("para\u00admeter", ParsedQuery(words("parameter"))),
    ("line\nbreak\x00null\x1b[31mred", ParsedQuery(words("line", "break", "null", "[31mred"))),
    ("e\u0301t\u00e9", ParsedQuery(words("\u00e9t\u00e9"))),
    ("🤗 transformers 🤗", ParsedQuery(words("transformers"))),
    # combinations
    (
        'cat:cs.* year:2020.. author:"Yann LeCun" -title:survey "self-supervised learning" vision -cat:cs.CR',
        ParsedQuery(
            (
                Term("Yann LeCun", AUTHOR, phrase=True),
                Term("survey", TITLE, negated=True),
                Term("self-supervised learning", phrase=True),
                Term("vision"),
            ),
            Filters(("cs.*",), ("cs.CR",), date(2020, 1, 1)),
        ),
    ),
]

WARNING_CASES: list[tuple[str, ParsedQuery]] = [
    ("foo:bar", ParsedQuery(words("foo", "bar"), warnings=("unknown field 'foo:' searched as text",))),
    (
        '-foo:"x y" Foo:z',
        ParsedQuery(
            (Term("foo", negated=True), Term("x y", phrase=True, negated=True), Term("Foo"), Term("z")),
            warnings=("unknown field 'foo:' searched as text", "unknown field 'Foo:' searched as text"),
        ),
    ),
    ("a:b:c", ParsedQuery(words("a", "b:c"), warnings=("unknown field 'a:' searched as text",))),
]

# Quotes: a phrase opens at the start of a term and closes at the next quote; any other quote is text.
QUOTE_CASES: list[tuple[str, tuple[Term, ...]]] = [
    ('"unclosed phrase', words("unclosed", "phrase")),
    ('don"t stop', words("don", "t", "stop")),
    (
        'a 5" screen with "retina" glass',
        (*words("a", "5", "screen", "with"), Term("retina", phrase=True), *words("glass")),
    ),
    ('author:"Geoffrey', (Term("Geoffrey", AUTHOR),)),
    ('"', ()),
    ('" "', ()),
    ('"a" "b', (Term("a", phrase=True), *words("b"))),
    ('x"y z"', words("x", "y", "z")),
    ('"closed"then', (Term("closed", phrase=True), *words("then"))),
    (
        'systems of the "what you see is what you get" kind',
        (*words("systems", "of", "the"), Term("what you see is what you get", phrase=True), *words("kind")),
    ),
]


def test_a_field_name_with_nothing_after_it_is_a_word() -> None:
    parsed = parse_query("CAT: Closed-loop Adversarial Training")
    assert [t.text for t in parsed.terms] == ["CAT", "Closed-loop", "Adversarial", "Training"]
    assert parsed.filters.is_empty
    assert parsed.warnings == ("nothing follows 'CAT:', so it was searched as a word",)
    for text in ("author: hinton", "title:", "year:", "-cat:"):
        parsed = parse_query(text)
        assert parsed.warnings and parsed.filters.is_empty, text
        assert all(term.field is None for term in parsed.terms), text


ERROR_CASES: list[tuple[str, str]] = [
    ("year:abc", "'year:abc': expected a year or a range such as year:2021, year:2020..2024"),
    ("year:20", "'year:20': expected a year"),
    ("year:2020-01", "'year:2020-01': expected a year"),
    ("year:2020..2021..2022", "'year:2020..2021..2022': expected a year"),
    ("year:2024..2020", "'year:2024..2020': the range is reversed (2024 is after 2020)"),
    ("year:0000", "'year:0000': 0000 is not a valid date (year 0 is out of range)"),
    ("year:..", "'year:..' has no value; expected a year"),
    ("-year:2020", "'-year:2020': dates cannot be excluded; use a range such as year:..2019"),
    ("year:2020 year:2022", "the date limits leave no dates: 2022-01-01 is after 2020-12-31"),
    ("date:2024-13-01", "'date:2024-13-01': 2024-13-01 is not a valid date (month must be in 1..12)"),
    ("date:2023-02-29", "'date:2023-02-29': 2023-02-29 is not a valid date (day is out of range for month)"),
    ("date:2024-06-30..2024-01-01", "'date:2024-06-30..2024-01-01': the range is reversed"),
    ("date:yesterday", "'date:yesterday': expected a date or a range such as date:2024-01-01..2024-06-30"),
    ("date:2024/01/01", "'date:2024/01/01': expected a date"),
    ('author:""', "'author:\"\"' has nothing to search for"),
    ("-author:*", "'-author:*' has nothing to search for"),
    ("-cat:,", "'-cat:,' names no category"),
    ("cat:*", "'cat:*': '*' is not a category pattern such as cs.LG, cs.*, hep-th or math.GT"),
    ("cat:cs_LG", "'cat:cs_LG': 'cs_LG' is not a category pattern"),
    ("cat:cs.", "'cat:cs.': 'cs.' is not a category pattern"),
    ("cat:cs.LG,cs.*.x", "'cat:cs.LG,cs.*.x': 'cs.*.x' is not a category pattern"),
    ("cat:-hep-th", "'cat:-hep-th': '-hep-th' is not a category pattern"),
    ("cat:cs.L?", "'cat:cs.L?': 'cs.L?' is not a category pattern"),
    (
        "x" * (MAX_QUERY_CHARS + 1),
        f"query is too long ({MAX_QUERY_CHARS + 1:,} characters; at most {MAX_QUERY_CHARS:,})",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES + WARNING_CASES, ids=[t[:40] for t, _ in CASES + WARNING_CASES])
def test_parses(text: str, expected: ParsedQuery) -> None:
    assert replace(parse_query(text), text="") == expected


@pytest.mark.parametrize(("text", "expected"), QUOTE_CASES, ids=[t[:40] for t, _ in QUOTE_CASES])
def test_quotes_pair_up_or_are_text(text: str, expected: tuple[Term, ...]) -> None:
    parsed = parse_query(text)
    assert parsed.terms == expected and parsed.warnings == ()


@pytest.mark.parametrize(
    ("text", "embedded"),
    [
        ("parameter-efficient fine-tuning of LLMs?", "parameter-efficient fine-tuning of LLMs?"),
        ('systems of the "what you see" kind', "systems of the what you see kind"),
        (
            'Vision -"video games" title:Transformers abstract:"Schrödinger cat" author:Hinton',
            "Vision Transformers Schrödinger cat",
        ),
        ("graphs cat:cs.LG year:2020.. -survey 2410.17243 results", "graphs results"),
        ("CAT: Closed-loop   Adversarial\nTraining", "CAT: Closed-loop Adversarial Training"),
        ('foo:bar baz:"x y"', "foo:bar baz: x y"),
        ("a - b -- c -40", "a - b -- c -40"),
        ('don"t', 'don"t'),
    ],
)
def test_the_embedder_reads_the_text_as_written_without_operators(text: str, embedded: str) -> None:
    assert parse_query(text).text_for_embedding() == embedded


def test_without_operators_everything_is_prose() -> None:
    text = 'Results: we "propose" -including cat:cs.LG and author:x 2410.17243 -- see "below'
    parsed = parse_query(text, operators=False)
    assert all(not (t.phrase or t.negated or t.field) for t in parsed.terms)
    assert parsed.filters.is_empty and parsed.paper_id is None and parsed.warnings == ()
    assert parsed.text == text
    assert "-including" in [t.text for t in parsed.terms] and "cat:cs.LG" in [t.text for t in parsed.terms]


def test_phrases_relax_to_words_and_exclusions_drop() -> None:
    parsed = parse_query('"neural nets" "neural nets" title:"x y" -"video games" -survey robots')
    assert parsed.phrases == (Term("neural nets", phrase=True, count=2),)
    relaxed = parsed.phrases_as_words()
    assert relaxed.terms[0] == Term("neural nets", count=2)
    assert Term("x y", TITLE, phrase=True) in relaxed.terms and relaxed.negative_terms == parsed.negative_terms
    assert relaxed.without_exclusions().negative_terms == ()
    assert relaxed.text == parsed.text


@pytest.mark.parametrize(("text", "message"), ERROR_CASES, ids=[t[:40] for t, _ in ERROR_CASES])
def test_rejects_with_a_message_naming_the_term(text: str, message: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse_query(text)
    assert raised.value.message.startswith(message)
    assert raised.value.status_code == 400


def test_the_longest_query_allowed_parses() -> None:
    assert parse_query("x" * MAX_QUERY_CHARS).terms == (Term("x" * MAX_QUERY_CHARS),)


def test_every_word_of_a_long_text_counts_with_its_frequency() -> None:
    text = " ".join(f"word{i % 700}" for i in range(1400))  # 1,400 words, over 10,000 characters
    assert len(text) >= 10_000
    parsed = parse_query(text)
    assert parsed.terms == tuple(Term(f"word{i}", count=2) for i in range(700)) and parsed.warnings == ()


def test_operator_terms_beyond_the_limit_are_dropped_with_a_warning() -> None:
    phrases = " ".join(f'"p{i} q"' for i in range(MAX_OPERATOR_TERMS + 6))
    parsed = parse_query(f"{phrases} free -x cat:cs.LG")
    assert [t.text for t in parsed.terms if t.phrase] == [f"p{i} q" for i in range(MAX_OPERATOR_TERMS)]
    assert Term("free") in parsed.terms and Term("x", negated=True) not in parsed.terms
    assert parsed.warnings == (
        f"only the first {MAX_OPERATOR_TERMS} phrases, field terms and exclusions are used; 7 more were ignored",
    )
    assert parsed.filters.categories_include == ("cs.LG",)


def test_is_empty_counts_filters_and_paper_ids() -> None:
    assert parse_query(" ").is_empty
    assert not parse_query("cat:cs.LG").is_empty
    assert not parse_query("year:2020").is_empty
    assert not parse_query("2410.17243").is_empty
    assert not parse_query("-rnn").is_empty


def test_helpers_split_and_render_the_terms() -> None:
    parsed = parse_query('Vision -"video games" title:Transformers abstract:Schrödinger author:Hinton -cat:cs.CV')
    assert [term.text for term in parsed.positive_terms] == ["Vision", "Transformers", "Schrödinger", "Hinton"]
    assert parsed.negative_terms == (Term("video games", phrase=True, negated=True),)
    assert parsed.text_for_embedding() == "Vision Transformers Schrödinger"
    assert parsed.phrases == ()


def test_required_terms_are_phrases_and_field_terms() -> None:
    free, phrase, author = parse_query('free "a phrase" author:x').terms
    assert (free.required, phrase.required, author.required) == (False, True, True)


@pytest.mark.parametrize(
    ("filters", "categories", "passes"),
    [
        (Filters(), [], True),
        (Filters(("cs.LG",)), ["stat.ML", "cs.LG"], True),
        (Filters(("cs.LG",)), ["cs.CL"], False),
        (Filters(("cs.LG",)), [], False),
        (Filters(("cs.*",)), ["cs.AI"], True),
        (Filters(("cs.*",)), ["cs"], False),
        (Filters(("cs*",)), ["cs", "cs.AI"], True),
        (Filters(("math.*", "hep-th")), ["hep-th"], True),
        (Filters(("cs.lg",)), ["CS.LG"], True),
        (Filters(categories_exclude=("hep-th",)), ["hep-th", "cs.LG"], False),
        (Filters(categories_exclude=("hep-th",)), ["hep-ph"], True),
        (Filters(("cs.*",), ("cs.CR",)), ["cs.LG", "cs.CR"], False),
    ],
)
def test_category_matches(filters: Filters, categories: list[str], passes: bool) -> None:
    assert filters.category_matches(categories) is passes


def test_date_matches_inclusive_bounds() -> None:
    filters = parse_query("date:2024-01-01..2024-06-30").filters
    assert filters.date_matches(date(2024, 1, 1)) and filters.date_matches(date(2024, 6, 30))
    assert not filters.date_matches(date(2023, 12, 31)) and not filters.date_matches(date(2024, 7, 1))
    assert not filters.date_matches(None)
    assert Filters().date_matches(None)
    assert parse_query("year:2020..").filters.date_matches(date(2999, 1, 1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"categories_include": ("cs LG",)}, "'cs LG' is not a category pattern"),
        ({"categories_exclude": ("%",)}, "'%' is not a category pattern"),
        ({"date_from": date(2024, 2, 1), "date_to": date(2024, 1, 1)}, "the date limits leave no dates"),
    ],
)
def test_filters_reject_bad_form_input(kwargs: dict, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        Filters(**kwargs)


@pytest.mark.parametrize(
    ("typed", "chosen", "expected"),
    [
        ("x", Filters(), Filters()),
        ("x", Filters(("CS.lg",)), Filters(("cs.LG",))),
        ("cat:cs.LG", Filters(), Filters(("cs.LG",))),
        ("cat:cs.LG,cs.CL", Filters(("cs.CL", "math.*")), Filters(("cs.CL",))),
        ("cat:cs.*", Filters(("cs.LG", "stat.ML")), Filters(("cs.LG",))),
        ("cat:cs*", Filters(("cs.*",)), Filters(("cs.*",))),
        ("cat:cs.*", Filters(("cs*",)), Filters(("cs.*",))),
        ("-cat:hep-th", Filters(categories_exclude=("cs.CR", "hep-th")), Filters((), ("hep-th", "cs.CR"))),
        ("year:2020..2024", Filters(date_from=date(2022, 3, 1)), dates(date(2022, 3, 1), date(2024, 12, 31))),
        ("year:2020", Filters(date_to=date(2020, 6, 30)), dates(date(2020, 1, 1), date(2020, 6, 30))),
    ],
)
def test_merge_filters_narrows(typed: str, chosen: Filters, expected: Filters) -> None:
    parsed = parse_query(f"{typed} -rnn")
    merged = merge_filters(parsed, chosen)
    assert merged.filters == expected
    assert merged.terms == parsed.terms


@pytest.mark.parametrize(
    ("typed", "chosen", "message"),
    [
        ("cat:cs.LG", Filters(("math.*",)), r"typed \(cs.LG\) and chosen \(math.\*\) have none in common"),
        ("cat:cs*", Filters(("c.*",)), "have none in common"),
        ("year:2020", Filters(date_from=date(2021, 1, 1)), "the date limits leave no dates"),
    ],
)
def test_merge_filters_rejects_filters_that_leave_nothing(typed: str, chosen: Filters, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        merge_filters(parse_query(typed), chosen)


# Fuzzing: whatever is typed, parse_query returns clean terms or raises QueryError.

TRICKY = [
    '"', "-", "--", ":", "(", ")", "NEAR(", "NEAR/3", "*", "?", "^", "~", "\\", "'", ";", ",", "..", "AND", "OR",
    "NOT", "cat:", "-cat:", "year:", "date:", "author:", "title:", "abstract:", "ti:", "au:", "foo:", "https://",
    "arXiv:", "2410.17243", "v2", "hep-th/9901001", "cs.*", "cs.LG", "hep-th", "2020", "2024-13-01", "2021-02-28",
    "\x00", "\x1b", "\x7f", "\ud800", "\ufeff", "\u200d", "\u00ad", "\u2028", "\ue000", "\U000e0001", "😀", "🤗",
    "“", "”", "e\u0301", "ß", "x" * 300, " ", "\t", "\n",
]  # fmt: skip
tricky_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=4)), max_size=30).map("".join)


def control_free(text: str) -> bool:
    return not any(unicodedata.category(char)[0] == "C" for char in text)


def check_invariants(text: str) -> ParsedQuery | None:
    try:
        parsed = parse_query(text)
    except QueryError as error:
        assert error.message and control_free(error.message.replace("\n", ""))
        return None
    assert sum(1 for term in parsed.terms if term.required or term.negated) <= MAX_OPERATOR_TERMS
    for term in parsed.terms:
        assert term.text and term.text == " ".join(term.text.split())
        assert control_free(term.text) and '"' not in term.text
        assert any(char.isalnum() for char in term.text)
    for pattern in (*parsed.filters.categories_include, *parsed.filters.categories_exclude):
        assert pattern.isascii() and set(pattern) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-.*")
    assert control_free(parsed.text_for_embedding()) and parsed.text == " ".join(parsed.text.split())
    return parsed


@given(st.text())
def test_any_text_parses_or_raises_query_error(text: str) -> None:
    check_invariants(text)


@settings(max_examples=300)
@given(tricky_text)
def test_tricky_tokens_parse_or_raise_query_error(text: str) -> None:
    check_invariants(text)


@given(st.text(max_size=MAX_QUERY_CHARS))
def test_text_without_colons_never_raises(text: str) -> None:
    assert check_invariants(text.replace(":", " ")) is not None


@given(st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=12), max_size=20))
def test_plain_words_are_searched_as_typed(typed: list[str]) -> None:
    parsed = parse_query(" ".join(typed))
    assert parsed.terms == tuple(Term(word, count=typed.count(word)) for word in dict.fromkeys(typed))
    assert parsed.text == " ".join(typed)


_PROSE_PIECES = st.sampled_from(['"', "-", "--", " - ", "–", "—", ":", "title:", "cat:", "(", ")", "?", ",", "'", " "])
prose_text = st.lists(
    st.one_of(_PROSE_PIECES, st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=8)),
    max_size=40,
).map("".join)


@given(prose_text)
def test_text_without_operators_never_raises_and_keeps_every_word(text: str) -> None:
    parsed = parse_query(text, operators=False)
    typed = [word for word in text.replace('"', " ").split() if any(char.isalnum() for char in word)]
    assert sorted(t.text for t in parsed.terms for _ in range(t.count)) == sorted(typed)
