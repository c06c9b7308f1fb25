"""discussion follows and their notification outbox; shown comments by time

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    shown = sa.text("deleted_at IS NULL AND hidden_at IS NULL")
    op.create_index(
        "ix_comments_shown_created",
        "comments",
        ["created_at", "paper_pk"],
        sqlite_where=shown,
        postgresql_where=shown,
    )
    op.create_table(
        "discussion_follows",
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("following", sa.Boolean, nullable=False),
        sa.Column("changed_at", _TS, nullable=False),
        sa.Column("seen_pk", sa.Integer, nullable=False),
        sa.Column("last_mail_at", _TS),
    )
    op.create_index("ix_discussion_follows_paper", "discussion_follows", ["paper_pk", "following"])
    op.create_table(
        "discussion_outbox",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
        sa.Column("window", sa.String(16), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("message", sa.LargeBinary),
        sa.Column("comment_pks", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("uncertain", sa.Integer, nullable=False),
        sa.Column("handoff_at", _TS),
        sa.Column("next_attempt_at", _TS, nullable=False),
        sa.Column("claimed_by", sa.String(100)),
        sa.Column("claim_token", sa.String(32)),
        sa.Column("lease_until", _TS),
        sa.Column("detail", sa.Text),
        sa.Column("smtp_code", sa.Integer),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("sent_at", _TS),
        sa.UniqueConstraint("user_pk", "paper_pk", "window", name="uq_discussion_outbox_follower_window"),
    )
    op.create_index("ix_discussion_outbox_state_next", "discussion_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("discussion_outbox")
    op.drop_table("discussion_follows")
    op.drop_index("ix_comments_shown_created", table_name="comments")
