"""The arXiv search API (``export.arxiv.org/api/query``, Atom): queries and id lookups.

Good for a category's newest papers or a handful of ids; bulk loads belong to OAI-PMH or the
Kaggle snapshot. Results are paged with ``start``/``max_results`` at arXiv's requested pace of one
request every three seconds. The API reports bad queries as an Atom entry whose id is under
``/api/errors`` (with HTTP 400 or, at times, 200); both become a :class:`SourceError` quoting it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Sequence

from papertide.errors import RecordError, SourceError
from papertide.ingest.sources.base import Item
from papertide.ingest.sources.http import ARXIV_MIN_INTERVAL, HttpClient
from papertide.ingest.sources.parsing import iso_field
from papertide.model import Paper, Version, arxiv_links, parse_arxiv_id

API_URL = "https://export.arxiv.org/api/query"

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"


def arxiv_records(http: HttpClient, base_url: str = API_URL) -> Callable[[list[str]], Iterator[Item]]:
    """A fetch of exactly the given ids' records, as ``papertide.ingest.pipeline.fill_categories`` takes."""

    def fetch(paper_ids: list[str]) -> Iterator[Item]:
        return ArxivApiSource(http, id_list=paper_ids, max_results=len(paper_ids), base_url=base_url).items()

    return fetch


class ArxivApiSource:
    """Papers matching ``search_query`` and/or ``categories``, or exactly the ids in ``id_list``.

    ``categories`` become ``cat:`` terms OR-ed together and AND-ed with ``search_query``.
    ``max_results`` caps the total; ``page_size`` is the API's ``max_results`` per request.
    """

    name = "arxiv"

    def __init__(
        self,
        http: HttpClient,
        *,
        search_query: str = "",
        categories: Sequence[str] = (),
        id_list: Sequence[str] = (),
        max_results: int | None = None,
        page_size: int = 100,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
        base_url: str = API_URL,
    ) -> None:
        terms = []
        if categories:
            terms.append("(" + " OR ".join(f"cat:{category}" for category in categories) + ")")
        if search_query:
            terms.append(f"({search_query})" if categories else search_query)
        if not terms and not id_list:
            raise ValueError("give a search_query, categories or an id_list")
        self.http = http
        self.base_url = base_url
        self.query = {
            "search_query": " AND ".join(terms),
            "id_list": ",".join(id_list),
            "sortBy": sort_by,
            "sortOrder": sort_order,
        }
        self.max_results = max_results
        self.page_size = page_size
        http.require_interval(base_url, ARXIV_MIN_INTERVAL)

    def items(self) -> Iterator[Item]:
        """Entries page by page until a page is empty, the total is reached or ``max_results``."""
        start = 0
        limit = self.max_results
        while limit is None or start < limit:
            size = self.page_size if limit is None else min(self.page_size, limit - start)
            response = self.http.get(
                self.base_url, {**self.query, "start": start, "max_results": size}, allow_status={400}
            )
            url = str(response.url)
            feed = _parse_feed(response.content, url)
            entries = feed.findall(f"{_ATOM}entry")
            _raise_api_error(entries, url, response.status_code)
            if not entries:
                return
            if limit is not None:
                entries = entries[: limit - start]  # a server ignoring max_results must not exceed it
            for index, entry in enumerate(entries, start):
                try:
                    yield _paper(entry).validate()
                except RecordError as error:
                    yield error.at(f"{url} entry {index}")
            start += len(entries)
            total = feed.findtext(f"{_OPENSEARCH}totalResults")
            if total is not None and total.strip().isdigit() and start >= int(total):
                return


def _parse_feed(body: bytes, url: str) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(f"arXiv API response from {url} is not XML: {exc}") from None


def _raise_api_error(entries: list[ET.Element], url: str, status: int) -> None:
    """The API's error entry (or a bare HTTP 400) as a SourceError carrying the API's message."""
    for entry in entries:
        if "/api/errors" in (entry.findtext(f"{_ATOM}id") or ""):
            message = " ".join((entry.findtext(f"{_ATOM}summary") or "unknown error").split())
            raise SourceError(f"arXiv API rejected the query ({url}): {message}")
    if status == 400:
        raise SourceError(f"arXiv API rejected the query ({url}): HTTP 400")


def _text(entry: ET.Element, tag: str) -> str | None:
    text = (entry.findtext(tag) or "").strip()
    return text or None


def _paper(entry: ET.Element) -> Paper:
    """One Atom entry: the id URL carries id and version; the primary category comes first."""
    try:
        paper_id, version = parse_arxiv_id(entry.findtext(f"{_ATOM}id") or "")
    except ValueError as exc:
        raise RecordError(str(exc), field="id") from None
    version = version or 1
    primary = entry.find(f"{_ARXIV}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    for category in entry.iter(f"{_ATOM}category"):
        term = category.get("term", "")
        if term not in categories:
            categories.append(term)
    published = iso_field(_text(entry, f"{_ATOM}published"), "published")
    updated = iso_field(_text(entry, f"{_ATOM}updated"), "updated")
    versions = [Version(1, published)]
    if version > 1:
        versions.append(Version(version, updated))
    url_abs, url_pdf = arxiv_links(paper_id)
    return Paper(
        id=paper_id,
        title=_text(entry, f"{_ATOM}title") or "",
        abstract=_text(entry, f"{_ATOM}summary") or "",
        version=version,
        authors=[name for author in entry.iter(f"{_ATOM}author") if (name := _text(author, f"{_ATOM}name"))],
        categories=[category for category in categories if category],
        submitted=published,
        updated=updated,
        doi=_text(entry, f"{_ARXIV}doi"),
        journal_ref=_text(entry, f"{_ARXIV}journal_ref"),
        comments=_text(entry, f"{_ARXIV}comment"),
        url_abs=url_abs,
        url_pdf=url_pdf,
        source=ArxivApiSource.name,
        versions=versions,
    )
