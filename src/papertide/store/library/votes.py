"""Upvotes in the database: one row per (account, paper), so a count is exact by construction.

Voting inserts the row (ignoring one that exists) and withdrawing deletes it; no count is ever
read, changed and written back, so any number of concurrent votes, from any number of processes,
add up. Rows point at the paper's surrogate key, which a new arXiv version keeps.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, delete, func, select

from papertide.store.db.base import TableStore, insert_ignoring_duplicates
from papertide.store.db.schema import votes

_KEYS = bindparam("keys", expanding=True)
_COUNTS_OF = (
    select(votes.c.paper_pk, func.count().label("n")).where(votes.c.paper_pk.in_(_KEYS)).group_by(votes.c.paper_pk)
)
_COUNT_OF = select(func.count()).select_from(votes).where(votes.c.paper_pk == bindparam("paper_pk"))


def vote_counts(conn: Connection, paper_pks: Sequence[int]) -> dict[int, int]:
    """Votes per paper for those of ``paper_pks`` that have any (the paper store attaches them to papers)."""
    if not paper_pks:
        return {}
    return {row.paper_pk: row.n for row in conn.execute(_COUNTS_OF, {"keys": list(paper_pks)})}


class VoteStore(TableStore):
    """Record, withdraw and count upvotes."""

    def set_vote(self, user_pk: int, paper_pk: int, voted: bool) -> int:
        """Make the account's vote on the paper ``voted`` (idempotent); returns the paper's count after it."""
        with self._writing() as conn:
            if voted:
                row = {"user_pk": user_pk, "paper_pk": paper_pk, "created_at": self._clock()}
                conn.execute(insert_ignoring_duplicates(conn, votes).values(row))
            else:
                conn.execute(delete(votes).where(votes.c.user_pk == user_pk, votes.c.paper_pk == paper_pk))
            return conn.execute(_COUNT_OF, {"paper_pk": paper_pk}).scalar_one()

    def count(self, paper_pk: int) -> int:
        with self._reading() as conn:
            return conn.execute(_COUNT_OF, {"paper_pk": paper_pk}).scalar_one()

    def voted_pks(self, user_pk: int) -> list[int]:
        """The papers the account upvoted, most recent vote first."""
        query = select(votes.c.paper_pk).where(votes.c.user_pk == user_pk).order_by(votes.c.created_at.desc())
        with self._reading() as conn:
            return list(conn.execute(query).scalars())

    def some_voted(self, user_pk: int, limit: int) -> list[int]:
        """Up to ``limit`` papers the account upvoted, in no order (one covering-index scan, no table rows)."""
        query = select(votes.c.paper_pk).where(votes.c.user_pk == user_pk).limit(limit)
        with self._reading() as conn:
            return list(conn.execute(query).scalars())

    def voted_among(self, user_pk: int, paper_pks: Sequence[int]) -> set[int]:
        """Which of ``paper_pks`` the account upvoted (one indexed query)."""
        if not paper_pks:
            return set()
        query = select(votes.c.paper_pk).where(votes.c.user_pk == user_pk, votes.c.paper_pk.in_(list(paper_pks)))
        with self._reading() as conn:
            return set(conn.execute(query).scalars())
