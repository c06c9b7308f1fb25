"""RIS (the tagged format EndNote, Zotero, Mendeley and publishers export) read strictly.

rispy does the reading, but skips what it cannot place without a word: a record with no
``TY`` line or no ``ER`` line disappears, a garbled line is glued onto the previous field. So
the file's structure is checked here first, line by line, and a malformed file is refused as a
whole with the line that is wrong.
"""

from __future__ import annotations

import re

import rispy

from papertide.errors import RecordError
from papertide.library.references import Reference, arxiv_ids_in, dois_in

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
# Free-text fields some exporters wrap onto several lines.
_WRAPPING_TAGS = frozenset({"AB", "N1", "N2", "KW", "TI", "T1"})
# rispy's names of the fields that may hold an arXiv id or a DOI (not the abstract: it cites others).
_ID_FIELDS = (
    "doi", "urls", "notes", "note", "journal_name", "secondary_title", "alternate_title1", "alternate_title2",
    "alternate_title3", "accession_number", "custom1", "custom2", "custom3",
)  # fmt: skip


def looks_like_ris(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.startswith("TY  -")


def _record_lines(text: str, source: str) -> list[int]:
    """The line each record starts on; RecordError naming the line if the structure is broken."""
    starts: list[int] = []
    open_at: int | None = None
    last_tag = ""
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            continue
        tag_line = _TAG_LINE.match(line)
        if tag_line is None:
            if open_at is not None and last_tag in _WRAPPING_TAGS:
                continue  # the previous field's text, wrapped
            raise RecordError(
                f"expected a tag line such as 'TI  - A title' (two capitals, two spaces, '-'), found {line[:40]!r}",
                location=f"{source}: line {number}",
            )
        tag = last_tag = tag_line[1]
        if tag == "TY":
            if open_at is not None:
                raise RecordError(
                    f"a new record starts before the record from line {open_at} ended with 'ER  - '",
                    location=f"{source}: line {number}",
                )
            open_at = number
        elif tag == "ER":
            if open_at is None:
                raise RecordError(
                    "'ER' ends a record that never started with 'TY  - '", location=f"{source}: line {number}"
                )
            starts.append(open_at)
            open_at = None
        elif open_at is None:
            raise RecordError(
                f"'{tag}' stands outside a record: each record starts with 'TY  - ' and ends with 'ER  - '",
                location=f"{source}: line {number}",
            )
    if open_at is not None:
        raise RecordError("the record has no 'ER  - ' line ending it", location=f"{source}: line {open_at}")
    return starts


def ris_references(text: str, source: str = "the file") -> list[Reference]:
    """The references of a RIS file, each with the line its record starts on."""
    starts = _record_lines(text, source)
    records = rispy.loads(text)
    if len(records) != len(starts):  # the check above should leave rispy nothing to skip
        raise RecordError(f"read {len(records)} of {len(starts)} records; the file is not plain RIS", location=source)
    return [_reference(record, line) for record, line in zip(records, starts, strict=True)]


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _reference(record: dict, line: int) -> Reference:
    id_values = [text for name in _ID_FIELDS for text in _strings(record.get(name))]
    title = record.get("title") or record.get("primary_title") or record.get("translated_title") or ""
    return Reference(
        line=line,
        key=str(record.get("id") or ""),
        title=" ".join(str(title).split()),  # RIS is plain text, not TeX
        arxiv_ids=arxiv_ids_in(id_values),
        dois=dois_in(id_values),
    )
