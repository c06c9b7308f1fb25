"""papers.title_key and papers.doi_key: indexed keys an imported BibTeX/RIS reference finds its paper by

Revision ID: 0005
Revises: 0009
Create Date: 2026-11-30

Numbered 0005 when it was planned, it landed after 0007 and 0009: it follows them in the chain, so
that databases already migrated to those get it too.
"""

import sqlalchemy as sa
from alembic import op

from papertide.model import normalize_doi
from papertide.text import title_key

revision = "0005"
down_revision = "0009"
branch_labels = None
depends_on = None

_CHUNK = 5000


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        batch.add_column(sa.Column("title_key", sa.Text))
        batch.add_column(sa.Column("doi_key", sa.Text))
    # The keys of papers already stored, from the same functions the store applies to new ones.
    conn = op.get_bind()
    select = sa.text("SELECT pk, title, doi FROM papers WHERE pk > :last ORDER BY pk LIMIT :n")
    update = sa.text("UPDATE papers SET title_key = :title_key, doi_key = :doi_key WHERE pk = :pk")
    last = 0
    while rows := conn.execute(select, {"last": last, "n": _CHUNK}).all():
        keys = [{"pk": pk, "title_key": title_key(title), "doi_key": normalize_doi(doi)} for pk, title, doi in rows]
        conn.execute(update, keys)
        last = rows[-1].pk
    op.create_index("ix_papers_title_key", "papers", ["title_key"])
    op.create_index("ix_papers_doi_key", "papers", ["doi_key"])


def downgrade() -> None:
    op.drop_index("ix_papers_doi_key", "papers")
    op.drop_index("ix_papers_title_key", "papers")
    with op.batch_alter_table("papers") as batch:
        batch.drop_column("doi_key")
        batch.drop_column("title_key")
