from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from papertide.errors import RecordError, StoreError
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.base import Checkpoint
from papertide.model import Paper, Signal, Version
from papertide.store import PaperStore, open_store
from papertide.store.db.engine import is_current

T0 = datetime(2024, 10, 22, tzinfo=UTC)


def make(paper_id: str = "2410.17243", version: int = 1, **fields) -> Paper:
    defaults = {
        "title": "The Curse of Multi-Modalities",
        "abstract": "We study  hallucination\n  in large multimodal models.",
        "authors": ["C. Bal\\'azs", "Zesen Cheng"],
        "categories": ["cs.CV", "cs.CL"],
        "submitted": T0,
        "source": "test",
        "versions": [Version(n, T0) for n in range(1, version + 1)],
    }
    return Paper(id=paper_id, version=version, **{**defaults, **fields})


def test_insert_then_same_record_changes_nothing(store: PaperStore) -> None:
    first = ingest([make()], store)
    assert first.as_dict() == {"read": 1, "added": 1, "updated": 0, "unchanged": 0, "rejected": 0}
    before = store.get("2410.17243")
    second = ingest([make()], store)
    assert second.as_dict() == {"read": 1, "added": 0, "updated": 0, "unchanged": 1, "rejected": 0}
    after = store.get("2410.17243")
    assert after.modified_at == before.modified_at
    assert after.change_seq == before.change_seq


def test_display_forms_are_normalised_and_raw_text_kept(store: PaperStore) -> None:
    ingest([make()], store)
    stored = store.get("2410.17243")
    assert stored.authors == ["C. Balázs", "Zesen Cheng"]
    assert stored.paper.authors == ["C. Bal\\'azs", "Zesen Cheng"]
    assert stored.abstract == "We study hallucination in large multimodal models."
    assert stored.paper.abstract == "We study  hallucination\n  in large multimodal models."


def test_newer_version_replaces_text_and_keeps_identity(store: PaperStore) -> None:
    ingest([make(signals=[Signal("hf_upvotes", 10, T0)])], store)
    pk = store.get("2410.17243").pk
    summary = ingest([make(version=2, title="The Curse of Multi-Modalities (v2)")], store)
    assert summary.updated == 1
    stored = store.get("2410.17243")
    assert stored.pk == pk
    assert stored.paper.version == 2
    assert stored.title == "The Curse of Multi-Modalities (v2)"
    assert stored.signals["hf_upvotes"].value == 10  # attached data survives the version bump


def test_older_version_never_overwrites_newer(store: PaperStore) -> None:
    ingest([make(version=3, title="Third")], store)
    summary = ingest([make(version=1, title="First")], store)
    assert summary.unchanged == 1
    assert store.get("2410.17243").title == "Third"


def test_poorer_source_does_not_erase_fields(store: PaperStore) -> None:
    ingest([make(doi="10.1/x", url_code=None)], store)
    ingest([make(categories=[], doi=None, url_code="https://github.com/x/y", source="hf-daily")], store)
    stored = store.get("2410.17243")
    assert stored.paper.categories == ["cs.CV", "cs.CL"]
    assert stored.paper.doi == "10.1/x"
    assert stored.paper.url_code == "https://github.com/x/y"


def test_signals_record_changes_only(store: PaperStore) -> None:
    ingest([make(signals=[Signal("hf_upvotes", 10, T0)])], store)
    later = datetime(2024, 10, 23, tzinfo=UTC)
    assert ingest([make(signals=[Signal("hf_upvotes", 10, later)])], store).unchanged == 1
    assert ingest([make(signals=[Signal("hf_upvotes", 12, later)])], store).updated == 1
    stored = store.get("2410.17243")
    assert stored.signals["hf_upvotes"] == Signal("hf_upvotes", 12.0, later)
    assert store.stats()["signal_observations"] == 2


def test_same_paper_twice_in_one_batch(store: PaperStore) -> None:
    summary = ingest([make(version=1), make(version=2, title="Second")], store)
    assert summary.added == 1 and summary.updated == 1
    assert store.get("2410.17243").title == "Second"


