"""arXiv's OAI-PMH interface (``export.arxiv.org/oai2``): incremental, resumable harvests.

ListRecords pages are chained by resumptionTokens. After each page's records the source yields a
:class:`Checkpoint` holding the next token, which the ingest pipeline commits together with those
records; a later run with the same query reads it back and continues from that page instead of
starting over. Two metadata formats are understood: ``arXiv`` (structured authors, first and
latest dates) and ``arXivRaw`` (every version with its date, authors as free text).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import date
from urllib.parse import urlencode

from papertide.errors import RecordError, SourceError
from papertide.ingest.sources.base import Checkpoint, CheckpointReader, Item
from papertide.ingest.sources.http import ARXIV_MIN_INTERVAL, HttpClient
from papertide.ingest.sources.parsing import iso_field, parse_versions, split_authors
from papertide.model import Paper, Version, arxiv_links, parse_arxiv_id

OAI_URL = "https://export.arxiv.org/oai2"
METADATA_PREFIXES = ("arXiv", "arXivRaw")

_OAI = "{http://www.openarchives.org/OAI/2.0/}"


class OaiSource:
    """Harvest arXiv records changed in a date window, optionally restricted to one set.

    ``set_spec`` is an OAI set such as ``cs`` or ``physics:hep-th``; ``from_date``/``until`` are
    inclusive datestamps. With ``checkpoints``, the harvest resumes from the last saved token.
    """

    name = "oai"

    def __init__(
        self,
        http: HttpClient,
        *,
        metadata_prefix: str = "arXivRaw",
        set_spec: str | None = None,
        from_date: date | None = None,
        until: date | None = None,
        checkpoints: CheckpointReader | None = None,
        base_url: str = OAI_URL,
    ) -> None:
        if metadata_prefix not in METADATA_PREFIXES:
            raise ValueError(f"metadata_prefix must be one of {', '.join(METADATA_PREFIXES)}, got {metadata_prefix!r}")
        self.http = http
        self.base_url = base_url
        self.checkpoints = checkpoints
        self.query = {"metadataPrefix": metadata_prefix}
        if set_spec:
            self.query["set"] = set_spec
        if from_date:
            self.query["from"] = from_date.isoformat()
        if until:
            self.query["until"] = until.isoformat()
        http.require_interval(base_url, ARXIV_MIN_INTERVAL)

    @property
    def checkpoint_key(self) -> str:
        """Identifies this harvest: the same endpoint and query resume from the same token."""
        return f"oai:{self.base_url}?{urlencode(sorted(self.query.items()))}"

    def items(self) -> Iterator[Item]:
        """Papers page by page, each page followed by a checkpoint; ``Checkpoint(key, None)`` at the end."""
        key = self.checkpoint_key
        token = self.checkpoints.get_checkpoint(key) if self.checkpoints else None
        while True:
            params = {"verb": "ListRecords", **({"resumptionToken": token} if token else self.query)}
            response = self.http.get(self.base_url, params)
            root = _parse_page(response.content, str(response.url))
            if root is None:  # noRecordsMatch: an empty window is not an error
                token = None
            else:
                yield from _records(root)
                token = _resumption_token(root)
            yield Checkpoint(key, token)
            if token is None:
                return


def _parse_page(body: bytes, url: str) -> ET.Element | None:
    """The response's root element, None for ``noRecordsMatch``; other OAI errors raise SourceError."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SourceError(f"OAI-PMH response from {url} is not XML: {exc}") from None
    error = root.find(f"{_OAI}error")
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return None
        message = " ".join((error.text or "").split())
        raise SourceError(f"OAI-PMH error {code} from {url}: {message}".rstrip(": "))
    return root


def _resumption_token(root: ET.Element) -> str | None:
    """The next page's token; absent or empty means this was the last page."""
    element = root.find(f"{_OAI}ListRecords/{_OAI}resumptionToken")
    text = (element.text or "").strip() if element is not None else ""
    return text or None


