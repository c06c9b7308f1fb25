"""Comments in the database: the threads of each paper, their votes, and each paper's count.

Every write that changes whether a comment shows (posting, deleting, hiding, restoring) adjusts the
paper's row in ``paper_discussions`` in the same transaction, so a card reads its count with one key
lookup. A vote count is recomputed from ``comment_votes`` inside the write, never read and written
back, so concurrent votes add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, String, and_, bindparam, delete, func, insert, select, type_coerce, update

from papertide.errors import InvalidInput, NotFound
from papertide.store.db.base import TableStore, insert_ignoring_duplicates, raw_time, utc
from papertide.store.db.schema import comment_votes, comments, paper_discussions, papers


@dataclass(frozen=True, slots=True)
class Comment:
    """One comment as stored; ``body`` is the Markdown source and ``html`` its safe rendering ("" once deleted)."""

    pk: int
    paper_pk: int
    parent_pk: int | None
    user_pk: int | None
    body: str
    html: str
    score: int
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    hidden_note: str | None

    @property
    def shown(self) -> bool:
        """Whether everyone sees it (neither deleted nor hidden): what the paper's count counts."""
        return self.deleted_at is None and self.hidden_at is None


def comment_from_row(row) -> Comment:
    return Comment(
        pk=row.pk,
        paper_pk=row.paper_pk,
        parent_pk=row.parent_pk,
        user_pk=row.user_pk,
        body=row.body,
        html=row.html,
        score=row.score,
        created_at=utc(row.created_at),
        edited_at=utc(row.edited_at),
        deleted_at=utc(row.deleted_at),
        hidden_at=utc(row.hidden_at),
        hidden_note=row.hidden_note,
    )


def shift_count(conn: Connection, paper_pk: int, by: int, at: datetime | None = None) -> None:
    """Add ``by`` to the paper's count of shown comments (``at``: a new comment's time, also its last)."""
    values = {"comments": paper_discussions.c.comments + by}
    if at is not None:
        first = {"paper_pk": paper_pk, "comments": 0, "last_comment_at": at}
        conn.execute(insert_ignoring_duplicates(conn, paper_discussions).values(first))
        values["last_comment_at"] = at
    conn.execute(update(paper_discussions).where(paper_discussions.c.paper_pk == paper_pk).values(values))


def locked_comment(conn: Connection, pk: int) -> Comment | None:
    """The comment, its row locked until the transaction ends (PostgreSQL; SQLite has one writer anyway)."""
    row = conn.execute(select(comments).where(comments.c.pk == pk).with_for_update()).one_or_none()
    return comment_from_row(row) if row else None


def set_hidden(conn: Connection, pk: int, note: str | None, now: datetime) -> Comment:
    """Hide (``note`` given) or restore (None) a comment inside the caller's transaction (the moderation
    store logs the action in the same one); NotFound if there is no such comment."""
    found = locked_comment(conn, pk)
    if found is None:
        raise NotFound(f"there is no comment {pk}")
    hidden = note is not None
    values = {"hidden_at": now, "hidden_note": note} if hidden else {"hidden_at": None, "hidden_note": None}
    conn.execute(update(comments).where(comments.c.pk == pk).values(values))
    if found.deleted_at is None and hidden == (found.hidden_at is None):
        shift_count(conn, found.paper_pk, -1 if hidden else 1)
    return comment_from_row(conn.execute(select(comments).where(comments.c.pk == pk)).one())


_KEYS = bindparam("keys", expanding=True)

# A thread's rows in Comment's field order, the times as the database hands them over: SQLite's text is
# parsed by datetime.fromisoformat (C) rather than by the DateTime type's processor (a 200-comment read
# spent a third of its time there).
_THREAD_COLUMNS = [
    *(comments.c[name] for name in ("pk", "paper_pk", "parent_pk", "user_pk", "body", "html", "score")),
    *(type_coerce(comments.c[name], String) for name in ("created_at", "edited_at", "deleted_at", "hidden_at")),
    comments.c.hidden_note,
]


def _thread_comment(row) -> Comment:
    created, edited, deleted, hidden = map(raw_time, row[7:11])
    return Comment(*row[:7], created, edited, deleted, hidden, row[11])