def test_invalid_paper_is_rejected_with_field_and_others_load(store: PaperStore) -> None:
    rejected: list[RecordError] = []
    bad = make(paper_id="2410.00001", title="  ")
    summary = ingest([make(), bad, make("2410.00002")], store, on_reject=rejected.append)
    assert summary.as_dict() == {"read": 3, "added": 2, "updated": 0, "unchanged": 0, "rejected": 1}
    assert rejected[0].field == "title"
    assert "2410.00001" in str(rejected[0])


# A real database failure: a trigger aborts inserting the categories of any paper after the second.
_FAILING_CATEGORY_INSERTS = {
    "sqlite": [
        "CREATE TRIGGER boom BEFORE INSERT ON paper_categories WHEN NEW.paper_pk > 2 "
        "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'disk on fire'; END $$",
        "CREATE TRIGGER boom BEFORE INSERT ON paper_categories FOR EACH ROW WHEN (NEW.paper_pk > 2) "
        "EXECUTE FUNCTION boom()",
    ],
}


def test_crash_mid_batch_leaves_no_half_written_paper(store: PaperStore) -> None:
    ingest([make("2401.00001")], store)
    with store.engine.begin() as conn:
        for statement in _FAILING_CATEGORY_INSERTS[conn.dialect.name]:
            conn.execute(text(statement))
    items = [make("2401.00002"), Checkpoint("k", "token-1"), make("2401.00003"), make("2401.00004")]
    with pytest.raises(StoreError, match="disk on fire"):
        ingest([*items, Checkpoint("k", "token-2")], store, batch_size=10)
    # The batch before the failure stays, with the checkpoint saved beside it; nothing of the failed one.
    assert store.count() == 2
    assert store.get("2401.00003") is None
    assert store.get_checkpoint("k") == "token-1"
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM paper_categories")).scalar_one() == 4
    with store.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER boom" + (" ON paper_categories" if conn.dialect.name == "postgresql" else "")))
    # Resuming from the checkpoint loads the rest.
    resumed = ingest([make("2401.00003"), make("2401.00004"), Checkpoint("k", "token-2")], store)
    assert resumed.added == 2
    assert store.count() == 4
    assert store.get_checkpoint("k") == "token-2"


def test_checkpoint_committed_with_its_papers(store: PaperStore) -> None:
    ingest([make("2401.00001"), Checkpoint("oai:cs", "token-1"), make("2401.00002")], store, batch_size=10)
    assert store.get_checkpoint("oai:cs") == "token-1"
    assert store.count() == 2
    ingest([Checkpoint("oai:cs", None)], store)
    assert store.get_checkpoint("oai:cs") is None


def test_iter_papers_in_change_order_and_incremental(store: PaperStore) -> None:
    ingest([make("2401.00001"), make("2401.00002")], store)
    seq = store.max_change_seq()
    ingest([make("2401.00001", version=2, title="New"), make("2401.00003")], store)
    changed = [p.paper_id for p in store.iter_papers(after_seq=seq)]
    assert changed == ["2401.00001", "2401.00003"]
    assert store.count_changed(seq) == 2 and store.count_changed(0) == 3
    assert [p.paper_id for p in store.iter_papers(chunk=1)] == ["2401.00002", "2401.00001", "2401.00003"]


def test_get_many_keeps_order_and_skips_missing(store: PaperStore) -> None:
    ingest([make("2401.00001"), make("2401.00002")], store)
    pks = [store.get("2401.00002").pk, 999, store.get("2401.00001").pk]
    assert [p.paper_id for p in store.get_many(pks)] == ["2401.00002", "2401.00001"]
    assert [p.paper_id for p in store.get_many_by_id(["x:1", "2401.00001"])] == ["2401.00001"]


