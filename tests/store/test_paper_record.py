"""The Paper record is declared once (papertide.model); the store's mapping of it to columns is checked here
against the dataclass, so a field added to Paper but forgotten by the store (written, read back, hashed,
merged) fails a test instead of being silently dropped."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from papertide.model import Paper, Signal, Version
from papertide.store import PaperStore
from papertide.store.db.schema import papers
from papertide.store.papers import store as paper_store

T0 = datetime(2024, 10, 22, 9, 30, tzinfo=UTC)
# Columns that hold no Paper field: the key, bookkeeping, and forms derived from the fields.
DERIVED_COLUMNS = {
    "pk", "title", "abstract", "authors", "primary_category", "content_hash", "change_seq", "created_at",
    "modified_at", "listed_at", "title_key", "doi_key",
}  # fmt: skip
# Fields an incoming record may leave empty while the stored value stays: all but the identity, the
# required title, the version (compared on its own), where it came from and signals (their own table).
NEVER_MERGED = {"id", "title", "version", "source", "signals"}
# What the content hash leaves out: where a record came from, and signals (they have their own history).
NOT_HASHED = {"source", "signals"}
# Fields that must hold a valid value, whatever the test sets the others to.
VALID = {"id": ("2410.17243", "2410.17244"), "categories": (["cs.CL", "cs.LG"], ["math.GT"])}


def sample(field: dataclasses.Field, variant: int = 0) -> object:
    """A value of ``field``'s type unlike its default; ``variant`` 1 gives a second, different one."""
    if field.name in VALID:
        return VALID[field.name][variant]
    by_type = {
        "str": f"{field.name} {variant}",
        "int": 3 + variant,
        "str | None": f"{field.name} {variant}",
        "datetime | None": T0 + timedelta(days=variant, hours=hash(field.name) % 24),
        "list[str]": [f"{field.name} {variant} a", f"{field.name} {variant} b"],
        "list[Version]": [Version(1, T0), Version(2 + variant, None)],
        "list[Signal]": [Signal(f"{field.name}_{variant}", 5.0 + variant, T0)],
    }
    assert field.type in by_type, f"Paper.{field.name}: teach this test a sample {field.type} (and the store)"
    return by_type[field.type]


def full_paper(variant: int = 0) -> Paper:
    """A paper with every field set to a value other than its default."""
    values = {field.name: sample(field, variant) for field in dataclasses.fields(Paper)}
    values["source"] = f"src{variant}"  # a short name, as sources have
    paper = Paper(**values)
    for field in dataclasses.fields(Paper):
        default = field.default_factory() if field.default_factory is not dataclasses.MISSING else field.default
        assert getattr(paper, field.name) != default, field.name
    return paper.validate()


def test_every_field_is_stored_and_read_back(store: PaperStore) -> None:
    paper = full_paper()
    store.write_batch([paper])
    stored = store.get(paper.id)
    assert dataclasses.replace(stored.paper, signals=paper.signals) == paper
    assert list(stored.signals.values()) == paper.signals  # signals are kept in their own table


def test_every_column_is_a_field_or_derived_from_them() -> None:
    row = paper_store._row(full_paper(), "digest", 1, T0)
    from_fields = set(row) - DERIVED_COLUMNS
    assert set(papers.columns.keys()) == set(row) | {"pk", "created_at", "listed_at"}
    # every Paper field but signals has exactly one column of its own
    assert len(from_fields) == len(dataclasses.fields(Paper)) - 1


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(Paper)])
def test_the_content_hash_reads_every_field_but_source_and_signals(field: str) -> None:
    paper = full_paper()
    changed = dataclasses.replace(paper, **{field: getattr(full_paper(1), field)})
    same = paper_store.content_hash(changed) == paper_store.content_hash(paper)
    assert same is (field in NOT_HASHED)


def test_merged_fields_are_every_field_a_source_may_leave_empty() -> None:
    merged, links = set(paper_store._MERGED_FIELDS), set(paper_store._LINK_FIELDS)  # links: kept or replaced together
    assert not merged & links
    assert merged | links == {f.name for f in dataclasses.fields(Paper)} - NEVER_MERGED


def test_an_empty_incoming_field_keeps_the_stored_value(store: PaperStore) -> None:
    paper = full_paper()
    store.write_batch([paper])
    poorer = Paper(id=paper.id, title=paper.title, version=paper.version, source="poorer")
    assert store.write_batch([poorer]).unchanged == 1  # nothing it says is new (its source is not hashed)
    kept = store.get(paper.id).paper
    merged = (*paper_store._MERGED_FIELDS, *paper_store._LINK_FIELDS)
    assert {name: getattr(kept, name) for name in merged} == {name: getattr(paper, name) for name in merged}
