"""discussion: comments, their votes and reports, per-paper counts; account roles, commenting suspensions, moderation log

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0013"  # 0013 landed on main first: later migrations follow it (see 0007)
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _user(name: str, ondelete: str, **kwargs) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.pk", ondelete=ondelete), **kwargs)


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), nullable=False),
        _user("user_pk", "SET NULL"),
        sa.Column("parent_pk", sa.Integer, sa.ForeignKey("comments.pk", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("html", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("edited_at", _TS),
        sa.Column("deleted_at", _TS),
        sa.Column("hidden_at", _TS),
        sa.Column("hidden_note", sa.Text),
    )
    op.create_index("ix_comments_paper_created", "comments", ["paper_pk", "created_at", "pk"])
    op.create_index("ix_comments_created_at", "comments", ["created_at", "paper_pk"])
    op.create_index("ix_comments_user_created", "comments", ["user_pk", "created_at"])
    op.create_index("ix_comments_parent_pk", "comments", ["parent_pk"])
    op.create_table(
        "paper_discussions",
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("comments", sa.Integer, nullable=False),
        sa.Column("last_comment_at", _TS, nullable=False),
    )
    op.create_index("ix_paper_discussions_last_comment_at", "paper_discussions", ["last_comment_at"])
    op.create_table(
        "comment_votes",
        _user("user_pk", "CASCADE", primary_key=True),
        sa.Column("comment_pk", sa.Integer, sa.ForeignKey("comments.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_comment_votes_comment_pk", "comment_votes", ["comment_pk"])
    op.create_table(
        "comment_reports",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("comment_pk", sa.Integer, sa.ForeignKey("comments.pk", ondelete="CASCADE"), nullable=False),
        _user("reporter_pk", "CASCADE", nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("resolved_at", _TS),
        _user("resolved_by", "SET NULL"),
        sa.UniqueConstraint("comment_pk", "reporter_pk", name="uq_comment_reports_comment_reporter"),
    )
    op.create_index("ix_comment_reports_open", "comment_reports", ["resolved_at", "created_at"])
    op.create_table(
        "account_roles",
        _user("user_pk", "CASCADE", primary_key=True),
        sa.Column("role", sa.String(32), primary_key=True),
        sa.Column("granted_at", _TS, nullable=False),
    )
    op.create_table(
        "commenting_suspensions",
        _user("user_pk", "CASCADE", primary_key=True),
        sa.Column("suspended_at", _TS, nullable=False),
        _user("suspended_by", "SET NULL"),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_table(
        "moderation_log",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", _TS, nullable=False),
        _user("actor_pk", "SET NULL"),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("target_kind", sa.String(16), nullable=False),
        sa.Column("target_pk", sa.Integer, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_moderation_log_at", "moderation_log", ["at"])


def downgrade() -> None:
    for table in (
        "moderation_log",
        "commenting_suspensions",
        "account_roles",
        "comment_reports",
        "comment_votes",
        "paper_discussions",
        "comments",
    ):
        op.drop_table(table)
