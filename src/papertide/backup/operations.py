"""``papertide backup`` and ``restore``: a snapshot of a running installation, and an installation made from one.

What a backup holds: the database (every paper, account, vote, collection, subscription, outbox row,
checkpoint and, on PostgreSQL, the stored embeddings), the data directory's signing key and, where the
embeddings are not kept in the database (SQLite), the vector index's committed vectors: derived state,
but embedding them again takes hours at a million papers (about 56 a second on two cores). They are
copied before the database, so they never hold a change the database snapshot lacks; restore indexes
whatever changed after them. What it leaves out, rebuilt by :func:`restore_backup` from the restored
database: the lexical index and the vectors' HNSW graph (minutes at a million), and the local Maildir
(mail already delivered).
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
from papertide.search.semantic.embed import load_embedder, model_key
from papertide.search.semantic.files import VectorFiles
from papertide.search.semantic.index import vectors_dir
from papertide.search.upkeep.update import IndexingReport, update_indexes
from papertide.store import open_store
from papertide.store.db.backup import PAYLOAD, dialect_of, restore_database, snapshot_database, tables_in
from papertide.store.db.engine import create_store_engine, current_revision, migrate, schema_revisions

VECTORS = "vectors"  # the folder of the vector index's files in the archive
_LEFT_OUT = {
    "lexical index": "derived from the database: `papertide restore` rebuilds it (or `papertide index`)",
    "vector graph": "the HNSW graph over the vectors, a cache: rebuilt with the vector index",
    "mail": "the local Maildir (<data dir>/mail) holds mail already delivered",
}
_VECTORS_IN_DATABASE = "the embeddings are in the database (paper_vectors): the vector index is copied from there"
_NO_VECTORS = "no vector index had been built: `papertide index` embeds the papers"


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
    dialect = dialect_of(engine)
    excluded = dict(_LEFT_OUT)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".papertide-backup-") as scratch:
        files: list[tuple[str, Path]] = []
        if settings.vectors_in_database(dialect):
            excluded["vector index"] = _VECTORS_IN_DATABASE
        elif VectorFiles(vectors_dir(settings)).copy_committed(Path(scratch, VECTORS)) is None:
            excluded["vector index"] = _NO_VECTORS
        else:  # copied first: the database snapshot then holds every change the vectors do
            files += [(f"{VECTORS}/{f.name}", f) for f in sorted(Path(scratch, VECTORS).iterdir())]
        snapshot = snapshot_database(engine, Path(scratch))
        engine.dispose()
        files.insert(0, (snapshot.path.name, snapshot.path))
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
                "excluded": excluded,
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
    and any vectors put back, and the search indexes brought up to date: ``indexes`` "lexical" leaves
    the vectors, "none" both, to `papertide index` (or a node's follower) later.
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
        # The indexes of whatever was here before describe another database's change sequence.
        shutil.rmtree(settings.index_dir, ignore_errors=True)
        if any(name.startswith(f"{VECTORS}/") for name in files):
            vectors_dir(settings).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(Path(scratch, VECTORS), vectors_dir(settings))
    migrate(engine)
    revision = current_revision(engine)
    engine.dispose()
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


__all__ = ["BackupReport", "RestoreReport", "create_backup", "restore_backup"]
