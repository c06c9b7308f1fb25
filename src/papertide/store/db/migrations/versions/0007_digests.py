"""digest subscriptions, their confirmation links and alerts, the papers each was sent; papers by arrival

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
# Migrations that land after this one follow it (as 0005 does), whatever their number: one put
# before it would never run on databases already migrated to 0007. Keep the chain linear.
down_revision = "0004"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Digests take the papers that arrived since the last one: an index on the arrival time.
    op.create_index("ix_papers_created_at", "papers", ["created_at"])
    op.create_table(
        "subscriptions",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("user_pk", sa.Integer, sa.ForeignKey("users.pk", ondelete="CASCADE")),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("preferences", sa.JSON, nullable=False),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("confirmed_at", _TS),
        sa.Column("unsubscribed_at", _TS),
        sa.Column("last_cutoff", _TS),
    )
    op.create_index("ix_subscriptions_status", "subscriptions", ["status"])
    op.create_index("ix_subscriptions_user_pk", "subscriptions", ["user_pk"])
    op.create_table(
        "subscription_confirmations",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "subscription_pk", sa.Integer, sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS),
    )
    op.create_index(
        "ix_subscription_confirmations_subscription_pk", "subscription_confirmations", ["subscription_pk"]
    )
    op.create_table(
        "alerts",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_pk", sa.Integer, sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.UniqueConstraint("subscription_pk", "kind", "value", name="uq_alerts_subscription_kind_value"),
    )
    op.create_table(
        "digest_papers",
        sa.Column(
            "subscription_pk", sa.Integer, sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("recorded_at", _TS, nullable=False),
    )
    op.create_index("ix_digest_papers_subscription_period", "digest_papers", ["subscription_pk", "period"])


def downgrade() -> None:
    for table in ("digest_papers", "alerts", "subscription_confirmations", "subscriptions"):
        op.drop_table(table)
    op.drop_index("ix_papers_created_at", "papers")
