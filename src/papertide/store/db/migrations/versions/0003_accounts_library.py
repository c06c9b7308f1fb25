"""accounts (users, sign-in links, sessions, API tokens, rate-limit hits), votes, collections

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_seen_at", _TS),
    )
    op.create_table(
        "login_tokens",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("next_url", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS),
    )
    op.create_index("ix_login_tokens_expires_at", "login_tokens", ["expires_at"])
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("user_agent", sa.Text),
    )
    op.create_index("ix_sessions_user_pk", "sessions", ["user_pk"])
    op.create_table(
        "api_tokens",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("last_used_at", _TS),
    )
    op.create_index("ix_api_tokens_user_pk", "api_tokens", ["user_pk"])
    op.create_table(
        "rate_limit_hits",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("bucket", sa.String(300), nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_rate_limit_hits_bucket_at", "rate_limit_hits", ["bucket", "at"])
    op.create_table(
        "votes",
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_votes_paper_pk", "votes", ["paper_pk", "created_at"])
    op.create_index("ix_votes_created_at", "votes", ["created_at"])
    op.create_table(
        "collections",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("public_id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("is_default", sa.Boolean, nullable=False),
        sa.Column("is_public", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.UniqueConstraint("user_pk", "name", name="uq_collections_user_name"),
    )
    op.create_table(
        "collection_items",
        sa.Column("collection_pk", sa.Integer, sa.ForeignKey("collections.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("added_at", _TS, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_collection_items_collection_added", "collection_items", ["collection_pk", "added_at"])
    op.create_index("ix_collection_items_paper_pk", "collection_items", ["paper_pk"])


def downgrade() -> None:
    for table in ("collection_items", "collections", "votes", "rate_limit_hits", "api_tokens", "sessions",
                  "login_tokens", "users"):
        op.drop_table(table)
