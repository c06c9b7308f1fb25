"""The web tests' libraries: a small curated one, and the bundled demo corpus for the browser tests."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

from papertide.config import Settings, load_settings
from papertide.ingest.demo import install_demo
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.jsonl import JsonlSource
from papertide.store import PaperStore

# Real arXiv papers with LaTeX abstracts, old-style ids and Hugging Face upvotes, small enough
# that tests can name exactly what each listing holds.
PAPERS = Path(__file__).with_name("papers.jsonl")


def load_papers(store: PaperStore) -> None:
    summary = ingest(JsonlSource(PAPERS).items(), store)
    assert summary.rejected == 0, summary.errors


def demo_library(data_dir: Path, cache_dir: Path | None, database_url: str | None = None) -> Settings:
    """The demo corpus, loaded and indexed in ``data_dir`` (and the database at ``database_url``).

    Embedding it takes about a minute on two cores, so a finished library is kept in
    ``cache_dir`` and copied. The loader and indexers are incremental, so bringing the cached
    copy up to date costs nothing when neither the corpus nor the model changed, and catches
    up when they did. A file lock serialises test processes sharing the cache. Another
    database (PostgreSQL) is loaded in the same order, so its papers get the same keys and
    change sequence as the cached indexes, which then need no work.
    """
    if cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with open(cache_dir / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            install_demo(load_settings(data_dir=cache_dir / "library", database_url=None))
            shutil.copytree(cache_dir / "library", data_dir, dirs_exist_ok=True)
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    install_demo(settings)
    return settings
