from __future__ import annotations

import pytest

from papertide.text import fold, normalize, plain_math


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


@pytest.mark.parametrize(
    ("tex", "plain"),
    [
        ("$O(n^2)$ in $\\mathbb{R}^d$", "O(n²) in ℝ^d"),
        ("Scaling $\\alpha$-divergences for $\\mathcal{O}(\\log n)$ time", "Scaling α-divergences for O(log n) time"),
        ("$x_{i+1} \\leq \\frac{1}{2}$", "x_(i+1) ≤ 1/2"),
        ("$\\frac{a+b}{2}$ and $10^{-3}$", "(a+b)/2 and 10⁻³"),
        ("$$ E = mc^2 $$", "E = mc²"),
        ("$\\mathbf{\\mathcal{X}}_t \\to \\infty$", "X_t → ∞"),
        ("$\\sqrt{d}$", "√d"),
        ("no math here", "no math here"),
    ],
)  # fmt: skip
def test_plain_math_writes_tex_math_in_unicode(tex: str, plain: str) -> None:
    assert plain_math(tex) == plain
