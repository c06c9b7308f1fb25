"""The bundled demo corpus: real arXiv and Hugging Face records (built by scripts/build_demo_corpus.py).

Loading it also replays the demo's activity relative to the day it is loaded (:mod:`papertide.ingest.demo.activity`).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from papertide.config import Settings
from papertide.ingest.demo.activity import ReplaySummary, replay_activity
from papertide.ingest.pipeline import IngestSummary, ingest
from papertide.ingest.sources.jsonl import JsonlSource
from papertide.store import PaperStore, Stores, open_configured_store

DEMO_CORPUS = Path(__file__).parent / "papers.jsonl.gz"


def demo_ids() -> list[str]:
    """The ids of the corpus's papers, in file order."""
    with gzip.open(DEMO_CORPUS, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["id"] for line in lines if line.strip()]


def replay_demo(stores: Stores, settings: Settings) -> ReplaySummary:
    """Replay the demo's activity as of the stores' clock and bring trending up to it, so the first page shows it."""
    from papertide.trending import Trending

    summary = replay_activity(stores.papers, stores.demo_activity, demo_ids())
    Trending.from_settings(settings, stores.papers, stores.trending).refresh()
    return summary


def load_demo(store: PaperStore) -> IngestSummary:
    """Load the demo corpus into ``store`` (idempotent: a second load changes nothing); no activity."""
    return ingest(JsonlSource(DEMO_CORPUS).items(), store)


def install_demo(settings: Settings) -> None:
    """Load the demo corpus into the configured store and index it for search (benchmarks and tests;
    without the replayed activity, so what they see does not depend on the day they run)."""
    from papertide.search.upkeep.update import update_indexes  # the search stack loads only when asked for

    store = open_configured_store(settings)
    try:
        load_demo(store)
        update_indexes(store, settings)
    finally:
        store.close()
