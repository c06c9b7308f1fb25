"""Hugging Face daily papers (``huggingface.co/api/daily_papers?date=``): community attention signals.

Each listed paper is an arXiv paper with its upvote count and, in the newer (2026) schema, its
GitHub repository and star count. Those counts change daily, so every paper carries them as
:class:`~papertide.model.Signal` values stamped with the time we fetched them (``clock``), which is
what trending scores compare. Categories are not in this feed: other sources fill them in. The 2026
schema also names the paper's project page and carries Hugging Face's machine-written summary and
keywords (``ai_summary``, ``ai_keywords``), which the paper page shows as Hugging Face's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

from papertide.errors import RecordError, SourceError
from papertide.ingest.sources.base import Item
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.parsing import iso_field
from papertide.model import Paper, Signal, arxiv_links, parse_arxiv_id

DAILY_PAPERS_URL = "https://huggingface.co/api/daily_papers"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HfDailySource:
    """The papers Hugging Face listed on each day from ``start`` to ``end`` (inclusive; default: today)."""

    name = "hf-daily"

    def __init__(
        self,
        http: HttpClient,
        *,
        start: date | None = None,
        end: date | None = None,
        base_url: str = DAILY_PAPERS_URL,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.http = http
        self.base_url = base_url
        self.clock = clock
        self.start = start
        self.end = end

    def days(self) -> list[date]:
        """The dates to fetch, one request each."""
        start = self.start or self.clock().date()
        end = self.end or start
        return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]

    def items(self) -> Iterator[Item]:
        """Every listed paper with its ``hf_upvotes`` (and ``github_stars``) signal."""
        for day in self.days():
            response = self.http.get(self.base_url, {"date": day.isoformat()})
            observed_at = self.clock()
            url = str(response.url)
            try:
                listing = response.json()
            except ValueError as exc:
                raise SourceError(f"Hugging Face answer from {url} is not JSON: {exc}") from None
            if not isinstance(listing, list):
                raise SourceError(f"Hugging Face answer from {url} is not a list of papers")
            for index, entry in enumerate(listing):
                try:
                    yield _paper(entry, observed_at).validate()
                except RecordError as error:
                    yield error.at(f"{url} item {index}")


def _paper(entry: object, observed_at: datetime) -> Paper:
    """One listing entry: the ``paper`` object holds the data in both schemas."""
    paper = entry.get("paper") if isinstance(entry, dict) else None
    if not isinstance(paper, dict):
        raise RecordError("entry has no 'paper' object", field="paper")
    try:
        paper_id, _ = parse_arxiv_id(_string(paper, "id") or "")
    except ValueError as exc:
        raise RecordError(str(exc), field="paper.id") from None
    signals = [
        Signal(signal, _number(paper, key), observed_at)
        for signal, key in (("hf_upvotes", "upvotes"), ("github_stars", "githubStars"))
        if paper.get(key) is not None
    ]
    authors = paper.get("authors") or []
    if not isinstance(authors, list):
        raise RecordError("expected a list", field="paper.authors")
    url_abs, url_pdf = arxiv_links(paper_id)
    return Paper(
        id=paper_id,
        title=_string(paper, "title") or "",
        abstract=_string(paper, "summary") or "",
        authors=[author["name"] for author in authors if isinstance(author, dict) and _string(author, "name")],
        submitted=iso_field(_string(paper, "publishedAt"), "paper.publishedAt"),
        url_abs=url_abs,
        url_pdf=url_pdf,
        url_code=_string(paper, "githubRepo"),
        url_project=_string(paper, "projectPage"),
        ai_summary=_string(paper, "ai_summary"),
        ai_keywords=_strings(paper, "ai_keywords"),
        source=HfDailySource.name,
        signals=signals,
    )


def _string(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise RecordError(f"expected a string, got {type(value).__name__}", field=f"paper.{key}")


def _strings(data: dict, key: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise RecordError("expected a list of strings", field=f"paper.{key}")
    return [item for item in value if item.strip()]


def _number(data: dict, key: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError("expected a number", field=f"paper.{key}")
    return float(value)
