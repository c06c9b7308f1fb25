"""The PostgreSQL bulk path (COPY) stores exactly what the SQLite path (executemany) stores.

The comparison runs on a real PostgreSQL beside a SQLite file whatever the backend under test;
the bad-record test runs on the backend under test (``PAPERTIDE_TEST_DATABASE``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from papertide.errors import RecordError
from papertide.ingest.pipeline import IngestSummary, ingest
from papertide.ingest.sources.base import Checkpoint, Item
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.model import Paper, Signal
from papertide.store import PaperStore, open_store
from papertide.store.db.base import utc
from papertide.store.db.schema import checkpoints, paper_categories, paper_signals, papers
from papertide.store.papers.writes import CopyPaperWriter, PaperWriter, paper_writer
from tests.clock import ControlledClock
from tests.postgres import PostgresForTests
from tests.sources.replay import FIXTURES

SNAPSHOT = FIXTURES / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"
LINES = SNAPSHOT.read_bytes().splitlines(keepends=True)


def contents(store: PaperStore) -> dict[str, list[tuple]]:
    """Every row of the paper tables, in key order, datetimes as aware UTC (SQLite hands them back naive)."""
    found = {}
    with store.engine.connect() as conn:
        for table in (papers, paper_categories, paper_signals, checkpoints):
            rows = conn.execute(select(table).order_by(*table.primary_key.columns))
            found[table.name] = [tuple(utc(v) if isinstance(v, datetime) else v for v in row) for row in rows]
    return found


def bad_line(record: dict, **changes: object) -> bytes:
    return json.dumps({**record, **changes}).encode() + b"\n"


def kaggle_file(tmp_path: Path) -> Path:
    """The 200 real snapshot records with two bad ones in the middle (lines 101 and 102)."""
    nul_title = bad_line(json.loads(LINES[100]), id="0704.9998", title="Spin\u0000 chains")
    long_category = bad_line(json.loads(LINES[100]), id="0704.9999", categories="cs.LG " + "x" * 33)
    path = tmp_path / "snapshot.jsonl"
    path.write_bytes(b"".join([*LINES[:100], nul_title, long_category, *LINES[100:]]))
    return path


def with_checkpoints(items: list[Item], every: int) -> list[Item]:
    """A checkpoint after every ``every`` items, as a harvesting source would save its position."""
    marked: list[Item] = []
    for n, item in enumerate(items, 1):
        marked.append(item)
        if n % every == 0:
            marked.append(Checkpoint("kaggle:test", f"line-{n}"))
    return marked


def changes(loaded: list[Paper], clock: ControlledClock) -> list[Item]:
    """A later harvest: new versions, a poorer source, signals, an undated paper and its update, repeats."""
    first, second, third, fourth = loaded[:4]
    undated = Paper(id="openreview:abc", title="Undated", source="test")
    return [
        replace(first, version=first.version + 1, title=first.title + " (revised)"),
        replace(second, categories=[], doi=None, url_code="https://github.com/x/y", source="hf-daily"),
        replace(third, signals=[Signal("hf_upvotes", 7, clock.now)]),
        replace(fourth, version=1, title="an older version never wins") if fourth.version > 1 else fourth,
        undated,
        replace(undated, abstract="Now with an abstract."),  # the same paper twice in a batch
        *loaded[10:20],  # unchanged
    ]


def test_postgresql_copy_stores_what_sqlite_stores(tmp_path: Path, postgres: PostgresForTests) -> None:
    clock = ControlledClock()
    sqlite = PaperStore(open_store(f"sqlite:///{tmp_path / 'papertide.db'}").engine, clock=clock)
    pg = PaperStore(open_store(postgres.fresh_database()).engine, clock=clock)
    with sqlite.engine.connect() as s, pg.engine.connect() as p:
        assert type(paper_writer(s)) is PaperWriter
        assert type(paper_writer(p)) is CopyPaperWriter
    items = list(KaggleSource(kaggle_file(tmp_path)).items())
    loaded = [item for item in items if isinstance(item, Paper)]

    def both(batch: list[Item], batch_size: int) -> IngestSummary:
        summaries = [ingest(batch, store, batch_size=batch_size) for store in (sqlite, pg)]
        assert summaries[0] == summaries[1]
        assert contents(sqlite) == contents(pg)
        return summaries[0]

    first = both(with_checkpoints(items, every=30), batch_size=25)
    assert first.as_dict() == {"read": 202, "added": 200, "updated": 0, "unchanged": 0, "rejected": 2}
    stored = contents(pg)
    assert len(stored["papers"]) == 200
    assert [row[0] for row in stored["papers"]] == list(range(1, 201))  # keys in file order, no gaps
    assert stored["checkpoints"][0][1] == "line-180"

    clock.advance(days=1)
    again = both(items, batch_size=25)
    assert again.as_dict() == {"read": 202, "added": 0, "updated": 0, "unchanged": 200, "rejected": 2}
    assert contents(pg) == stored  # re-ingesting the same file changes nothing

    clock.advance(days=1)
    later = both(changes(loaded, clock), batch_size=8)
    assert later.as_dict() == {"read": 16, "added": 1, "updated": 4, "unchanged": 11, "rejected": 0}
    revised = pg.get(loaded[0].id)
    assert revised.title.endswith("(revised)")
    assert revised.modified_at == clock.now
    assert revised.created_at == clock.now - timedelta(days=2)
    assert revised.change_seq > pg.get(loaded[199].id).change_seq  # change numbers rise in commit order
    assert pg.get(loaded[1].id).paper.categories == loaded[1].categories  # a poorer source erases nothing
    undated = pg.get("openreview:abc")
    assert undated.listed_at == clock.now and undated.paper.abstract == "Now with an abstract."

    clock.advance(days=1)
    both([replace(undated.paper, comments="updated, still undated")], batch_size=8)
    assert pg.get("openreview:abc").listed_at == undated.listed_at  # an undated update keeps its place


def test_bad_records_mid_file_are_reported_and_the_rest_loads(tmp_path: Path, store: PaperStore) -> None:
    path = kaggle_file(tmp_path)
    rejected: list[RecordError] = []
    summary = ingest(KaggleSource(path).items(), store, batch_size=30, on_reject=rejected.append)
    assert summary.as_dict() == {"read": 202, "added": 200, "updated": 0, "unchanged": 0, "rejected": 2}
    assert [(error.location, error.field) for error in rejected] == [
        (f"{path}:101", "title"),
        (f"{path}:102", "categories"),
    ]
    assert "NUL" in rejected[0].reason
    assert "longer than 32 characters" in rejected[1].reason
    assert store.get("0704.9998") is None and store.get("0704.9999") is None
    assert store.count() == 200
