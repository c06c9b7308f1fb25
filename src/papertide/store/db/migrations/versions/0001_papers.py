"""papers, their categories and signals, harvest checkpoints

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String(64), nullable=False, unique=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("authors", sa.JSON, nullable=False),
        sa.Column("title_raw", sa.Text, nullable=False),
        sa.Column("abstract_raw", sa.Text, nullable=False),
        sa.Column("authors_raw", sa.JSON, nullable=False),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("doi", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("comments", sa.Text),
        sa.Column("url_abs", sa.Text),
        sa.Column("url_pdf", sa.Text),
        sa.Column("url_code", sa.Text),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(32), nullable=False),
        sa.Column("change_seq", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_papers_submitted_at", "papers", ["submitted_at"])
    op.create_index("ix_papers_change_seq", "papers", ["change_seq"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("category", sa.String(32), primary_key=True),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category", "paper_pk"])
    op.create_table(
        "paper_signals",
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("observed_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("value", sa.Float, nullable=False),
    )
    op.create_table(
        "checkpoints",
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
    op.drop_table("paper_signals")
    op.drop_table("paper_categories")
    op.drop_table("papers")
