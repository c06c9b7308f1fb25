"""author_names: every spelling of an author's name, so an author page can tell when initials are unambiguous

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from papertide.model import MAX_AUTHOR_LENGTH
from papertide.store.authors.names import add_author_names

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    table = op.create_table(
        "author_names",
        sa.Column("name_key", sa.String(MAX_AUTHOR_LENGTH), primary_key=True),
        sa.Column("initials_key", sa.String(MAX_AUTHOR_LENGTH)),
    )
    op.create_index("ix_author_names_initials_key", "author_names", ["initials_key"])
    # The names of papers already stored, by the same function every later write applies.
    conn = op.get_bind()
    papers = sa.table("papers", sa.column("pk", sa.Integer), sa.column("authors", sa.JSON))
    last = 0
    while rows := conn.execute(
        sa.select(papers.c.pk, papers.c.authors).where(papers.c.pk > last).order_by(papers.c.pk).limit(_CHUNK)
    ).all():
        add_author_names(conn, (name for row in rows for name in row.authors), table)
        last = rows[-1].pk


def downgrade() -> None:
    op.drop_table("author_names")
