"""RIS (the tagged format EndNote, Zotero, Mendeley and publishers export) read strictly.

rispy does the reading, but skips what it cannot place without a word: a record with no
``TY`` line or no ``ER`` line disappears, a garbled line is glued onto the previous field. So
the file's structure is checked here first, line by line, and a malformed file is refused as a
whole with the line that is wrong.
"""

from __future__ import annotations

import re

import rispy

from papertide.errors import RecordError, RecordTooLarge, TooLarge
from papertide.library.references import ReadLimits, Reference, arxiv_ids_in, dois_in

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")
# Free-text fields some exporters wrap onto several lines.
_WRAPPING_TAGS = frozenset({"AB", "N1", "N2", "KW", "TI", "T1"})
_LIST_TAGS = frozenset(rispy.LIST_TYPE_TAGS)  # repeated (or wrapped) lines of these are items of a list
_DEFAULT_LIMITS = ReadLimits()
# rispy's names of the fields that may hold an arXiv id or a DOI (not the abstract: it cites others).
_ID_FIELDS = (
    "doi", "urls", "notes", "note", "journal_name", "secondary_title", "alternate_title1", "alternate_title2",
    "alternate_title3", "accession_number", "custom1", "custom2", "custom3",
)  # fmt: skip


def looks_like_ris(text: str) -> bool:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first.startswith("TY  -")


class _Field:
    """The field being read: its tag line, and the wrapped lines rispy would join onto it."""

    def __init__(self, tag: str, line: int) -> None:
        self.tag, self.line, self.parts, self.length = tag, line, [], -1

    def extend(self, text: str, source: str, limits: ReadLimits) -> None:
        self.length += 1 + len(text)
        if self.length > limits.max_value_chars:
            raise RecordTooLarge(
                f"the value has more than {limits.max_value_chars:,} characters, the limit for one field",
                location=f"{source}: line {self.line}",
                field=self.tag,
            )
        self.parts.append(text)

    def __str__(self) -> str:
        return f"{self.tag}  - {' '.join(self.parts)}"


def _checked(text: str, source: str, limits: ReadLimits) -> tuple[list[int], str]:
    """The line each record starts on, and the records as rispy is to read them; RecordError naming the line
    if the structure is broken, RecordTooLarge if a field or the entry count is over ``limits``.

    Wrapped lines are joined onto their field here, once: rispy joins each one onto the text so far, which
    takes time quadratic in the number of lines. Blank lines inside a record, which rispy would append to
    the field before them, are dropped.
    """
    starts: list[int] = []
    fields: list[_Field] = []
    open_at: int | None = None
    current: _Field | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line:
            continue
        tag_line = _TAG_LINE.match(line)
        if tag_line is None:
            if current is not None and current.tag in _WRAPPING_TAGS:
                if current.tag in _LIST_TAGS:  # rispy keeps each line as an item (a keyword, a note)
                    current = _Field(current.tag, number)
                    fields.append(current)
                current.extend(line.strip(), source, limits)
                continue  # the previous field's text, wrapped
            raise RecordError(
                f"expected a tag line such as 'TI  - A title' (two capitals, two spaces, '-'), found {line[:40]!r}",
                location=f"{source}: line {number}",
            )
        tag = tag_line[1]
        current = _Field(tag, number)
        current.extend((tag_line[2] or "").strip(), source, limits)
        fields.append(current)
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
    if len(starts) > limits.max_entries:
        raise TooLarge(
            f"{source} has {len(starts):,} entries; an import takes at most {limits.max_entries:,} (split the file)"
        )
    return starts, "\n".join(map(str, fields))


def ris_references(text: str, source: str = "the file", limits: ReadLimits = _DEFAULT_LIMITS) -> list[Reference]:
    """The references of a RIS file, each with the line its record starts on."""
    starts, checked = _checked(text, source, limits)
    records = rispy.loads(checked)
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
