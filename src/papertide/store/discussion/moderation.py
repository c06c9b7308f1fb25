"""Moderation in the database: reports on comments, hiding and restoring, commenting suspensions, and the
log of every moderator action, each written in the same transaction as the action it records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from papertide.errors import NotFound
from papertide.store.db.base import TableStore, insert_ignoring_duplicates, utc
from papertide.store.db.schema import comment_reports, commenting_suspensions, comments, moderation_log, users
from papertide.store.discussion.comments import Comment, comment_from_row, set_hidden

# The name the log gives an action taken from the command line (no account behind it).
COMMAND_LINE = "command line"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an account (``pk``) or the command line (``pk`` None); ``name`` is what the log shows."""

    pk: int | None
    name: str


@dataclass(frozen=True, slots=True)
class Report:
    pk: int
    comment_pk: int
    reporter_pk: int
    reason: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReportedComment:
    """A comment with open reports, as the moderation queue lists it (most reported, then oldest first)."""

    comment: Comment
    reports: list[Report]


@dataclass(frozen=True, slots=True)
class Suspension:
    user_pk: int
    suspended_at: datetime
    suspended_by: int | None
    note: str


@dataclass(frozen=True, slots=True)
class LogEntry:
    pk: int
    at: datetime
    actor: str
    action: str
    target_kind: str
    target_pk: int
    note: str


def log_action(conn: Connection, at: datetime, actor: Actor, action: str, target: tuple[str, int], note: str) -> None:
    """Record one moderation action (``target``: kind and key) in the caller's transaction."""
    kind, pk = target
    row = {"at": at, "actor_pk": actor.pk, "actor": actor.name, "action": action, "target_kind": kind}
    conn.execute(insert(moderation_log).values(**row, target_pk=pk, note=note))


def _report(row) -> Report:
    return Report(row.pk, row.comment_pk, row.reporter_pk, row.reason, utc(row.created_at))


class ModerationStore(TableStore):
    """Reports, hide/restore, suspensions and the log."""

    def report(self, comment_pk: int, reporter_pk: int, reason: str) -> bool:
        """File a report; returns False if this account already reported this comment (the first stands)."""
        row = {"comment_pk": comment_pk, "reporter_pk": reporter_pk, "reason": reason, "created_at": self._clock()}
        with self._writing() as conn:
            if conn.execute(select(comments.c.pk).where(comments.c.pk == comment_pk)).first() is None:
                raise NotFound(f"there is no comment {comment_pk}")
            return (
                conn.execute(
                    insert_ignoring_duplicates(conn, comment_reports)
                    .values(row)
                    .returning(comment_reports.c.comment_pk)
                ).first()
                is not None
            )

    def open_reports(self, limit: int) -> list[ReportedComment]:
        """Comments with reports no moderator has acted on yet, most reported first."""
        open_ = comment_reports.c.resolved_at.is_(None)
        ranked = (
            select(
                comment_reports.c.comment_pk,
                func.count().label("n"),
                func.min(comment_reports.c.created_at).label("first"),
            )
            .where(open_)
            .group_by(comment_reports.c.comment_pk)
            .order_by(func.count().desc(), func.min(comment_reports.c.created_at))
            .limit(limit)
        )
        with self._reading() as conn:
            keys = [row.comment_pk for row in conn.execute(ranked)]
            if not keys:
                return []
            found = {
                row.pk: comment_from_row(row) for row in conn.execute(select(comments).where(comments.c.pk.in_(keys)))
            }
            reports = conn.execute(
                select(comment_reports)
                .where(open_, comment_reports.c.comment_pk.in_(keys))
                .order_by(comment_reports.c.pk)
            ).all()
        by_comment: dict[int, list[Report]] = {key: [] for key in keys}
        for row in reports:
            by_comment[row.comment_pk].append(_report(row))
        return [ReportedComment(found[key], by_comment[key]) for key in keys if key in found]

    def set_hidden(self, comment_pk: int, actor: Actor, note: str | None) -> Comment:
        """Hide (``note`` given) or restore (None) the comment, resolve its open reports, and log it."""
        now = self._clock()
        with self._writing() as conn:
            comment = set_hidden(conn, comment_pk, note, now)
            self._resolve(conn, comment_pk, actor, now)
            log_action(conn, now, actor, "hide" if note is not None else "restore", ("comment", comment_pk), note or "")
            return comment

    def dismiss_reports(self, comment_pk: int, actor: Actor, note: str) -> int:
        """Close the comment's open reports without acting on it; returns how many were open."""
        now = self._clock()
        with self._writing() as conn:
            closed = self._resolve(conn, comment_pk, actor, now)
            if closed == 0:
                raise NotFound(f"comment {comment_pk} has no open reports")
            log_action(conn, now, actor, "dismiss", ("comment", comment_pk), note)
            return closed

    @staticmethod
    def _resolve(conn: Connection, comment_pk: int, actor: Actor, now: datetime) -> int:
        query = (
            update(comment_reports)
            .where(comment_reports.c.comment_pk == comment_pk, comment_reports.c.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=actor.pk)
        )
        return conn.execute(query).rowcount

    # -- suspensions ---------------------------------------------------------------------------

    def suspend(self, user_pk: int, actor: Actor, note: str) -> bool:
        """Stop the account from commenting; returns False if it already was (the first suspension stands)."""
        now = self._clock()
        row = {"user_pk": user_pk, "suspended_at": now, "suspended_by": actor.pk, "note": note}
        with self._writing() as conn:
            if conn.execute(select(users.c.pk).where(users.c.pk == user_pk)).first() is None:
                raise NotFound(f"there is no account {user_pk}")
            added = (
                conn.execute(
                    insert_ignoring_duplicates(conn, commenting_suspensions)
                    .values(row)
                    .returning(commenting_suspensions.c.user_pk)
                ).first()
                is not None
            )
            if added:
                log_action(conn, now, actor, "suspend", ("account", user_pk), note)
            return added

    def unsuspend(self, user_pk: int, actor: Actor, note: str) -> bool:
        """Let the account comment again; returns whether it was suspended."""
        now = self._clock()
        with self._writing() as conn:
            query = delete(commenting_suspensions).where(commenting_suspensions.c.user_pk == user_pk)
            removed = conn.execute(query).rowcount > 0
            if removed:
                log_action(conn, now, actor, "unsuspend", ("account", user_pk), note)
            return removed

    def suspension(self, user_pk: int) -> Suspension | None:
        with self._reading() as conn:
            row = conn.execute(
                select(commenting_suspensions).where(commenting_suspensions.c.user_pk == user_pk)
            ).one_or_none()
        return Suspension(row.user_pk, utc(row.suspended_at), row.suspended_by, row.note) if row else None

    # -- the log -------------------------------------------------------------------------------

    def record(self, actor: Actor, action: str, target: tuple[str, int], note: str) -> None:
        """Log an action taken elsewhere (e.g. a role granted from the command line)."""
        with self._writing() as conn:
            log_action(conn, self._clock(), actor, action, target, note)

    def log(self, limit: int) -> list[LogEntry]:
        """The latest ``limit`` actions, newest first."""
        query = select(moderation_log).order_by(moderation_log.c.pk.desc()).limit(limit)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [
            LogEntry(row.pk, utc(row.at), row.actor, row.action, row.target_kind, row.target_pk, row.note)
            for row in rows
        ]
