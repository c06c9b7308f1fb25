"""Tables of the paper store (SQLAlchemy Core), the same for SQLite and PostgreSQL.

Papers get a surrogate integer key ``pk`` that search indexes use as their document id; the
public id (``paper_id``) is the arXiv id without version, or a namespaced id for other sources.
``change_seq`` increases with every insert or change, so indexers can catch up incrementally.
Alembic migrations in ``migrations/versions`` create these tables; keep both in step.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

papers = Table(
    "papers",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False, unique=True),
    Column("version", Integer, nullable=False),
    Column("title", Text, nullable=False, comment="display form: TeX accents resolved, whitespace folded"),
    Column("abstract", Text, nullable=False),
    Column("authors", JSON, nullable=False, comment="display names, in order"),
    Column("title_raw", Text, nullable=False, comment="as the source gave it"),
    Column("abstract_raw", Text, nullable=False),
    Column("authors_raw", JSON, nullable=False),
    Column("categories", JSON, nullable=False, comment="primary first"),
    Column("primary_category", String(32)),
    Column("submitted_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True)),
    Column("doi", Text),
    Column("journal_ref", Text),
    Column("comments", Text),
    Column("url_abs", Text),
    Column("url_pdf", Text),
    Column("url_code", Text),
    Column("source", String(32), nullable=False),
    Column("versions", JSON, nullable=False),
    Column("content_hash", String(32), nullable=False),
    Column("change_seq", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False),
    Column("listed_at", DateTime(timezone=True), nullable=False, comment="newest-first key: submitted, else stored"),
    Index("ix_papers_submitted_at", "submitted_at"),
    Index("ix_papers_listed_at", "listed_at", "pk"),
    Index("ix_papers_change_seq", "change_seq"),
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("category", String(32), primary_key=True),
    Index("ix_paper_categories_category", "category", "paper_pk"),
)

paper_signals = Table(
    "paper_signals",
    metadata,
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("name", String(32), primary_key=True),
    Column("observed_at", DateTime(timezone=True), primary_key=True),
    Column("value", Float, nullable=False),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
