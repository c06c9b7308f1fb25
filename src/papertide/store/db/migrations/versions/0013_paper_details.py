"""paper details: project page, the source of the code links, licence, Hugging Face's summary and keywords

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def _columns() -> list[sa.Column]:
    return [
        sa.Column("url_project", sa.Text),
        sa.Column("links_source", sa.String(32)),
        sa.Column("license", sa.Text),
        sa.Column("ai_summary", sa.Text),
        sa.Column("ai_keywords", sa.JSON),
    ]


def upgrade() -> None:
    # Nullable columns: existing rows need no rewrite, and batch mode copies SQLite's table only if it must.
    with op.batch_alter_table("papers") as batch:
        for column in _columns():
            batch.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        for column in reversed(_columns()):
            batch.drop_column(column.name)
