"""A library for the paper page's tests: the web tests' papers, the recorded 2026 Hugging Face item (summary,
keywords, repository with stars, project page), a Kaggle record with its licence, a paper whose new fields
are all hostile, and a week of votes in Computer Vision, refreshed into trending."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from papertide.config import Settings, load_settings
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.hf_daily import HfDailySource
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.model import Paper
from papertide.search.upkeep.update import update_indexes
from papertide.services import Services
from papertide.store import open_store
from tests.sources.replay import FIXTURES, RecordedServer, Reply, fixture_bytes
from tests.web.corpus import load_papers
from tests.web.voting import add_voter, vote

HF_PAPER = "2602.23229"
LICENSED = "0704.0033"  # CC BY-NC-ND 4.0 in the Kaggle snapshot
HOSTILE = "2602.66666"
SCRIPT = "<script>alert('x')</script>"
# Votes this week: Computer Vision papers trend beside Inf-CLIP (2410.17243, cs.CV).
VOTES = {"1512.03385": 3, "2410.13720": 2, "2410.17243": 1}

HOSTILE_PAPER = Paper(
    id=HOSTILE, title=f"A hostile paper {SCRIPT}", abstract=f"Project page: https://evil.github.io/{SCRIPT}",
    authors=[f"Mallory {SCRIPT}", "Eve Example"], categories=["cs.CR"], submitted=datetime(2026, 2, 1, tzinfo=UTC),
    comments='Accepted at "><img src=x onerror=alert(1)>; project page: https://evil.example/"onmouseover="x',
    license="javascript:alert(1)", url_code="javascript:alert(2)", url_project="javascript:alert(3)",
    ai_summary=f"Summary {SCRIPT}", ai_keywords=["<img src=x onerror=alert(1)>", "fine"], source="jsonl",
)  # fmt: skip


def build_library(data_dir: Path, database_url: str) -> Settings:
    """The library, loaded, indexed and refreshed; its settings."""
    settings = load_settings(data_dir=data_dir, database_url=database_url)
    store = open_store(settings.resolved_database_url)
    try:
        load_papers(store)
        _load_hugging_face_item(store)
        record = next(line for line in _snapshot_lines() if f'"id":"{LICENSED}"' in line)
        (data_dir / "licensed.jsonl").write_text(record)  # the snapshot's one line, as it is
        assert ingest(KaggleSource(data_dir / "licensed.jsonl").items(), store).added == 1
        assert ingest([HOSTILE_PAPER], store).added == 1
        update_indexes(store, settings)
        voters = [add_voter(store, f"reader{n}@example.org") for n in range(max(VOTES.values()))]
        for paper_id, count in VOTES.items():
            for voter in voters[:count]:
                vote(store, voter, paper_id)
        Services(settings, store).trending.refresh()
    finally:
        store.engine.dispose()
    return settings


def _snapshot_lines() -> list[str]:
    path = FIXTURES / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _load_hugging_face_item(store) -> None:
    """The recorded item, fetched through the real source from a local server, as an ingest would."""
    server = RecordedServer()
    body = b"[" + fixture_bytes("hf-daily-papers", "daily_papers_entry_2026-03-06_2602.23229.json") + b"]"
    url = server.route("/api/daily_papers", Reply(body, headers={"Content-Type": "application/json"}))
    http = HttpClient(contact="tests@example.org", timeout=2.0, retries=0)
    try:
        source = HfDailySource(http, base_url=url, start=date(2026, 3, 6), clock=store.now)
        assert ingest(source.items(), store).added == 1
    finally:
        http.close()
        server.close()
