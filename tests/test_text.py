from __future__ import annotations

import pytest

from papertide.text import fold, normalize


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("C. Bal\\'azs", "C. Balázs"),
        ('{\\"o}ber \\"Uber', "öber Über"),
        ("\\c{c}a \\v{S}ekli\\'c", "ça Šeklić"),
        ("Erd\\H{o}s and \\'{\\i}", "Erdős and í"),
        ("\\o ystein Gau\\ss", "øystein Gauß"),
        ("\\`Ecole \\^ile \\~n \\=a \\r{a} \\k{e} \\u{g}", "Ècole île ñ ā å ę ğ"),
        ("Calculation of prompt diphoton production cross sections at Tevatron and\n  LHC energies",
         "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"),
        ("  tabs\tand\u00a0no-break  spaces ", "tabs and no-break spaces"),
        ("math stays: $\\'a + \\hat{x}$ but \\'e changes", "math stays: $\\'a + \\hat{x}$ but é changes"),
        ("", ""),
    ],
)  # fmt: skip
def test_normalize(raw: str, display: str) -> None:
    assert normalize(raw) == display


def test_normalize_composes_unicode() -> None:
    assert normalize("Bala\u0301zs") == "Balázs"


def test_normalize_is_idempotent() -> None:
    once = normalize("Bal\\'azs  \n Gau\\ss")
    assert normalize(once) == once


def test_fold_strips_diacritics_and_case() -> None:
    assert fold("Balázs ŁÓDŹ Øystein Straße") == "balazs lodz oystein strasse"
