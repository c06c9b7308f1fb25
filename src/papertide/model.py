"""The paper record every source yields and the store keeps. Plain data, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import unquote

from papertide.errors import RecordError
from papertide.text import normalize

# New-style ids (0704.0001, 2410.17243) and old-style ids (hep-th/9901001, math.GT/0309136),
# each with an optional version suffix.
_ARXIV_ID = re.compile(
    r"^(?:arxiv:)?(?P<id>\d{4}\.\d{4,5}|[a-z][a-z.-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<v>\d+))?$",
    re.IGNORECASE,
)
_NAMESPACED_ID = re.compile(r"^[a-z][a-z0-9_-]*:\S+$")
# Column widths of the store (store/db/schema.py uses these): PostgreSQL refuses a longer value where
# SQLite would keep it, so validation holds every record to them and both backends store the same.
MAX_ID_LENGTH = 64
MAX_CATEGORY_LENGTH = 32
# Text a record may carry; none may hold NUL, which PostgreSQL text cannot store either.
_TEXT_FIELDS = (
    "title", "abstract", "authors", "doi", "journal_ref", "comments", "url_abs", "url_pdf", "url_code", "url_project",
    "links_source", "license", "ai_summary", "ai_keywords",
)  # fmt: skip
# What one record may hold, whatever its source (README "Ingest limits" gives the reasons): generous
# beside real metadata, finite so that a hostile file cannot store megabytes that every page and API
# answer showing the paper would then carry.
MAX_TITLE_LENGTH = 2_000  # real titles: a few hundred characters with their TeX
MAX_ABSTRACT_LENGTH = 10_000  # arXiv caps abstracts at 1,920 characters; other sources run longer
MAX_AUTHORS = 10_000  # the largest HEP collaborations sign with ~5,200 names
MAX_AUTHOR_LENGTH = 500  # one name, or a collaboration's ("The ATLAS and CMS Collaborations")
MAX_CATEGORIES = 50  # arXiv papers carry a primary category and a handful of cross-lists
MAX_COMMENTS_LENGTH = 5_000  # arXiv's comments: pages, figures, venue; rarely over a few hundred
MAX_OTHER_TEXT_LENGTH = 2_000  # doi, journal_ref and the URLs
MAX_VERSIONS = 1_000  # arXiv papers rarely pass 20 versions
MAX_SOURCE_LENGTH = 32  # a source's name ("hf-daily", "kaggle"): the store's column width
MAX_AI_SUMMARY_LENGTH = 2_000  # Hugging Face's summaries are one sentence of a few hundred characters
MAX_KEYWORDS = 50  # Hugging Face gives about ten
MAX_KEYWORD_LENGTH = 200  # one keyword, a phrase
_TEXT_LIMITS = {
    "title": MAX_TITLE_LENGTH, "abstract": MAX_ABSTRACT_LENGTH, "comments": MAX_COMMENTS_LENGTH,
    "doi": MAX_OTHER_TEXT_LENGTH, "journal_ref": MAX_OTHER_TEXT_LENGTH, "url_abs": MAX_OTHER_TEXT_LENGTH,
    "url_pdf": MAX_OTHER_TEXT_LENGTH, "url_code": MAX_OTHER_TEXT_LENGTH, "url_project": MAX_OTHER_TEXT_LENGTH,
    "license": MAX_OTHER_TEXT_LENGTH, "ai_summary": MAX_AI_SUMMARY_LENGTH, "source": MAX_SOURCE_LENGTH,
    "links_source": MAX_SOURCE_LENGTH,
}  # fmt: skip


def parse_arxiv_id(text: str) -> tuple[str, int | None]:
    """Split an arXiv id into (id without version, version or None); raise if it is not one.

    Accepts ``arXiv:`` prefixes and abs/pdf URLs, as users paste them.
    """
    candidate = text.strip()
    for prefix in ("https://", "http://"):
        if candidate.lower().startswith(prefix):
            path = candidate[len(prefix) :].split("/", 1)[-1]
            for kind in ("abs/", "pdf/", "html/"):
                if path.startswith(kind):
                    candidate = path[len(kind) :].removesuffix(".pdf").rstrip("/")
                    break
    match = _ARXIV_ID.match(candidate)
    if not match:
        raise ValueError(f"not an arXiv id: {text!r}")
    paper_id = match["id"]
    if "/" in paper_id:  # old style: archive lower-case, subject class upper-case
        archive, number = paper_id.split("/")
        head, _, subject = archive.partition(".")
        paper_id = f"{head.lower()}.{subject.upper()}/{number}" if subject else f"{head.lower()}/{number}"
    return paper_id, int(match["v"]) if match["v"] else None


# A DOI: "10.", a registrant code, "/", a suffix (anything but whitespace and what ends a quote or tag).
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"'<>]+")


def normalize_doi(text: str | None) -> str | None:
    """The DOI in ``text`` (bare, ``doi:``-prefixed or a doi.org URL), lower-cased, as DOIs ignore case."""
    match = _DOI.search(unquote(text)) if text else None
    return match.group(0).rstrip(".,;)]}").lower() if match else None


def is_valid_paper_id(paper_id: str) -> bool:
    """An arXiv id without version, or a namespaced id such as ``doi:10.1/x`` or ``openreview:abc``."""
    try:
        arxiv_id, version = parse_arxiv_id(paper_id)
    except ValueError:
        return bool(_NAMESPACED_ID.match(paper_id)) and not paper_id.lower().startswith(("http:", "https:"))
    return version is None and arxiv_id == paper_id


@dataclass(frozen=True, slots=True)
class Signal:
    """An external popularity signal (Hugging Face upvotes, GitHub stars) seen at a moment."""

    name: str
    value: float
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    """One arXiv version of a paper and when it was submitted."""

    number: int
    created: datetime | None


@dataclass(slots=True)
class Paper:
    """One paper as a source describes it.

    ``title`` and ``abstract`` are stored as the source gave them (LaTeX, accents and line folding
    included); ``display_title`` and ``display_abstract`` are the normalised forms used for
    display and search.
    """

    id: str
    title: str
    abstract: str = ""
    version: int = 1
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    submitted: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    url_abs: str | None = None
    url_pdf: str | None = None
    url_code: str | None = None
    url_project: str | None = None  # the paper's project page
    # The source that gave url_code and url_project (its name, as ``source``): they are labelled by it
    # ("from Hugging Face"), and travel together, so one source's links never pass for another's.
    links_source: str | None = None
    license: str | None = None  # as arXiv gives it: the licence's URL
    ai_summary: str | None = None  # Hugging Face's machine-written one-sentence summary
    ai_keywords: list[str] = field(default_factory=list)  # Hugging Face's machine-chosen keywords
    source: str = "unknown"
    versions: list[Version] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)

    @property
    def display_title(self) -> str:
        return normalize(self.title)

    @property
    def display_abstract(self) -> str:
        return normalize(self.abstract)

    @property
    def display_authors(self) -> list[str]:
        return [normalize(name) for name in self.authors]

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    def validate(self, location: str = "") -> Paper:
        """Check the invariants the store relies on; raise :class:`RecordError` naming the field."""
        if not self.id or not is_valid_paper_id(self.id):
            raise RecordError(f"invalid paper id {self.id!r}", location=location, field="id")
        if len(self.id) > MAX_ID_LENGTH:
            raise RecordError(f"paper id is longer than {MAX_ID_LENGTH} characters", location=location, field="id")
        if not self.title or not self.title.strip():
            raise RecordError("title is empty", location=location, field="title")
        if self.version < 1:
            raise RecordError(f"version must be >= 1, got {self.version}", location=location, field="version")
        for field_name, limit in _TEXT_LIMITS.items():
            if len(value := getattr(self, field_name) or "") > limit:
                reason = f"{len(value):,} characters, over the limit of {limit:,}"
                raise RecordError(reason, location=location, field=field_name)
        if len(self.authors) > MAX_AUTHORS:
            reason = f"{len(self.authors):,} authors, over the limit of {MAX_AUTHORS:,}"
            raise RecordError(reason, location=location, field="authors")
        for number, name in enumerate(self.authors, 1):
            if not isinstance(name, str) or not name.strip():
                raise RecordError("author names must be non-empty strings", location=location, field="authors")
            if len(name) > MAX_AUTHOR_LENGTH:
                reason = f"author {number} has {len(name):,} characters, over the limit of {MAX_AUTHOR_LENGTH:,}"
                raise RecordError(reason, location=location, field="authors")
        if len(self.ai_keywords) > MAX_KEYWORDS:
            reason = f"{len(self.ai_keywords):,} keywords, over the limit of {MAX_KEYWORDS:,}"
            raise RecordError(reason, location=location, field="ai_keywords")
        for number, keyword in enumerate(self.ai_keywords, 1):
            if not isinstance(keyword, str) or not keyword.strip():
                raise RecordError("keywords must be non-empty strings", location=location, field="ai_keywords")
            if len(keyword) > MAX_KEYWORD_LENGTH:
                reason = f"keyword {number} has {len(keyword):,} characters, over the limit of {MAX_KEYWORD_LENGTH:,}"
                raise RecordError(reason, location=location, field="ai_keywords")
        if len(self.versions) > MAX_VERSIONS:
            reason = f"{len(self.versions):,} versions, over the limit of {MAX_VERSIONS:,}"
            raise RecordError(reason, location=location, field="versions")
        if len(self.categories) > MAX_CATEGORIES:
            reason = f"{len(self.categories):,} categories, over the limit of {MAX_CATEGORIES:,}"
            raise RecordError(reason, location=location, field="categories")
        for category in self.categories:
            if not isinstance(category, str) or not category.strip() or " " in category:
                raise RecordError(f"invalid category {category!r}", location=location, field="categories")
            if len(category) > MAX_CATEGORY_LENGTH:
                reason = f"category {category!r} is longer than {MAX_CATEGORY_LENGTH} characters"
                raise RecordError(reason, location=location, field="categories")
        for name in _TEXT_FIELDS:
            value = getattr(self, name) or ""
            if any("\x00" in text for text in (value if isinstance(value, list) else [value])):
                raise RecordError("contains a NUL character (\\x00)", location=location, field=name)
        return self


def arxiv_links(paper_id: str, version: int | None = None) -> tuple[str, str]:
    """The canonical abs and pdf URLs of an arXiv paper."""
    suffix = f"v{version}" if version else ""
    return f"https://arxiv.org/abs/{paper_id}{suffix}", f"https://arxiv.org/pdf/{paper_id}{suffix}"


def parse_iso_utc(text: str) -> datetime:
    """A UTC datetime from ISO 8601 (``2024-10-22T17:59:30.000Z``, ``2014-12-29``); naive means UTC.

    Raises ValueError when the text is not a date.
    """
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_JSON_TYPES = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "an array",
               dict: "an object", type(None): "null"}  # fmt: skip


def json_type(value: object) -> str:
    """What a decoded JSON value is, in JSON's words ("a number", "an array"), for error messages."""
    return _JSON_TYPES.get(type(value), type(value).__name__)


