"""the worker: digest outbox, bounce scores, job leases, worker heartbeats

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
# 0009 and 0005 reached main first: the chain runs 0007 -> 0009 -> 0005 -> 0008, one line.
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "digest_outbox",
        sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column(
            "subscription_pk", sa.Integer, sa.ForeignKey("subscriptions.pk", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("message", sa.LargeBinary),
        sa.Column("paper_pks", sa.JSON, nullable=False),
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
        sa.UniqueConstraint("subscription_pk", "period", name="uq_digest_outbox_subscription_period"),
    )
    op.create_index("ix_digest_outbox_state_next", "digest_outbox", ["state", "next_attempt_at"])
    op.create_table(
        "mail_bounces",
        sa.Column("address", sa.String(254), primary_key=True),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("scored_at", _TS, nullable=False),
        sa.Column("counted_on", sa.String(10), nullable=False),
        sa.Column("counted_weight", sa.Float, nullable=False),
        sa.Column("bounces", sa.Integer, nullable=False),
        sa.Column("last_reason", sa.Text),
        sa.Column("suspended_at", _TS),
    )
    op.create_table(
        "worker_jobs",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(100)),
        sa.Column("lease_until", _TS),
        sa.Column("run_key", sa.String(64)),
        sa.Column("done_key", sa.String(64)),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("retry_at", _TS),
        sa.Column("started_at", _TS),
        sa.Column("finished_at", _TS),
        sa.Column("runs", sa.Integer, nullable=False),
        sa.Column("detail", sa.JSON),
    )
    op.create_table(
        "worker_processes",
        sa.Column("worker_id", sa.String(100), primary_key=True),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.Column("step", sa.String(64)),
        sa.Column("stopped_at", _TS),
    )


def downgrade() -> None:
    for table in ("worker_processes", "worker_jobs", "mail_bounces", "digest_outbox"):
        op.drop_table(table)
