"""search_texts: long search texts, so that their result pages have short addresses

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_texts",
        sa.Column("text_id", sa.String(32), primary_key=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_search_texts_saved_at", "search_texts", ["saved_at"])


def downgrade() -> None:
    op.drop_table("search_texts")
