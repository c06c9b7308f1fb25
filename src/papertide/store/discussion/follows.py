"""Who follows which discussion, and the outbox of their notification mail.

A reader follows a discussion by commenting in it (the worker notices new comments in key order,
from a checkpoint, see :meth:`FollowStore.follow_commenters`) or by pressing Follow; they stop
with Unfollow or a mail's one-click unsubscribe. Stopping keeps the row (``following`` false,
``changed_at`` when), so only a comment written *after* stopping makes them follow again.

Exactly once: a notification is stored in ``discussion_outbox`` in the same transaction that moves
the follower's ``seen_pk`` past the comments it tells of, and the (follower, paper, hour window)
key is unique, so two workers, or a worker killed and started again, never store a second mail for
the same comments; sending reuses the digests' claims (:class:`~papertide.store.digest.outbox.OutboxStore`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, case, func, or_, select, update

from papertide.store.db.base import TableStore, insert_ignoring_duplicates, utc
from papertide.store.db.schema import checkpoints, comments, discussion_follows, discussion_outbox, users
from papertide.store.digest.outbox import Claimed, OutboxStore

_f = discussion_follows.c
_c = comments.c
SCANNED = "discussion-follows:scanned"  # the checkpoint: the last comment key whose author now follows
QUIET = timedelta(hours=1)  # at most one notification per discussion and follower this often


def notification_key(user_pk: int, paper_pk: int, window: str) -> str:
    """A notification's identity: its outbox key and the unique part of its Message-ID."""
    return f"discussion.{user_pk}.{paper_pk}.{window}"


def hour_window(moment: datetime) -> str:
    """The UTC hour a notification is enqueued in (``YYYYMMDDHH``)."""
    return f"{moment.astimezone(UTC):%Y%m%d%H}"


@dataclass(frozen=True, slots=True)
class Due:
    """A follower with comments to hear about: ``comment_pks`` (oldest first) on ``paper_pk``."""

    user_pk: int
    address: str
    paper_pk: int
    comment_pks: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NewNotification:
    """A rendered notification to store; ``message`` None records a skip (``detail`` says why)."""

    due: Due
    window: str
    message: bytes | None
    detail: str | None = None

    @property
    def key(self) -> str:
        return notification_key(self.due.user_pk, self.due.paper_pk, self.window)


def _latest_comment(conn: Connection, paper_pk: int) -> int:
    return conn.execute(select(func.coalesce(func.max(_c.pk), 0)).where(_c.paper_pk == paper_pk)).scalar_one()


