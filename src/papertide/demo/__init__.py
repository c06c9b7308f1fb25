"""The bundled demo corpus: real arXiv and Hugging Face records (built by scripts/build_demo_corpus.py)."""

from __future__ import annotations

from pathlib import Path

from papertide.config import Settings
from papertide.ingest import IngestSummary, ingest
from papertide.sources.jsonl import JsonlSource
from papertide.store import PaperStore, open_configured_store

DEMO_CORPUS = Path(__file__).parent / "papers.jsonl.gz"


def load_demo(store: PaperStore) -> IngestSummary:
    """Load the demo corpus into ``store`` (idempotent: a second load changes nothing)."""
    return ingest(JsonlSource(DEMO_CORPUS).items(), store)


def install_demo(settings: Settings) -> None:
    """Load the demo corpus into the configured store and index it for search (benchmarks and tests)."""
    from papertide.search.indexing import update_indexes  # the search stack loads only when asked for

    store = open_configured_store(settings)
    try:
        load_demo(store)
        update_indexes(store, settings)
    finally:
        store.engine.dispose()
