"""trending: the change log the vote and signal triggers write, attention per paper and window, removals, state

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_WINDOWS = ("day", "week", "month")
_PARTS = (("upvotes", sa.Integer), ("counted", sa.Float), ("hf_upvotes", sa.Float), ("github_stars", sa.Float))

_TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER trending_vote_added AFTER INSERT ON votes "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); END",
        "CREATE TRIGGER trending_vote_removed AFTER DELETE ON votes "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (OLD.paper_pk); END",
        "CREATE TRIGGER trending_signal_added AFTER INSERT ON paper_signals "
        "BEGIN INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); END",
    ],
    "postgresql": [
        "CREATE FUNCTION trending_note_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' THEN INSERT INTO trending_changes (paper_pk) VALUES (OLD.paper_pk); RETURN OLD; END IF; "
        "INSERT INTO trending_changes (paper_pk) VALUES (NEW.paper_pk); RETURN NEW; END $$",
        "CREATE TRIGGER trending_vote_changed AFTER INSERT OR DELETE ON votes "
        "FOR EACH ROW EXECUTE FUNCTION trending_note_change()",
        "CREATE TRIGGER trending_signal_added AFTER INSERT ON paper_signals "
        "FOR EACH ROW EXECUTE FUNCTION trending_note_change()",
    ],
}
_DROP = {
    "sqlite": ["DROP TRIGGER trending_vote_added", "DROP TRIGGER trending_vote_removed",
               "DROP TRIGGER trending_signal_added"],
    "postgresql": ["DROP TRIGGER trending_vote_changed ON votes", "DROP TRIGGER trending_signal_added ON paper_signals",
                   "DROP FUNCTION trending_note_change()"],
}


def upgrade() -> None:
    op.create_index("ix_paper_signals_observed_at", "paper_signals", ["observed_at"])
    op.create_table(
        "trending_changes",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_pk", sa.Integer, nullable=False),
    )
    op.create_table(
        "trending_papers",
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("listed_at", _TS, nullable=False),
        *(sa.Column(f"{window}_{part}", kind, nullable=False) for window in _WINDOWS for part, kind in _PARTS),
    )
    op.create_index("ix_trending_papers_generation", "trending_papers", ["generation"])
    op.create_index("ix_trending_papers_listed_at", "trending_papers", ["listed_at"])
    op.create_table(
        "trending_removed",
        sa.Column("paper_pk", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("removed_at", _TS, nullable=False),
    )
    op.create_table(
        "trending_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("as_of", _TS, nullable=False),
        sa.Column("papers_seq", sa.Integer, nullable=False),
        sa.Column("purged_generation", sa.Integer, nullable=False),
        sa.Column("vote_rules", sa.String(200), nullable=False),
    )
    for statement in _TRIGGERS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade() -> None:
    for statement in _DROP.get(op.get_bind().dialect.name, []):
        op.execute(statement)
    for table in ("trending_state", "trending_removed", "trending_papers", "trending_changes"):
        op.drop_table(table)
    op.drop_index("ix_paper_signals_observed_at", "paper_signals")
