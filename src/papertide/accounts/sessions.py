"""Browser sessions: a random cookie value, stored hashed, valid for ``session_days``."""

from __future__ import annotations

from datetime import timedelta

from papertide.accounts.tokens import new_token, token_hash
from papertide.store.accounts.store import AccountStore, User


class Sessions:
    """Start, look up and end sessions; the clock comes from the store."""

    def __init__(self, accounts: AccountStore, *, days: int) -> None:
        self._accounts = accounts
        self._lifetime = timedelta(days=days)

    @property
    def lifetime(self) -> timedelta:
        return self._lifetime

    def start(self, user: User, user_agent: str | None = None) -> str:
        """A new session of ``user``; the returned token goes into the cookie and nowhere else."""
        token = new_token()
        expires = self._accounts.now() + self._lifetime
        self._accounts.add_session(user.pk, token_hash(token), expires, user_agent)
        return token

    def user(self, token: str) -> User | None:
        return self._accounts.session_user(token_hash(token)) if token else None

    def signed_in_within(self, token: str, period: timedelta) -> bool:
        """Whether this session began less than ``period`` ago: a recent sign-in shows that the person at
        the browser can still read the account's mail (deleting the account asks for it)."""
        found = self._accounts.session(token_hash(token)) if token else None
        return found is not None and self._accounts.now() - found.started_at < period

    def end(self, token: str) -> None:
        self._accounts.delete_session(token_hash(token))

    def end_all(self, user: User) -> int:
        return self._accounts.delete_sessions(user.pk)
