"""The category filter read once for every door: typed values into canonical patterns, the one validity rule,
and the reference match."""

from __future__ import annotations

import pytest

from papertide.category_filter import category_patterns, check_pattern, passes, split_patterns
from papertide.errors import QueryError


def test_typed_values_become_canonical_deduplicated_patterns() -> None:
    values = ["cs.lg, CS.*", " stat.ML\tcs.LG", "cs*", ""]
    assert category_patterns(values) == ("cs.LG", "cs.*", "stat.ML")


def test_split_keeps_pieces_as_typed() -> None:
    assert split_patterns(",cs.lg,, hep-TH ") == ["cs.lg", "hep-TH"]
    assert split_patterns(" , ") == []


@pytest.mark.parametrize("pattern", ["cs.LG", "hep-th", "cs.*", "cs*", "cond-mat.str-el", "math.G*"])
def test_valid_patterns_pass(pattern: str) -> None:
    check_pattern(pattern)


@pytest.mark.parametrize("pattern", ["", "cs.", "1cs", "cs.L_G", "cs.**", "cs.LG;drop", "çs.LG"])
def test_a_bad_pattern_is_named(pattern: str) -> None:
    with pytest.raises(QueryError, match=r"is not a category pattern such as cs\.LG") as raised:
        check_pattern(pattern)
    assert repr(pattern) in str(raised.value)


def test_a_bad_pattern_names_what_was_typed() -> None:
    with pytest.raises(QueryError) as raised:
        check_pattern("cs.", typed="cat:cs.,cs.LG")
    assert str(raised.value).startswith("'cat:cs.,cs.LG': 'cs.' is not")


@pytest.mark.parametrize(
    ("categories", "include", "exclude", "expected"),
    [
        (["cs.LG"], (), (), True),
        ([], (), (), True),
        ([], ("cs.*",), (), False),
        (["CS.lg", "stat.ML"], ("cs.*",), (), True),
        (["cs.LG", "stat.ML"], ("cs.*",), ("STAT.ml",), False),
        (["hep-th"], ("hep-*",), ("cs.*",), True),
        (["math.GT"], ("cs.LG", "math.G*"), (), True),
        (["math.AG"], ("cs.LG", "math.G*"), (), False),
    ],
)
def test_passes(categories: list[str], include: tuple[str, ...], exclude: tuple[str, ...], expected: bool) -> None:
    assert passes(iter(categories), include, exclude) is expected