def test_stats(store: PaperStore) -> None:
    ingest(
        [make("2401.00001"), make("2401.00002", categories=["hep-th"], submitted=datetime(2020, 1, 1, tzinfo=UTC))],
        store,
    )
    stats = store.stats()
    assert stats["papers"] == 2
    assert stats["top_categories"] == {"cs.CL": 1, "cs.CV": 1, "hep-th": 1}
    assert stats["first_submitted"] == datetime(2020, 1, 1, tzinfo=UTC)


def test_migrations_are_idempotent_and_current(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = open_store(url)
    ingest([make()], store)
    again = open_store(url)
    assert is_current(again.engine)
    assert again.count() == 1


def test_unopenable_database_is_a_store_error(tmp_path) -> None:
    (tmp_path / "not-a-dir").write_text("x")
    with pytest.raises(StoreError):
        open_store(f"sqlite:///{tmp_path / 'not-a-dir' / 'db.sqlite'}")


def test_list_papers_newest_first_with_cursor_and_filters(store: PaperStore) -> None:
    papers = [
        make(f"2401.0000{i}", submitted=datetime(2024, 1, i + 1, tzinfo=UTC), categories=cats)
        for i, cats in enumerate([["cs.LG"], ["cs.CL", "stat.ML"], ["hep-th"], ["cs.LG", "hep-th"], ["math.GT"]])
    ]
    ingest(papers, store)
    first = store.list_papers(limit=2)
    assert [p.paper_id for p in first.papers] == ["2401.00004", "2401.00003"]
    second = store.list_papers(cursor=first.next_cursor, limit=2)
    assert [p.paper_id for p in second.papers] == ["2401.00002", "2401.00001"]
    last = store.list_papers(cursor=second.next_cursor, limit=2)
    assert [p.paper_id for p in last.papers] == ["2401.00000"] and last.next_cursor is None
    from papertide.store.papers.store import PaperFilter

    cs = store.list_papers(PaperFilter(categories=("cs.*",), exclude_categories=("hep-th",)))
    assert [p.paper_id for p in cs.papers] == ["2401.00001", "2401.00000"]
    dated = store.list_papers(
        PaperFilter(submitted_from=datetime(2024, 1, 2, tzinfo=UTC), submitted_to=datetime(2024, 1, 4, tzinfo=UTC))
    )
    assert [p.paper_id for p in dated.papers] == ["2401.00002", "2401.00001"]


def test_list_papers_bad_cursor_is_invalid_input(store: PaperStore) -> None:
    from papertide.errors import InvalidInput

    with pytest.raises(InvalidInput, match="invalid cursor"):
        store.list_papers(cursor="nonsense")


def test_undated_papers_list_by_when_they_were_stored(store: PaperStore) -> None:
    ingest([make("2401.00001", submitted=datetime(2024, 1, 1, tzinfo=UTC))], store)
    ingest([make("openreview:abc", submitted=None, versions=[])], store)
    listed = store.list_papers(limit=1)
    assert [p.paper_id for p in listed.papers] == ["openreview:abc"]  # stored just now: newest
    assert [p.paper_id for p in store.list_papers(cursor=listed.next_cursor).papers] == ["2401.00001"]


def test_read_failures_are_store_errors(store: PaperStore) -> None:
    ingest([make()], store)
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE paper_signals"))
    with pytest.raises(StoreError, match="cannot read the store"):
        store.get("2410.17243")


def test_migration_0002_backfills_listed_at(tmp_path) -> None:
    from alembic import command

    from papertide.store.db.engine import _alembic_config, create_store_engine, migrate

    engine = create_store_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            text(
                "INSERT INTO papers (paper_id, version, title, abstract, authors, title_raw, abstract_raw, authors_raw,"
                " categories, source, versions, content_hash, change_seq, created_at, modified_at, submitted_at)"
                " VALUES ('2401.00001', 1, 't', '', '[]', 't', '', '[]', '[]', 'x', '[]', 'h', 1,"
                " '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', '2024-01-01 00:00:00.000000')"
            )
        )
    migrate(engine)
    stored = PaperStore(engine).get("2401.00001")
    assert stored.listed_at == datetime(2024, 1, 1, tzinfo=UTC)