class FollowStore(TableStore):
    """Follow and unfollow; find the followers who have something new to hear about."""

    def set_following(self, user_pk: int, paper_pk: int, following: bool) -> bool:
        """Follow (from the newest comment on: older ones are not mailed) or stop; whether anything changed."""
        now = self._clock()
        with self._writing() as conn:
            current = self._following(conn, user_pk, paper_pk)
            if current == following:
                return False
            values = {"following": following, "changed_at": now}
            if following or current is None:
                values["seen_pk"] = _latest_comment(conn, paper_pk)
            if current is None:
                conn.execute(discussion_follows.insert().values(user_pk=user_pk, paper_pk=paper_pk, **values))
            else:
                conn.execute(
                    update(discussion_follows).where(_f.user_pk == user_pk, _f.paper_pk == paper_pk).values(values)
                )
            return True

    def is_following(self, user_pk: int, paper_pk: int) -> bool:
        with self._reading() as conn:
            return bool(self._following(conn, user_pk, paper_pk))

    @staticmethod
    def _following(conn: Connection, user_pk: int, paper_pk: int) -> bool | None:
        """True, False (stopped), or None (never followed)."""
        query = select(_f.following).where(_f.user_pk == user_pk, _f.paper_pk == paper_pk)
        value = conn.execute(query).scalar_one_or_none()
        return None if value is None else bool(value)

    def followers(self, paper_pk: int) -> list[int]:
        """The accounts following the paper's discussion now."""
        query = select(_f.user_pk).where(_f.paper_pk == paper_pk, _f.following.is_(True)).order_by(_f.user_pk)
        with self._reading() as conn:
            return list(conn.execute(query).scalars())

    def follow_commenters(self, limit: int = 1000) -> int:
        """Make the authors of comments written since the checkpoint follow their discussions; how many comments.

        A comment counts as its author having read the discussion up to it (``seen_pk``), and one
        written before its author stopped following does not make them follow again.
        """
        with self._writing() as conn:
            done = conn.execute(select(checkpoints.c.value).where(checkpoints.c.key == SCANNED)).scalar()
            after = int(done) if done else 0
            rows = conn.execute(
                select(_c.pk, _c.paper_pk, _c.user_pk, _c.created_at).where(_c.pk > after).order_by(_c.pk).limit(limit)
            ).all()
            for row in rows:
                if row.user_pk is not None:
                    self._commented(conn, row.user_pk, row.paper_pk, row.pk, utc(row.created_at))
            if rows:
                self._checkpoint(conn, rows[-1].pk, done is None)
            return len(rows)

    def _commented(self, conn: Connection, user_pk: int, paper_pk: int, comment_pk: int, at: datetime) -> None:
        first = {"user_pk": user_pk, "paper_pk": paper_pk, "following": True, "changed_at": at, "seen_pk": comment_pk}
        inserted = insert_ignoring_duplicates(conn, discussion_follows).values(first).returning(_f.user_pk)
        if conn.execute(inserted).first() is not None:  # (rowcount is -1 here on PostgreSQL)
            return
        mine = and_(_f.user_pk == user_pk, _f.paper_pk == paper_pk)
        conn.execute(
            update(discussion_follows)
            .where(mine, or_(_f.following.is_(True), _f.changed_at < at))
            .values(following=True, seen_pk=case((_f.seen_pk > comment_pk, _f.seen_pk), else_=comment_pk))
        )

    def _checkpoint(self, conn: Connection, pk: int, new: bool) -> None:
        values = {"value": str(pk), "updated_at": self._clock()}
        if new:
            conn.execute(checkpoints.insert().values(key=SCANNED, **values))
        else:
            conn.execute(update(checkpoints).where(checkpoints.c.key == SCANNED).values(values))

    def due(self, now: datetime, limit: int = 500) -> list[Due]:
        """Followers with shown comments by others newer than they have heard of, and no mail in the last hour."""
        newer = and_(
            _c.paper_pk == _f.paper_pk,
            _c.pk > _f.seen_pk,
            or_(_c.user_pk.is_(None), _c.user_pk != _f.user_pk),
            _c.deleted_at.is_(None),
            _c.hidden_at.is_(None),
        )
        query = (
            select(_f.user_pk, _f.paper_pk, users.c.email, _c.pk)
            .join(users, users.c.pk == _f.user_pk)
            .join(comments, newer)
            .where(_f.following.is_(True), or_(_f.last_mail_at.is_(None), _f.last_mail_at <= now - QUIET))
            .order_by(_f.user_pk, _f.paper_pk, _c.pk)
        )
        found: dict[tuple[int, int], tuple[str, list[int]]] = {}
        with self._reading() as conn:
            for row in conn.execute(query):
                key = (row.user_pk, row.paper_pk)
                if key not in found:
                    if len(found) == limit:
                        break
                    found[key] = (row.email, [])
                found[key][1].append(row.pk)
        return [Due(user, email, paper, tuple(pks)) for (user, paper), (email, pks) in found.items()]


class NotificationOutbox(OutboxStore):
    """The notifications' outbox: the digests' claiming and concluding over ``discussion_outbox``."""

    table = discussion_outbox

    def enqueue_notifications(self, batch: Sequence[NewNotification]) -> list[bool]:
        """Store each notification and move its follower past its comments, all in one transaction; for
        each, whether it was new (an existing key changes nothing, not even the follower's position)."""
        now = self._clock()
        stored = []
        with self._writing() as conn:
            for item in batch:
                new = self._claims.insert_missing(conn, discussion_outbox, self._notification_row(item, now))
                if new:
                    due = item.due
                    conn.execute(
                        update(discussion_follows)
                        .where(_f.user_pk == due.user_pk, _f.paper_pk == due.paper_pk)
                        .values(seen_pk=max(due.comment_pks), last_mail_at=now)
                    )
                stored.append(new)
        return stored

    @staticmethod
    def _notification_row(item: NewNotification, now: datetime) -> dict:
        return {
            "key": item.key,
            "user_pk": item.due.user_pk,
            "paper_pk": item.due.paper_pk,
            "window": item.window,
            "address": item.due.address,
            "state": "pending" if item.message is not None else "skipped",
            "message": item.message,
            "comment_pks": list(item.due.comment_pks),
            "attempts": 0,
            "uncertain": 0,
            "next_attempt_at": now,
            "detail": item.detail,
            "created_at": now,
            "updated_at": now,
        }

    def still_subscribed(self, claims: Iterable[Claimed]) -> set[int]:
        """Which claimed rows' followers still follow: unfollowing stops a notification not yet sent."""
        o = discussion_outbox.c
        statement = (
            select(o.pk)
            .join(discussion_follows, and_(_f.user_pk == o.user_pk, _f.paper_pk == o.paper_pk))
            .where(o.pk.in_([claim.pk for claim in claims]), _f.following.is_(True))
        )
        with self._reading() as conn:
            return set(conn.execute(statement).scalars())

    def states(self) -> list[tuple[str, str, int]]:
        """(key, state, uncertain) of every row, oldest first: what tests and status read."""
        o = discussion_outbox.c
        with self._reading() as conn:
            return [tuple(row) for row in conn.execute(select(o.key, o.state, o.uncertain).order_by(o.pk))]
