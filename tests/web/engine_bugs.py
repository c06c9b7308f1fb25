"""Known search-engine bugs the web tests meet, marked once; delete the marks when a bug is fixed."""

from __future__ import annotations

import pytest

# search/lexical_query.py builds a tantivy date range straight from the filters, and tantivy only
# takes 1677-09-21..2262-04-11: year:2300, or submitted_from=1500-01-01, is a ValueError (a 500).
_DATES_REASON = "engine: dates outside 1677..2262 raise ValueError in lexical_query._filter_clauses"
DATES_OUTSIDE_TANTIVY_RANGE = pytest.mark.xfail(reason=_DATES_REASON, strict=True)
# Generated requests draw dates from the whole calendar and meet the bug in most runs, not all.
DATES_OUTSIDE_TANTIVY_RANGE_FUZZED = pytest.mark.xfail(reason=_DATES_REASON, strict=False)
