"""``papertide backup`` and ``restore``: a snapshot of a running installation, and an installation made from one.

What a backup holds: the database (every paper, account, vote, collection, subscription, outbox row,
checkpoint and, on PostgreSQL, the stored embeddings) and the data directory's signing key. What it
leaves out: the search indexes, derived state that :func:`restore_backup` rebuilds from the restored
database (the lexical index from the papers; the vectors copied from the database where they are
kept there, else embedded again), and the local Maildir (mail already delivered).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from papertide import __version__
from papertide.accounts.keys import KEY_FILE
from papertide.backup.archive import Manifest, extract_verified, read_manifest, write_archive
from papertide.config import Settings
from papertide.errors import InvalidInput, StoreError
from papertide.search.semantic.embed import load_embedder
from papertide.search.upkeep.embedding_job import model_key
from papertide.search.upkeep.update import IndexingReport, update_indexes
from papertide.store import open_store
from papertide.store.db.backup import PAYLOAD, dialect_of, restore_database, snapshot_database, tables_in
from papertide.store.db.engine import create_store_engine, current_revision, migrate, schema_revisions

EXCLUDED = {
    "search indexes": "derived from the database: `papertide restore` rebuilds them (`papertide index` by hand)",
    "mail": "the local Maildir (<data dir>/mail) holds mail already delivered",
}


@dataclass(frozen=True, slots=True)
class BackupReport:
    file: Path
    bytes: int
    seconds: float
    manifest: Manifest


@dataclass(frozen=True, slots=True)
class RestoreReport:
    file: Path
    database: str  # where it was restored, password hidden
    backup_revision: str | None
    revision: str | None  # after migrating
    papers: int
    secret_key: bool  # whether the backup's signing key was put in the data directory
    indexing: IndexingReport | None
    seconds: float


def create_backup(settings: Settings, path: Path) -> BackupReport:
    """Snapshot the configured database (while it is in use) into the backup file ``path``."""
    started = time.perf_counter()
    engine = create_store_engine(settings.resolved_database_url)
    embedder = load_embedder(settings.embedder, settings.embed_max_tokens)
    path = path.absolute()
    if not path.parent.is_dir():
        raise InvalidInput(f"cannot write the backup {path}: {path.parent} is not a directory")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".papertide-backup-") as scratch:
        snapshot = snapshot_database(engine, Path(scratch))
        engine.dispose()
        files = [(snapshot.path.name, snapshot.path)]
        key = settings.data_dir / KEY_FILE
        if key.is_file():
            files.append((KEY_FILE, key))
        manifest = write_archive(
            path,
            files,
            {
                "papertide": __version__,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "database": snapshot.dialect,
                "schema_revision": snapshot.revision,
                "embedding_model": {"name": embedder.name, "version": embedder.version, "key": model_key(embedder)},
                "papers": snapshot.papers,
                "excluded": EXCLUDED,
            },
        )
    return BackupReport(path, path.stat().st_size, time.perf_counter() - started, manifest)


def restore_backup(
    settings: Settings, path: Path, *, force: bool = False, indexes: Literal["all", "lexical", "none"] = "all"
) -> RestoreReport:
    """Make the configured (empty) database and data directory an installation restored from ``path``.

    Every check that can fail comes before anything is changed: the manifest, the schema revision
    (a backup newer than this code is refused), an empty target (unless ``force``), each file's
    checksum. Then the database is restored (and migrated when the backup is older), the signing key
    put back, and the search indexes rebuilt: ``indexes`` "lexical" leaves the vectors, "none" both, to
    `papertide index` (or a node's follower) later.
    """
    started = time.perf_counter()
    manifest = read_manifest(path)
    engine = create_store_engine(settings.resolved_database_url)
    dialect = dialect_of(engine)
    _check_compatible(path, manifest, dialect)
    shown = engine.url.render_as_string(hide_password=True)
    if not force and (tables := tables_in(engine)):
        raise InvalidInput(
            f"{shown} is not empty (it holds {len(tables)} tables, e.g. {tables[0]!r}): restore into an empty "
            "database, or pass --force to replace what it holds"
        )
    scratch_parent = Path(engine.url.database).parent if dialect == "sqlite" else None
    if scratch_parent is not None:
        scratch_parent.mkdir(parents=True, exist_ok=True)  # the snapshot is renamed into place: same file system
    with tempfile.TemporaryDirectory(dir=scratch_parent, prefix=".papertide-restore-") as scratch:
        files = extract_verified(path, manifest, Path(scratch))
        restore_database(engine, files[PAYLOAD[dialect]], replace=force)
        if KEY_FILE in files:
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            shutil.move(files[KEY_FILE], settings.data_dir / KEY_FILE)
    migrate(engine)
    revision = current_revision(engine)
    engine.dispose()
    # The indexes of whatever was here before describe another database's change sequence.
    shutil.rmtree(settings.index_dir, ignore_errors=True)
    store = open_store(settings.resolved_database_url)
    try:
        papers = store.count()
        if papers != manifest.papers:
            raise StoreError(f"{path}: the restored database holds {papers} papers, the manifest {manifest.papers}")
        indexing = None if indexes == "none" else update_indexes(store, settings, embed=indexes == "all")
    finally:
        store.engine.dispose()
    return RestoreReport(
        file=path,
        database=shown,
        backup_revision=manifest.schema_revision,
        revision=revision,
        papers=papers,
        secret_key=KEY_FILE in files,
        indexing=indexing,
        seconds=time.perf_counter() - started,
    )


def _check_compatible(path: Path, manifest: Manifest, dialect: str) -> None:
    """Refuse what this code cannot restore here, before anything is changed."""
    if manifest.database != dialect:
        raise InvalidInput(
            f"{path}: a backup of a {manifest.database} database cannot be restored into {dialect}; restore it into "
            f"{manifest.database}, then move it with `papertide db migrate-to`"
        )
    if manifest.file(PAYLOAD[dialect]) is None:
        raise InvalidInput(f"{path}: its manifest lists no {PAYLOAD[dialect]}")
    known = schema_revisions()
    if manifest.schema_revision is not None and manifest.schema_revision not in known:
        raise InvalidInput(
            f"{path}: schema revision {manifest.schema_revision!r} is newer than this papertide knows (its newest "
            f"is {known[0]!r}; the backup was written by papertide {manifest.papertide}): upgrade papertide first"
        )


__all__ = ["EXCLUDED", "BackupReport", "RestoreReport", "create_backup", "restore_backup"]