def _records(root: ET.Element) -> Iterator[Paper | RecordError]:
    for record in root.iter(f"{_OAI}record"):
        header = record.find(f"{_OAI}header")
        if header is None:
            yield RecordError("record without header", location="OAI-PMH record")
            continue
        if header.get("status") == "deleted":
            continue
        identifier = (header.findtext(f"{_OAI}identifier") or "").strip() or "OAI-PMH record"
        metadata = record.find(f"{_OAI}metadata")
        payload = metadata[0] if metadata is not None and len(metadata) else None
        try:
            if payload is None:
                raise RecordError("record has no metadata", field="metadata")
            parse = _PARSERS.get(_local(payload.tag))
            if parse is None:
                raise RecordError(f"unsupported metadata format {_local(payload.tag)!r}", field="metadata")
            yield parse(payload).validate()
        except RecordError as error:
            yield error.at(identifier)


def _local(tag: str) -> str:
    """An element name without its namespace: some recorded arXiv responses omit the namespace."""
    return tag.rpartition("}")[2]


def _fields(payload: ET.Element) -> dict[str, ET.Element]:
    """Top-level metadata elements by local name (the first of each)."""
    fields: dict[str, ET.Element] = {}
    for child in payload:
        fields.setdefault(_local(child.tag), child)
    return fields


def _text(fields: dict[str, ET.Element], name: str) -> str | None:
    element = fields.get(name)
    text = element.text.strip() if element is not None and element.text else ""
    return text or None


def _required(fields: dict[str, ET.Element], name: str) -> str:
    text = _text(fields, name)
    if text is None:
        raise RecordError("required field is missing or empty", field=name)
    return text


def _paper_id(fields: dict[str, ET.Element]) -> str:
    raw = _required(fields, "id")
    try:
        return parse_arxiv_id(raw)[0]
    except ValueError as exc:
        raise RecordError(str(exc), field="id") from None


def _common(fields: dict[str, ET.Element]) -> Paper:
    """A paper with the fields both formats spell the same way."""
    paper_id = _paper_id(fields)
    url_abs, url_pdf = arxiv_links(paper_id)
    abstract = fields.get("abstract")
    return Paper(
        id=paper_id,
        title=_required(fields, "title"),
        abstract=(abstract.text or "").strip() if abstract is not None else "",
        categories=(_text(fields, "categories") or "").split(),
        doi=_text(fields, "doi"),
        journal_ref=_text(fields, "journal-ref"),
        comments=_text(fields, "comments"),
        license=_text(fields, "license"),
        url_abs=url_abs,
        url_pdf=url_pdf,
        source=OaiSource.name,
    )


def _arxiv_paper(payload: ET.Element) -> Paper:
    """The ``arXiv`` format: no version numbers, only the first (``created``) and latest dates."""
    fields = _fields(payload)
    paper = _common(fields)
    for author in fields.get("authors", ()):
        parts = {_local(part.tag): " ".join((part.text or "").split()) for part in author}
        name = " ".join(filter(None, (parts.get("forenames"), parts.get("keyname"), parts.get("suffix"))))
        if name:
            paper.authors.append(name)
    created = iso_field(_text(fields, "created"), "created")
    paper.submitted = created
    paper.updated = iso_field(_text(fields, "updated"), "updated") or created
    paper.versions = [Version(1, created)]
    return paper


def _arxiv_raw_paper(payload: ET.Element) -> Paper:
    """The ``arXivRaw`` format: every version with its submission date, authors as free text."""
    fields = _fields(payload)
    paper = _common(fields)
    pairs = [
        (element.get("version", ""), _child_text(element, "date"))
        for element in payload
        if _local(element.tag) == "version"
    ]
    try:
        paper.versions = parse_versions(pairs)
    except ValueError as exc:
        raise RecordError(f"bad version: {exc}", field="version") from None
    if paper.versions:
        paper.version = paper.versions[-1].number
        paper.submitted = paper.versions[0].created
        paper.updated = paper.versions[-1].created
    paper.authors = split_authors(_text(fields, "authors") or "")
    return paper


def _child_text(element: ET.Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            return child.text
    return None


_PARSERS = {"arXiv": _arxiv_paper, "arXivRaw": _arxiv_raw_paper}