_ABSENT = object()  # a key the JSON object does not have (null is there, and of the wrong type)


def _wrong_type(expected: str, value: object, field_name: str, location: str, part: str = "") -> RecordError:
    """``field 'id': must be a string, got a number``: a value of the wrong type is not a missing one."""
    reason = "is missing" if value is _ABSENT else f"must be {expected}, got {json_type(value)}"
    return RecordError(f"{part} {reason}" if part else reason, location=location, field=field_name)


def _parse_time(value: object, field_name: str, location: str) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _wrong_type("an ISO 8601 date string", value, field_name, location)
    try:
        return parse_iso_utc(value)
    except ValueError:
        raise RecordError(f"not an ISO 8601 date: {value!r}", location=location, field=field_name) from None


def _str_list(value: object, field_name: str, location: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong_type("an array of strings", value, field_name, location)
    for number, item in enumerate(value, 1):
        if not isinstance(item, str):
            raise _wrong_type("a string", item, field_name, location, f"item {number}")
    return list(value)


def _opt_str(value: object, field_name: str, location: str) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise _wrong_type("a string", value, field_name, location)


def _objects(value: object, field_name: str, location: str) -> list[dict]:
    """An optional array of objects (``versions``, ``signals``)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong_type("an array of objects", value, field_name, location)
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise _wrong_type("an object", item, field_name, location, f"item {number}")
    return value


def paper_to_dict(paper: Paper) -> dict:
    """papertide's own JSON schema for a paper (used by ``export jsonl`` and the ``jsonl`` source)."""
    return {
        "id": paper.id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": paper.authors,
        "categories": paper.categories,
        "submitted": paper.submitted.isoformat() if paper.submitted else None,
        "updated": paper.updated.isoformat() if paper.updated else None,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comments": paper.comments,
        "url_abs": paper.url_abs,
        "url_pdf": paper.url_pdf,
        "url_code": paper.url_code,
        "url_project": paper.url_project,
        "links_source": paper.links_source,
        "license": paper.license,
        "ai_summary": paper.ai_summary,
        "ai_keywords": paper.ai_keywords,
        "source": paper.source,
        "versions": [
            {"version": v.number, "created": v.created.isoformat() if v.created else None} for v in paper.versions
        ],
        "signals": [
            {"name": s.name, "value": s.value, "observed_at": s.observed_at.isoformat()} for s in paper.signals
        ],
    }


def paper_from_dict(data: object, location: str = "") -> Paper:
    """Build and validate a :class:`Paper` from :func:`paper_to_dict`'s schema; errors name the field."""
    if not isinstance(data, dict):
        raise RecordError(f"expected a JSON object, got {type(data).__name__}", location=location)
    unknown = set(data) - _FIELDS
    if unknown:
        raise RecordError(f"unknown field(s): {', '.join(sorted(unknown))}", location=location)
    for required in ("id", "title"):
        if (value := data.get(required, _ABSENT)) is _ABSENT:
            raise RecordError("required field is missing", location=location, field=required)
        if not isinstance(value, str):
            raise _wrong_type("a string", value, required, location)
    version = data.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool):
        raise _wrong_type("an integer", version, "version", location)
    versions = []
    for number, item in enumerate(_objects(data.get("versions"), "versions", location), 1):
        if not isinstance(got := item.get("version", _ABSENT), int) or isinstance(got, bool):
            raise _wrong_type("an integer", got, "versions", location, f"item {number}: 'version'")
        versions.append(Version(item["version"], _parse_time(item.get("created"), "versions", location)))
    signals = []
    for number, item in enumerate(_objects(data.get("signals"), "signals", location), 1):
        if not isinstance(name := item.get("name", _ABSENT), str):
            raise _wrong_type("a string", name, "signals", location, f"item {number}: 'name'")
        value = item.get("value", _ABSENT)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise _wrong_type("a number", value, "signals", location, f"item {number}: 'value'")
        observed = _parse_time(item.get("observed_at"), "signals", location)
        if observed is None:
            raise RecordError(f"item {number}: 'observed_at' is missing", location=location, field="signals")
        signals.append(Signal(item["name"], float(value), observed))
    abstract = _opt_str(data.get("abstract"), "abstract", location) or ""
    paper = Paper(
        id=data["id"],
        title=data["title"],
        abstract=abstract,
        version=version,
        authors=_str_list(data.get("authors"), "authors", location),
        categories=_str_list(data.get("categories"), "categories", location),
        submitted=_parse_time(data.get("submitted"), "submitted", location),
        updated=_parse_time(data.get("updated"), "updated", location),
        doi=_opt_str(data.get("doi"), "doi", location),
        journal_ref=_opt_str(data.get("journal_ref"), "journal_ref", location),
        comments=_opt_str(data.get("comments"), "comments", location),
        url_abs=_opt_str(data.get("url_abs"), "url_abs", location),
        url_pdf=_opt_str(data.get("url_pdf"), "url_pdf", location),
        url_code=_opt_str(data.get("url_code"), "url_code", location),
        url_project=_opt_str(data.get("url_project"), "url_project", location),
        links_source=_opt_str(data.get("links_source"), "links_source", location),
        license=_opt_str(data.get("license"), "license", location),
        ai_summary=_opt_str(data.get("ai_summary"), "ai_summary", location),
        ai_keywords=_str_list(data.get("ai_keywords"), "ai_keywords", location),
        source=_opt_str(data.get("source"), "source", location) or "jsonl",
        versions=versions,
        signals=signals,
    )
    return paper.validate(location)


_FIELDS = {
    "id", "version", "title", "abstract", "authors", "categories", "submitted", "updated", "doi",
    "journal_ref", "comments", "url_abs", "url_pdf", "url_code", "url_project", "links_source", "license",
    "ai_summary", "ai_keywords", "source", "versions", "signals",
}  # fmt: skip
