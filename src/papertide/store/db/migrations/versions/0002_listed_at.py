"""papers.listed_at: a non-null newest-first sort key, so listings walk an index instead of sorting

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("listed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE papers SET listed_at = COALESCE(submitted_at, created_at)")
    with op.batch_alter_table("papers") as batch:
        batch.alter_column("listed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.create_index("ix_papers_listed_at", "papers", ["listed_at", "pk"])


def downgrade() -> None:
    op.drop_index("ix_papers_listed_at", "papers")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("listed_at")
