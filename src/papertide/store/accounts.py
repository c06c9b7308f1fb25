"""Accounts in the database: users, their browser sessions and API tokens.

Tokens arrive here already hashed (see :mod:`papertide.accounts.tokens`); nothing in these
tables can sign anyone in by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from papertide.errors import StoreError
from papertide.store.base import TableStore, utc
from papertide.store.schema import api_tokens, sessions, users


@dataclass(frozen=True, slots=True)
class User:
    pk: int
    email: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    pk: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _user(row) -> User:
    return User(pk=row.pk, email=row.email, created_at=utc(row.created_at))


class AccountStore(TableStore):
    """Users, sessions and API tokens. Email addresses are stored lower-cased: one account per address."""

    # -- users ---------------------------------------------------------------------------------

    def user_by_email(self, email: str) -> User | None:
        with self._reading() as conn:
            row = conn.execute(select(users).where(users.c.email == email.lower())).one_or_none()
        return _user(row) if row else None

    def user(self, pk: int) -> User | None:
        with self._reading() as conn:
            row = conn.execute(select(users).where(users.c.pk == pk)).one_or_none()
        return _user(row) if row else None

    def get_or_create_user(self, email: str) -> tuple[User, bool]:
        """The account of ``email``, created if new; the flag says whether it was."""
        email = email.lower()
        existing = self.user_by_email(email)
        if existing:
            return existing, False
        try:
            with self._writing() as conn:
                conn.execute(insert(users).values(email=email, created_at=self._clock()))
        except StoreError as exc:  # a concurrent first sign-in created it: use that one
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        created = self.user_by_email(email)
        assert created is not None
        return created, True

    def delete_user(self, pk: int) -> bool:
        """Remove the account and, by cascade, everything that belongs to it."""
        with self._writing() as conn:
            return conn.execute(delete(users).where(users.c.pk == pk)).rowcount > 0

    # -- sessions ------------------------------------------------------------------------------

    def add_session(self, user_pk: int, token_hash: str, expires_at: datetime, user_agent: str | None) -> None:
        with self._writing() as conn:
            conn.execute(
                insert(sessions).values(
                    token_hash=token_hash,
                    user_pk=user_pk,
                    created_at=self._clock(),
                    expires_at=expires_at,
                    user_agent=(user_agent or "")[:500] or None,
                )
            )
            conn.execute(update(users).where(users.c.pk == user_pk).values(last_seen_at=self._clock()))

    def session_user(self, token_hash: str) -> User | None:
        """The user of an unexpired session."""
        query = (
            select(users)
            .join(sessions, sessions.c.user_pk == users.c.pk)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > self._clock())
        )
        with self._reading() as conn:
            row = conn.execute(query).one_or_none()
        return _user(row) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self._writing() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def delete_sessions(self, user_pk: int) -> int:
        """Sign out everywhere: end every session of the user; returns how many there were."""
        with self._writing() as conn:
            return conn.execute(delete(sessions).where(sessions.c.user_pk == user_pk)).rowcount

    def count_sessions(self, user_pk: int) -> int:
        live = (sessions.c.user_pk == user_pk) & (sessions.c.expires_at > self._clock())
        with self._reading() as conn:
            return conn.execute(select(func.count()).select_from(sessions).where(live)).scalar_one()

    # -- API tokens ----------------------------------------------------------------------------

    def add_api_token(self, user_pk: int, name: str, token_hash: str) -> int:
        with self._writing() as conn:
            result = conn.execute(
                insert(api_tokens).values(user_pk=user_pk, name=name, token_hash=token_hash, created_at=self._clock())
            )
            return result.inserted_primary_key[0]

    def api_tokens(self, user_pk: int) -> list[ApiToken]:
        query = select(api_tokens).where(api_tokens.c.user_pk == user_pk).order_by(api_tokens.c.pk)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [ApiToken(r.pk, r.name, utc(r.created_at), utc(r.last_used_at)) for r in rows]

    def delete_api_token(self, user_pk: int, token_pk: int) -> bool:
        """Revoke one of the user's tokens; False when the user has no such token."""
        with self._writing() as conn:
            condition = (api_tokens.c.pk == token_pk) & (api_tokens.c.user_pk == user_pk)
            return conn.execute(delete(api_tokens).where(condition)).rowcount > 0

    def api_token_user(self, token_hash: str) -> User | None:
        """The owner of a live API token, noting when it was last used."""
        query = select(users, api_tokens.c.pk.label("token_pk")).join(api_tokens, api_tokens.c.user_pk == users.c.pk)
        with self._writing() as conn:
            row = conn.execute(query.where(api_tokens.c.token_hash == token_hash)).one_or_none()
            if row is None:
                return None
            conn.execute(update(api_tokens).where(api_tokens.c.pk == row.token_pk).values(last_used_at=self._clock()))
        return _user(row)
