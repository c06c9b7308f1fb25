"""api_tokens.scope: a token reads only, or reads and writes; tokens made before scopes keep writing

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN with a constant default works in place on SQLite and PostgreSQL alike: every
    # existing row reads 'write', which is what a token could do before scopes existed.
    op.add_column("api_tokens", sa.Column("scope", sa.String(8), nullable=False, server_default="write"))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("scope")
