"""The Kaggle arXiv snapshot (``arxiv-metadata-oai-snapshot.json``): the bulk-load path.

The file holds every arXiv paper, one JSON object per line (~2.7M lines, ~4 GB), so this source
streams it with constant memory and keeps per-record work to a minimum: filters run on the raw
strings before anything is built, and the record is converted by one straight-line function whose
failures are explained afterwards by a slower field-by-field check (bad lines are rare; the
explanation only has to be precise, not fast).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date

from papertide.errors import RecordError
from papertide.ingest.sources.base import Item
from papertide.ingest.sources.jsonl import LineReader, ProgressCallback, load_line
from papertide.ingest.sources.parsing import parse_versions, split_authors
from papertide.model import Paper, arxiv_links, json_type

_OPTIONAL_STRINGS = ("abstract", "doi", "journal-ref", "comments", "license", "update_date", "authors")


class KaggleSource:
    """Papers from the Kaggle snapshot, optionally only recent ones or only some categories.

    ``since`` keeps papers whose metadata changed on or after that day (``update_date``, else the
    latest version's date); ``categories`` are shell patterns (``cs.*``, ``hep-th``) of which any
    of the paper's categories must match one. ``bytes_read``/``total_bytes`` give progress.
    """

    name = "kaggle"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        since: date | None = None,
        categories: Sequence[str] = (),
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.reader = LineReader(path, on_progress)
        self.since = since
        self.categories = list(categories)

    @property
    def bytes_read(self) -> int:
        return self.reader.bytes_read

    @property
    def total_bytes(self) -> int:
        return self.reader.total_bytes

    def items(self) -> Iterator[Item]:
        """Each matching line's paper, or a RecordError naming ``path:line`` and the field."""
        path = self.reader.path
        since = self.since.isoformat() if self.since else None
        wanted = _category_matcher(self.categories)
        for lineno, line in self.reader:
            try:
                record = load_line(line, "")
                paper = _paper(record, since, wanted)
            except RecordError as error:
                yield error.at(f"{path}:{lineno}")
            except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
                field, reason = _explain(record, exc)
                yield RecordError(reason, location=f"{path}:{lineno}", field=field)
            else:
                if paper is not None:
                    yield paper


def _category_matcher(patterns: Sequence[str]) -> Callable[[str], object] | None:
    """One compiled regex for all shell patterns: a single match call per category."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(pattern)})" for pattern in patterns)).match


def _paper(record: dict, since: str | None, wanted: Callable[[str], object] | None) -> Paper | None:
    """The paper of one snapshot record, or None when a filter drops it; raises on bad data."""
    categories = record["categories"].split()
    if wanted is not None and not any(wanted(category) for category in categories):
        return None
    update_date = record.get("update_date")
    if since is not None and update_date is not None and update_date < since:
        return None
    versions = parse_versions((item["version"], item["created"]) for item in record.get("versions") or ())
    latest = versions[-1] if versions else None
    if since is not None and update_date is None:
        changed = latest.created if latest else None
        if changed is None or changed.date().isoformat() < since:
            return None
    parsed = record.get("authors_parsed")
    if parsed:  # [last, first, suffix, affiliations...]
        authors = [" ".join(filter(None, (entry[1], entry[0], entry[2] if len(entry) > 2 else ""))) for entry in parsed]
    else:
        authors = split_authors(record.get("authors") or "")
    paper_id = record["id"]
    url_abs, url_pdf = arxiv_links(paper_id)
    paper = Paper(
        id=paper_id,
        title=record["title"],
        abstract=(record.get("abstract") or "").strip(),
        version=latest.number if latest else 1,
        authors=authors,
        categories=categories,
        submitted=versions[0].created if versions else None,
        updated=latest.created if latest else None,
        doi=record.get("doi") or None,
        journal_ref=record.get("journal-ref") or None,
        comments=record.get("comments") or None,
        license=record.get("license") or None,
        url_abs=url_abs,
        url_pdf=url_pdf,
        source=KaggleSource.name,
        versions=versions,
    )
    for value in (paper.doi, paper.journal_ref, paper.comments, paper.license):
        if value is not None and type(value) is not str:
            raise TypeError("optional fields must be strings")  # _explain names which one
    return paper.validate()


def _explain(record: object, exc: Exception) -> tuple[str | None, str]:
    """Which field made :func:`_paper` fail, and why, in words a user can act on."""
    if not isinstance(record, dict):
        return None, f"expected a JSON object, got {type(record).__name__}"
    for field in ("id", "title", "categories"):
        if field not in record:
            return field, "required field is missing"
        if not isinstance(record[field], str):
            return field, f"must be a string, got {json_type(record[field])}"
    for field in _OPTIONAL_STRINGS:
        if record.get(field) is not None and not isinstance(record[field], str):
            return field, f"must be a string, got {json_type(record[field])}"
    parsed = record.get("authors_parsed")
    if parsed is not None and not (isinstance(parsed, list) and all(map(_is_name_entry, parsed))):
        return "authors_parsed", "expected a list of [last, first, suffix] string lists"
    versions = record.get("versions")
    if versions is not None:
        if not isinstance(versions, list) or not all(isinstance(item, dict) for item in versions):
            return "versions", "expected a list of {version, created} objects"
        try:
            parse_versions((item["version"], item["created"]) for item in versions)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            return "versions", f"bad version entry: {error}"
    return None, f"{type(exc).__name__}: {exc}"


def _is_name_entry(entry: object) -> bool:
    return isinstance(entry, list) and len(entry) >= 2 and all(isinstance(part, str) for part in entry)
