"""The metadata table: filter masks agree with the Filters reference, superseded rows drop out."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertide.search.paper_table import NO_DAY, PaperTable, day_number
from papertide.search.query import Filters

CATEGORIES = ["cs.LG", "cs.CL", "cs.cv", "math.GT", "hep-th", "stat.ML", "q-bio.BM"]
PATTERNS = ["cs.*", "cs.LG", "CS.CV", "math.*", "hep-th", "stat.ml", "q-bio*", "astro-ph.*"]
FIRST_DAY = date(2020, 1, 1)

rows = st.lists(
    st.tuples(
        st.lists(st.sampled_from(CATEGORIES), max_size=3),
        st.one_of(st.none(), st.integers(0, 30).map(lambda n: FIRST_DAY + timedelta(days=n))),
    ),
    max_size=40,
)
filters = st.builds(
    Filters,
    st.lists(st.sampled_from(PATTERNS), max_size=2).map(tuple),
    st.lists(st.sampled_from(PATTERNS), max_size=2).map(tuple),
    st.one_of(st.none(), st.just(FIRST_DAY + timedelta(days=10))),
    st.one_of(st.none(), st.just(FIRST_DAY + timedelta(days=20))),
)


@settings(max_examples=300, deadline=None)
@given(rows, filters)
def test_mask_agrees_with_the_reference_filter(papers: list, wanted: Filters) -> None:
    table = PaperTable()
    table.append(range(len(papers)), [day_number(day) for _, day in papers], *table.encode([c for c, _ in papers]))
    expected = [wanted.category_matches(cats) and wanted.date_matches(day) for cats, day in papers]
    assert table.mask(wanted).tolist() == expected
    assert table.allowed_pks(wanted).tolist() == [pk for pk, ok in enumerate(expected) if ok]
    assert [table.categories_of(row) for row in range(len(papers))] == [frozenset(c) for c, _ in papers]


def test_a_paper_appended_again_supersedes_its_old_row() -> None:
    table = PaperTable()
    table.append([7, 8], [1, 2], *table.encode([["cs.LG"], ["math.GT"]]))
    table.append([7, 9, 9], [3, 4, 5], *table.encode([["hep-th"], [], ["cs.CL"]]))
    assert table.live.tolist() == [False, True, True, False, True]
    assert len(table) == 5 and table.live_count == 3
    assert (table.row_of(7), table.row_of(9), table.row_of(1)) == (2, 4, None)
    assert table.rows_at(np.array([9, 1, 7, 10**9, 8])).tolist() == [4, -1, 2, -1, 1]
    assert table.allowed_pks(Filters(categories_include=("cs.*",))).tolist() == [9]
    assert table.allowed_pks(Filters(categories_include=("math.GT",))).tolist() == [8]
    assert [table.categories_of(row) for row in range(5)] == [{"cs.LG"}, {"math.GT"}, {"hep-th"}, set(), {"cs.CL"}]


def test_saved_columns_load_into_the_same_table() -> None:
    table = PaperTable()
    names = [["cs.LG", "stat.ML"], [], ["stat.ML", "stat.ML"]]
    counts, ids = table.encode(names)
    assert counts.tolist() == [2, 0, 1] and [table.vocabulary[i] for i in ids] == ["cs.LG", "stat.ML", "stat.ML"]
    table.append([3, 4, 3], [10, NO_DAY, 12], counts, ids)
    loaded = PaperTable.from_columns(table.vocabulary, table.pks, table.days, counts, ids)
    assert loaded.live.tolist() == table.live.tolist() == [False, True, True]
    assert loaded.live_count == table.live_count == 2
    for wanted in (Filters(categories_include=("stat.*",)), Filters(date_from=date(1970, 1, 11))):
        assert np.array_equal(loaded.mask(wanted), table.mask(wanted))
    assert [loaded.categories_of(row) for row in range(3)] == [{"cs.LG", "stat.ML"}, set(), {"stat.ML"}]


def test_category_ids_outside_the_vocabulary_are_refused() -> None:
    with pytest.raises(ValueError, match="vocabulary"):
        PaperTable.from_columns(["cs.LG"], np.array([1]), np.array([0]), np.array([1]), np.array([1]))


def test_a_repeated_category_filter_is_kept_until_rows_are_appended() -> None:
    table = PaperTable()
    table.append([1, 2], [1, 2], *table.encode([["cs.LG"], ["math.GT"]]))
    first = table.mask(Filters(categories_include=("cs.*",), categories_exclude=("math.*",)))
    first[:] = True  # a mask is the caller's own: changing it changes no kept one
    again = table.allowed_pks(Filters(categories_include=("CS.*",)))  # patterns compare folded
    assert again.tolist() == [1] and table.allowed_pks(Filters(categories_exclude=("math.*",))).tolist() == [1]
    table.append([3, 2], [3, 4], *table.encode([["cs.CL"], ["cs.AI"]]))  # a new paper, a new version of one
    assert table.allowed_pks(Filters(categories_include=("cs.*",))).tolist() == [1, 2, 3]
    assert table.allowed_pks(Filters(categories_exclude=("math.*",))).tolist() == [1, 2, 3]


def test_kept_category_masks_stay_within_their_byte_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("papertide.search.paper_table.CATEGORY_MASK_BYTES", 20)
    table = PaperTable()
    names = ["cs.LG", "cs.CL", "cs.CV"]
    table.append(range(10), [0] * 10, *table.encode([[names[n % 3]] for n in range(10)]))
    for pattern in ("cs.LG", "cs.CL", "cs.CV", "cs.*", "cs.LG"):
        assert table.allowed_pks(Filters(categories_include=(pattern,))).size
    assert [key for key, _ in table._category_masks] == [("cs.*",), ("cs.lg",)]  # the latest two, 10 bytes each
