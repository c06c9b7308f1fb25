from __future__ import annotations

import random
import unicodedata

import pytest

from papertide.text import _STROKES, fold, normalize, plain_math


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


def _fold_whole(text: str) -> str:
    """fold as it was: the whole text decomposed, stripped and case-folded at once."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().translate(_STROKES)


def test_fold_by_runs_matches_folding_the_whole_text() -> None:
    tricky = [
        "Cafe\u0301 au lait", "e\u0301\u0323X", "ΣΟΦΙΑ Σ", "ﬁnite Ⅻ ½", "İstanbul", "Ꭰꭰ", "Ｆｕｌｌ",
        "Łódź ø đ ħ ı", "naïve–résumé — “quoted”", "\u0301leading mark", "trailing\u0301", "日本語 text",
    ]  # fmt: skip
    rng = random.Random(3)
    pool = "aBz 09.-" + "".join(ch for text in tricky for ch in text)
    mixed = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(2000)]
    for text in tricky + mixed:
        assert fold(text) == _fold_whole(text), text


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
