"""The bundled demo corpus: real arXiv and Hugging Face records (built by scripts/build_demo_corpus.py)."""

from __future__ import annotations

from pathlib import Path

from papertide.ingest import IngestSummary, ingest
from papertide.sources.jsonl import JsonlSource
from papertide.store import PaperStore

DEMO_CORPUS = Path(__file__).parent / "papers.jsonl.gz"


def load_demo(store: PaperStore) -> IngestSummary:
    """Load the demo corpus into ``store`` (idempotent: a second load changes nothing)."""
    return ingest(JsonlSource(DEMO_CORPUS).items(), store)
