"""Author name keys: case, diacritics and initials, and names written to break things."""

from __future__ import annotations

import pytest

from papertide.author_names import (
    MAX_NAME_CHARS,
    checked_name,
    contains_name,
    initials_key,
    is_abbreviated,
    name_key,
    spellings,
)
from papertide.errors import InvalidInput, NotFound
from papertide.search.lexical.analysis import NAMES


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Jürgen Schmidhuber", "jurgen schmidhuber"),
        ("JURGEN  schmidhuber", "jurgen schmidhuber"),
        ("Jürgen Schmidhuber", "jurgen schmidhuber"),  # u + combining diaeresis (NFD)
        ("J.-P. Dupont", "j p dupont"),
        ("Łukasz Kaiser", "lukasz kaiser"),
        ("Straße", "strasse"),
        ("O'Brien", "o brien"),
        ("ﬁnn Ⅻ", "finn xii"),  # compatibility forms (NFKD)
        ("李 小龙", "李 小龙"),
        ("<script>alert(1)</script>", "script alert 1 script"),
        ("a/b?c#d", "a b c d"),
        ("...", ""),
        ("\u200b\u202e", ""),  # invisible and bidi controls hold no word
    ],
)
def test_keys_fold_case_diacritics_and_punctuation(name: str, key: str) -> None:
    assert name_key(name) == key


@pytest.mark.parametrize(
    "name",
    ["Jürgen Schmidhuber", "दीपक कुमार", "Zoë ΑΛΦΑ-Ωmega", "x" * 45 + " Smith", "ß ǅemal", "a_b", "ｊｏｈｎ"],
)
def test_keys_are_the_words_the_lexical_index_keeps(name: str) -> None:
    """An author page and ``author:"Name"`` look for the same words only if these agree."""
    assert name_key(name).split() == NAMES.terms(name)


def test_initials() -> None:
    assert initials_key("john a smith") == "j a smith"
    assert initials_key("smith") == "smith"
    assert is_abbreviated("j smith") and is_abbreviated("j a smith")
    assert not is_abbreviated("john smith") and not is_abbreviated("smith")


def test_initials_stand_for_a_full_name_only_when_it_is_the_only_one() -> None:
    assert spellings("j smith", ["john smith"]) == ("j smith", "john smith")
    assert spellings("j smith", ["john smith", "jane smith"]) == ("j smith",)
    assert spellings("j smith", []) == ("j smith",)
    assert spellings("john smith", ["john smith"]) == ("john smith", "j smith")
    assert spellings("john smith", ["john smith", "jane smith"]) == ("john smith",)
    assert spellings("smith", ["sam smith"]) == ("smith",)  # a surname alone expands to nothing


def test_a_name_contains_another_as_search_matches_it() -> None:
    assert contains_name("jurgen schmidhuber", "jurgen schmidhuber")
    assert contains_name("hans jurgen schmidhuber", "jurgen schmidhuber")
    assert not contains_name("jurgen schmidhubers", "jurgen schmidhuber")


def test_checked_names() -> None:
    assert checked_name("  Ada   Lovelace ") == "Ada Lovelace"
    with pytest.raises(InvalidInput, match=f"at most {MAX_NAME_CHARS} characters, got 5,000"):
        checked_name("a" * 5000)
    with pytest.raises(InvalidInput, match="control character"):
        checked_name("Ada\x00Lovelace")
    with pytest.raises(NotFound, match="needs letters or digits"):
        checked_name("?#/")
