"""Importing a reference manager's BibTeX or RIS file into a collection.

The file is read whole and checked before anything is stored: a malformed one is refused with
the line (and entry) that is wrong, and the papers found are added in one transaction, so an
import is all or nothing. Papers the library does not hold are listed, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertide.errors import InvalidInput, RecordError, TooLarge
from papertide.library.bibtex import bibtex_references
from papertide.library.collections import Collections
from papertide.library.matching import Matched, Unmatched, match_references
from papertide.library.references import ReadLimits, Reference
from papertide.library.ris import looks_like_ris, ris_references
from papertide.store.accounts.store import User
from papertide.store.library.collections import Collection
from papertide.store.papers.keys import PaperKeyStore


@dataclass(frozen=True, slots=True)
class ImportLimits:
    max_bytes: int
    max_entries: int


@dataclass(frozen=True, slots=True)
class Found:
    """A matched reference with the paper it became, so the report can name and link it."""

    reference: Matched
    paper_id: str
    title: str


@dataclass(frozen=True, slots=True)
class ImportReport:
    collection: Collection  # as it is after the import
    format: str  # "BibTeX" or "RIS"
    entries: int  # references in the file
    matched: int  # references that named a stored paper
    added: int  # papers new to the collection (a paper named twice, or saved before, is added once)
    unmatched: list[Unmatched]
    found: list[Found]  # each matched reference, in the file's order


class Importer:
    def __init__(self, keys: PaperKeyStore, collections: Collections, limits: ImportLimits) -> None:
        self._keys = keys
        self._collections = collections
        self._limits = limits

    def run(self, user: User, data: bytes, filename: str, collection_id: str | None = None) -> ImportReport:
        """Add the papers ``data`` names to the reader's collection ``collection_id`` (default: "Saved")."""
        if collection_id:
            self._collections.owned(user, collection_id)  # someone else's: NotFound before any work
        source = filename or "the file"
        if len(data) > self._limits.max_bytes:
            raise TooLarge(f"{source} has {len(data):,} bytes; an import takes at most {self._limits.max_bytes:,}")
        limits = ReadLimits(max_entries=self._limits.max_entries)
        file_format, references = read_references(decode(data, source), source, limits)
        if not references:
            raise InvalidInput(f"{source} holds no BibTeX entries or RIS records")
        matches = match_references(references, self._keys)
        collection = self._collections.target(user, collection_id)
        added = self._collections.add_many(collection, list(dict.fromkeys(matches.pks)))
        papers = self._keys.identities(matches.pks)
        return ImportReport(
            collection=self._collections.owned(user, collection.public_id),
            format=file_format,
            entries=len(references),
            matched=len(matches.pks),
            added=added,
            unmatched=matches.unmatched,
            found=[Found(match, *papers[match.pk]) for match in matches.matched],
        )


def decode(data: bytes, source: str) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), as reference managers export."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RecordError("the file is not UTF-8 text; export it as UTF-8", location=f"{source}: line {line}") from None


def read_references(text: str, source: str, limits: ReadLimits) -> tuple[str, list[Reference]]:
    """("RIS" or "BibTeX", the references): RIS when the file starts like RIS or is named .ris.

    Both readers refuse (413, naming the line and the limit) a file that would build more than ``limits``.
    """
    if looks_like_ris(text) or source.lower().endswith(".ris"):
        return "RIS", ris_references(text, source, limits)
    return "BibTeX", bibtex_references(text, source, limits)
