"""What the discussions amount to, read for pages and feeds: a paper's latest comments, the most discussed.

Both read only comments everyone can see (neither deleted nor hidden), through the partial index
``ix_comments_shown_created`` (migration 0015), which holds exactly those, by time: the week's
most discussed papers count index entries and never read a comment's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from papertide.store.db.base import TableStore
from papertide.store.db.schema import comments
from papertide.store.discussion.comments import Comment, comment_from_row

_c = comments.c
SHOWN = _c.deleted_at.is_(None) & _c.hidden_at.is_(None)


@dataclass(frozen=True, slots=True)
class Discussed:
    """A paper and how many comments it gained in the window."""

    paper_pk: int
    comments: int


class DiscussionActivity(TableStore):
    """Read-only queries over every discussion."""

    def latest(self, paper_pk: int, limit: int) -> list[Comment]:
        """The paper's newest shown comments, newest first (a discussion's feed)."""
        query = (
            select(comments)
            .where(_c.paper_pk == paper_pk, SHOWN)
            .order_by(_c.created_at.desc(), _c.pk.desc())
            .limit(limit)
        )
        with self._reading() as conn:
            return [comment_from_row(row) for row in conn.execute(query)]

    def most_discussed(self, since: datetime, limit: int, offset: int = 0) -> list[Discussed]:
        """Papers by how many shown comments they gained since ``since``, most first (ties: newest paper key)."""
        # MATERIALIZED: the window's shown comments are read from the partial index alone; left to itself,
        # SQLite's planner scans every comment in (paper, time) order for the GROUP BY (50k comments: 74 ms).
        recent = select(_c.paper_pk).where(_c.created_at >= since, SHOWN).cte("recent").prefix_with("MATERIALIZED")
        counted = func.count().label("n")
        query = (
            select(recent.c.paper_pk, counted)
            .group_by(recent.c.paper_pk)
            .order_by(counted.desc(), recent.c.paper_pk.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._reading() as conn:
            return [Discussed(row.paper_pk, row.n) for row in conn.execute(query)]
