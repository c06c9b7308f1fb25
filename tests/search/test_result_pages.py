"""The work around the retrievers changes no result: every recorded page comes back identical.

tests/fixtures/search-pages/pages.json holds the pages of the evaluation collections' queries (and
a few with operators) over the demo corpus in every mode, recorded with the code before issue 27
by scripts/record_search_pages.py: the same papers in the same order, totals, warnings, scores and
highlighted HTML (papers of equal score may
come in another order: see :func:`differences`).
"""

from __future__ import annotations

import json
from pathlib import Path

from papertide.config import Settings
from papertide.store import PaperStore
from tests.search.result_pages import FIXTURE, demo_engine, differences, pages


def test_every_recorded_page_is_unchanged(store: PaperStore, tmp_path: Path) -> None:
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    engine = demo_engine(store, Settings(data_dir=tmp_path))
    now = pages(engine, [query["text"] for query in recorded["queries"]])
    assert len(now) == len(recorded["pages"])
    pairs = zip(recorded["pages"], now, strict=True)
    changed = [(old, notes) for old, new in pairs if (notes := differences(old, new))]
    assert not changed, f"{len(changed)} of {len(now)} pages changed; the first: {changed[0]}"
