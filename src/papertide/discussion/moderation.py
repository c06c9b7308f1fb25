"""Moderators' work: the queue of reported comments, hiding and restoring, suspending accounts from
commenting, and the log. To anyone who does not moderate, all of it answers NotFound (the pages too),
so its existence is not advertised.
"""

from __future__ import annotations

from papertide.accounts.roles import Roles
from papertide.discussion.rules import MAX_NOTE_CHARS, checked_text
from papertide.errors import NotFound
from papertide.store.accounts.store import AccountStore, User
from papertide.store.discussion.comments import Comment
from papertide.store.discussion.moderation import Actor, LogEntry, ModerationStore, ReportedComment


class Moderation:
    def __init__(self, store: ModerationStore, roles: Roles, accounts: AccountStore) -> None:
        self._store = store
        self._roles = roles
        self._accounts = accounts

    def actor(self, user: User | None) -> Actor:
        """``user`` as the log names them, if they moderate; NotFound otherwise."""
        if user is None or not self._roles.moderates(user):
            raise NotFound("there is no such page")
        return Actor(user.pk, user.email)

    def queue(self, user: User | None, limit: int = 100) -> list[ReportedComment]:
        self.actor(user)
        return self._store.open_reports(limit)

    def log(self, user: User | None, limit: int = 100) -> list[LogEntry]:
        self.actor(user)
        return self._store.log(limit)

    def hide(self, user: User | None, comment_pk: int, note: str) -> Comment:
        """Hide a comment from all but its author and moderators; the note says why, to them."""
        actor = self.actor(user)
        return self._store.set_hidden(comment_pk, actor, checked_text(note, what="note", limit=MAX_NOTE_CHARS))

    def restore(self, user: User | None, comment_pk: int) -> Comment:
        return self._store.set_hidden(comment_pk, self.actor(user), None)

    def dismiss(self, user: User | None, comment_pk: int, note: str = "") -> int:
        """Close a comment's reports and leave it as it is; returns how many reports were open."""
        return self._store.dismiss_reports(comment_pk, self.actor(user), note.strip()[:MAX_NOTE_CHARS])

    def suspend(self, user: User | None, account_pk: int, note: str) -> bool:
        """Stop an account from commenting (its comments stay); returns False if it already was."""
        actor = self.actor(user)
        return self._store.suspend(account_pk, actor, checked_text(note, what="note", limit=MAX_NOTE_CHARS))

    def unsuspend(self, user: User | None, account_pk: int) -> bool:
        return self._store.unsuspend(account_pk, self.actor(user), "")

    def author_email(self, user: User | None, account_pk: int | None) -> str | None:
        """The address of a comment's author, which moderators see (readers see a pseudonym)."""
        self.actor(user)
        author = self._accounts.user(account_pk) if account_pk is not None else None
        return author.email if author else None