class CommentStore(TableStore):
    """Post, edit, delete and vote on comments; read a paper's thread and papers' counts."""

    def add(self, paper_pk: int, user_pk: int, body: str, html: str, parent_pk: int | None = None) -> Comment:
        """Store a new comment; a reply's parent must be on the same paper and shown (checked under its lock,
        so a parent deleted or hidden at the same moment cannot gain a reply)."""
        now = self._clock()
        with self._writing() as conn:
            if parent_pk is not None:
                parent = locked_comment(conn, parent_pk)
                if parent is None or parent.paper_pk != paper_pk:
                    raise InvalidInput(
                        f"comment {parent_pk} is not on this paper: a reply answers a comment in the same discussion"
                    )
                if parent.deleted_at is not None:
                    raise InvalidInput(f"comment {parent_pk} has been deleted: it cannot be replied to")
                if parent.hidden_at is not None:
                    raise InvalidInput(f"comment {parent_pk} has been hidden by a moderator: it cannot be replied to")
            row = {"paper_pk": paper_pk, "user_pk": user_pk, "parent_pk": parent_pk, "body": body, "html": html}
            row["created_at"] = now
            pk = conn.execute(insert(comments).values(row).returning(comments.c.pk)).scalar_one()
            shift_count(conn, paper_pk, 1, at=now)
            return comment_from_row(conn.execute(select(comments).where(comments.c.pk == pk)).one())

    def get(self, pk: int) -> Comment | None:
        with self._reading() as conn:
            row = conn.execute(select(comments).where(comments.c.pk == pk)).one_or_none()
        return comment_from_row(row) if row else None

    def thread(self, paper_pk: int) -> list[Comment]:
        """Every comment on the paper, deleted and hidden ones included, oldest first (the caller filters)."""
        query = select(*_THREAD_COLUMNS).where(comments.c.paper_pk == paper_pk)
        with self._reading() as conn:
            return [_thread_comment(row) for row in conn.execute(query.order_by(comments.c.created_at, comments.c.pk))]

    def edit(self, pk: int, user_pk: int, body: str, html: str) -> Comment:
        """Replace the body of the account's own live comment; anyone else's, or a deleted one, is NotFound."""
        with self._writing() as conn:
            found = locked_comment(conn, pk)
            if found is None or found.user_pk != user_pk or found.deleted_at is not None:
                raise NotFound(f"you have no comment {pk} to edit")
            conn.execute(
                update(comments).where(comments.c.pk == pk).values(body=body, html=html, edited_at=self._clock())
            )
            return comment_from_row(conn.execute(select(comments).where(comments.c.pk == pk)).one())

    def delete(self, pk: int, user_pk: int) -> Comment:
        """Mark the account's own comment deleted and empty its body (replies keep their place under it);
        anyone else's, or one already deleted, is NotFound."""
        with self._writing() as conn:
            found = locked_comment(conn, pk)
            if found is None or found.user_pk != user_pk or found.deleted_at is not None:
                raise NotFound(f"you have no comment {pk} to delete")
            conn.execute(update(comments).where(comments.c.pk == pk).values(body="", html="", deleted_at=self._clock()))
            if found.shown:
                shift_count(conn, found.paper_pk, -1)
            return comment_from_row(conn.execute(select(comments).where(comments.c.pk == pk)).one())

    def personal_data(self, user_pk: int) -> list[dict]:
        """The account's comments, for its data export: where, what, when (deleted ones are already empty)."""
        query = (
            select(papers.c.paper_id, comments)
            .join(papers, papers.c.pk == comments.c.paper_pk)
            .where(comments.c.user_pk == user_pk)
            .order_by(comments.c.pk)
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "id": row.pk,
                "paper_id": row.paper_id,
                "parent": row.parent_pk,
                "body": row.body,
                "created_at": utc(row.created_at),
                "edited_at": utc(row.edited_at),
                "deleted": row.deleted_at is not None,
                "hidden_note": row.hidden_note,
            }
            for row in rows
        ]

    def erase_author(self, user_pk: int) -> int:
        """Delete every comment of an account that is itself being deleted; returns how many there were."""
        with self._writing() as conn:
            mine = conn.execute(
                select(comments).where(comments.c.user_pk == user_pk, comments.c.deleted_at.is_(None))
            ).all()
            now = self._clock()
            for row in mine:
                if comment_from_row(row).shown:
                    shift_count(conn, row.paper_pk, -1)
            conn.execute(
                update(comments)
                .where(comments.c.user_pk == user_pk, comments.c.deleted_at.is_(None))
                .values(body="", html="", deleted_at=now)
            )
            return len(mine)

    # -- votes -------------------------------------------------------------------------------

    def set_vote(self, comment_pk: int, user_pk: int, voted: bool) -> int:
        """Make the account's upvote of the comment ``voted`` (idempotent); returns the comment's score after it."""
        with self._writing() as conn:
            # Votes on one comment take its lock in turn: each recount then sees every vote committed before it.
            if locked_comment(conn, comment_pk) is None:
                raise NotFound(f"there is no comment {comment_pk}")
            if voted:
                row = {"user_pk": user_pk, "comment_pk": comment_pk, "created_at": self._clock()}
                conn.execute(insert_ignoring_duplicates(conn, comment_votes).values(row))
            else:
                conn.execute(
                    delete(comment_votes).where(
                        comment_votes.c.user_pk == user_pk, comment_votes.c.comment_pk == comment_pk
                    )
                )
            score = select(func.count()).where(comment_votes.c.comment_pk == comment_pk).scalar_subquery()
            conn.execute(update(comments).where(comments.c.pk == comment_pk).values(score=score))
            return conn.execute(select(comments.c.score).where(comments.c.pk == comment_pk)).scalar_one()

    def voted_among(self, user_pk: int, comment_pks: Sequence[int]) -> set[int]:
        """Which of ``comment_pks`` the account upvoted."""
        if not comment_pks:
            return set()
        query = select(comment_votes.c.comment_pk).where(
            comment_votes.c.user_pk == user_pk, comment_votes.c.comment_pk.in_(list(comment_pks))
        )
        with self._reading() as conn:
            return set(conn.execute(query).scalars())

    # -- counts ------------------------------------------------------------------------------

    def counts(self, paper_pks: Sequence[int]) -> dict[int, int]:
        """Shown comments per paper, for those of ``paper_pks`` that have any (one key lookup each)."""
        if not paper_pks:
            return {}
        query = select(paper_discussions.c.paper_pk, paper_discussions.c.comments).where(
            and_(paper_discussions.c.paper_pk.in_(_KEYS), paper_discussions.c.comments > 0)
        )
        with self._reading() as conn:
            return {row.paper_pk: row.comments for row in conn.execute(query, {"keys": list(paper_pks)})}

    def after(self, pk: int, limit: int) -> list[Comment]:
        """Comments with keys above ``pk``, oldest first: keys only grow, so a reader resumes where it stopped."""
        query = select(comments).where(comments.c.pk > pk).order_by(comments.c.pk).limit(limit)
        with self._reading() as conn:
            return [comment_from_row(row) for row in conn.execute(query)]
