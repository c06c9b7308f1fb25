"""Roles an account may hold: a moderator moderates the discussions; an admin may do that and, later, more.

Roles are granted from the command line only (``papertide admin grant``): whoever can run it already
holds the database. Every grant and revocation is written to the moderation log.
"""

from __future__ import annotations

from papertide.errors import InvalidInput, NotFound
from papertide.store.accounts.roles import RoleHolder, RoleStore
from papertide.store.accounts.store import AccountStore, User
from papertide.store.discussion.moderation import COMMAND_LINE, Actor, ModerationStore

ROLES = ("moderator", "admin")
# Roles that may moderate discussions.
MODERATING = frozenset({"moderator", "admin"})


def checked_role(role: str) -> str:
    """``role`` if it is one papertide knows; otherwise InvalidInput naming those it does."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: the roles are {', '.join(ROLES)}")
    return role


class Roles:
    def __init__(self, store: RoleStore, accounts: AccountStore, log: ModerationStore) -> None:
        self._store = store
        self._accounts = accounts
        self._log = log

    def grant(self, role: str, email: str) -> bool:
        """Give the account of ``email`` the role; returns whether it was new. The account must exist."""
        user = self._account(email)
        added = self._store.grant(user.pk, checked_role(role))
        if added:
            self._log.record(Actor(None, COMMAND_LINE), "grant", ("account", user.pk), role)
        return added

    def revoke(self, role: str, email: str) -> bool:
        """Take the role from the account of ``email``; returns whether it held it."""
        user = self._account(email)
        removed = self._store.revoke(user.pk, checked_role(role))
        if removed:
            self._log.record(Actor(None, COMMAND_LINE), "revoke", ("account", user.pk), role)
        return removed

    def holders(self) -> list[RoleHolder]:
        return self._store.holders()

    def of(self, user: User | None) -> frozenset[str]:
        return self._store.roles(user.pk) if user is not None else frozenset()

    def moderates(self, user: User | None) -> bool:
        return bool(self.of(user) & MODERATING)

    def _account(self, email: str) -> User:
        user = self._accounts.user_by_email(email.strip())
        if user is None:
            raise NotFound(f"there is no account for {email!r}: its owner must sign in once before getting a role")
        return user
