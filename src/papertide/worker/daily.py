"""The daily chain's bodies: ingest the configured sources, then bring the search indexes up to date.

Both are safe to run again after a crash: the OAI-PMH harvest resumes from its last committed page
(its resumptionToken checkpoint) and starts from the day of the last *finished* harvest, so a day
is never skipped; re-reading records that are already stored changes nothing; indexing is
incremental from the store's change sequence.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from papertide.config import Settings, environment_variable
from papertide.errors import SourceError, SourceUnreachable
from papertide.ingest.pipeline import fill_categories, ingest, noting_papers
from papertide.ingest.sources.arxiv_api import arxiv_records
from papertide.ingest.sources.hf_daily import HfDailySource
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.oai import OaiSource
from papertide.store.db.base import Clock
from papertide.store.papers.store import PaperStore

log = logging.getLogger("papertide.worker")


def oai_since_key(base_url: str, set_spec: str) -> str:
    """Checkpoint holding the day the last finished harvest of ``set_spec`` started."""
    return f"worker:oai-since:{base_url}:{set_spec}"


def daily_ingest(store: PaperStore, settings: Settings, http: HttpClient, clock: Clock) -> dict:
    """Harvest each configured OAI-PMH set since its last harvest, then recent Hugging Face daily papers.

    A source whose host cannot be reached (no network, a wrong URL) is skipped with one warning that
    names the setting turning it off; the other sources, and the worker's other jobs, go on. Nothing
    is lost: the next day's harvest starts from the last one that finished, and Hugging Face's
    ``worker_hf_days`` overlap.
    """
    today = clock().date()
    done: dict[str, dict] = {}
    for set_spec in settings.worker_oai_sets:
        key = oai_since_key(settings.worker_oai_url, set_spec)
        since = store.get_checkpoint(key)
        if since is None:  # first run: yesterday's records, kept so that a retry resumes the same harvest
            since = (today - timedelta(days=1)).isoformat()
            store.write_batch([], (key, since))
        # From the day the last finished harvest started (inclusive: records stamped later that day
        # were not there yet). The query, and so its resumption checkpoint, stays the same until one
        # finishes.
        from_date = date.fromisoformat(since)
        source = OaiSource(
            http, set_spec=set_spec, from_date=from_date, checkpoints=store, base_url=settings.worker_oai_url
        )
        try:
            summary = ingest(source.items(), store, batch_size=settings.batch_size)
        except SourceUnreachable as exc:
            _skip("arXiv OAI-PMH", exc, "worker_oai_sets", "[]")
            for skipped in settings.worker_oai_sets[settings.worker_oai_sets.index(set_spec) :]:
                done[f"oai:{skipped}"] = {"unreachable": exc.message}  # the same host: one warning for all
            break
        store.write_batch([], (key, today.isoformat()))
        done[f"oai:{set_spec}"] = {"from": from_date.isoformat(), **summary.as_dict()}
    if settings.worker_hf_days:
        start = today - timedelta(days=settings.worker_hf_days - 1)
        source = HfDailySource(http, start=start, end=today, base_url=settings.worker_hf_url, clock=clock)
        listed: list[str] = []
        try:
            summary = ingest(noting_papers(source.items(), listed), store)
            done["hf-daily"] = {"from": start.isoformat(), **summary.as_dict()}
        except SourceUnreachable as exc:
            _skip("Hugging Face daily papers", exc, "worker_hf_days", "0")
            done["hf-daily"] = {"unreachable": exc.message}
        else:
            done["hf-daily"]["categories_from_arxiv"] = _categories_from_arxiv(store, listed, http, settings)
    return done


def _categories_from_arxiv(store: PaperStore, listed: list[str], http: HttpClient, settings: Settings) -> int:
    """Fill the categories of the listed papers stored without any; a failure waits for the next day's listing."""
    try:
        return fill_categories(store, listed, arxiv_records(http, settings.worker_arxiv_api_url)).updated
    except SourceError as exc:
        log.warning("No categories from arXiv for Hugging Face papers this time: %s", exc.message)
        return 0


def _skip(source: str, exc: SourceUnreachable, setting: str, off: str) -> None:
    log.warning(
        "%s skipped: %s (no network?). The next daily ingest catches up; %s=%s turns this source off.",
        source,
        exc.message,
        environment_variable(setting),
        off,
    )


def ingest_run_key(settings: Settings, now: datetime) -> str | None:
    """The daily ingest runs once per UTC day, from ``worker_ingest_hour_utc``."""
    return now.date().isoformat() if now.hour >= settings.worker_ingest_hour_utc else None


def index_all(store: PaperStore, settings: Settings) -> dict:
    from papertide.search.upkeep.update import update_indexes  # loads the search stack only when indexing

    report = update_indexes(store, settings, embed=settings.worker_embed)
    return {"lexical": report.lexical, "vectors": report.vectors.embedded if report.vectors else None}


def index_run_key(store: PaperStore) -> str:
    """Indexing runs once for each state of the store: whenever papers were added or changed."""
    return f"seq:{store.max_change_seq():015d}"
