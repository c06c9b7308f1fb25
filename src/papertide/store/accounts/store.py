"""Accounts in the database: users, sign-in links, browser sessions, API tokens, and what a user owns.

Tokens arrive here already hashed (see :mod:`papertide.accounts.tokens`); nothing in these
tables can sign anyone in by itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from papertide.errors import StoreError
from papertide.store.db.base import TableStore, insert_ignoring_duplicates, utc
from papertide.store.db.schema import (
    account_suspensions,
    api_tokens,
    collection_items,
    collections,
    login_tokens,
    papers,
    sessions,
    users,
    votes,
)

# A link past its expiry is kept this long, so following it late says "expired", not "unknown".
LOGIN_TOKEN_KEPT = timedelta(days=1)


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
    scope: str = "write"

    @property
    def writes(self) -> bool:
        """Whether the token may change things (a 'read' token may only GET)."""
        return self.scope == "write"


@dataclass(frozen=True, slots=True)
class TokenUse:
    """A live API token and its owner, as found by its digest."""

    user: User
    token: ApiToken


@dataclass(frozen=True, slots=True)
class SessionUse:
    """A live browser session: whose, and since when (deleting the account needs a recent sign-in)."""

    user: User
    started_at: datetime


@dataclass(frozen=True, slots=True)
class LoginLink:
    """A sign-in link as stored: whom it signs in, where it leads, and whether it still can."""

    email: str
    next_url: str
    expires_at: datetime
    used_at: datetime | None


@dataclass(frozen=True, slots=True)
class PersonalData:
    """Everything stored about one user, as rows, for the data export."""

    user: User
    last_seen_at: datetime | None
    sessions: list[dict]
    api_tokens: list[ApiToken]
    votes: list[dict]
    collections: list[dict]


# Suspended accounts (see AccountStore.suspend) are left out of every session and API token lookup.
_NOT_SUSPENDED = ~exists().where(account_suspensions.c.user_pk == users.c.pk)


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
        """Remove the account, its unused sign-in links and, by cascade, everything that belongs to it."""
        with self._writing() as conn:
            email = conn.execute(select(users.c.email).where(users.c.pk == pk)).scalar_one_or_none()
            if email is None:
                return False
            conn.execute(delete(login_tokens).where(login_tokens.c.email == email))
            return conn.execute(delete(users).where(users.c.pk == pk)).rowcount > 0

    # -- sign-in links -------------------------------------------------------------------------

    def add_login_token(self, token_hash: str, email: str, next_url: str, expires_at: datetime) -> None:
        """Store a new link, and drop links that expired more than a day ago."""
        with self._writing() as conn:
            conn.execute(delete(login_tokens).where(login_tokens.c.expires_at < self._clock() - LOGIN_TOKEN_KEPT))
            conn.execute(
                insert(login_tokens).values(
                    token_hash=token_hash,
                    email=email.lower(),
                    next_url=next_url,
                    created_at=self._clock(),
                    expires_at=expires_at,
                )
            )

    def login_token(self, token_hash: str) -> LoginLink | None:
        with self._reading() as conn:
            row = conn.execute(select(login_tokens).where(login_tokens.c.token_hash == token_hash)).one_or_none()
        return _login_link(row) if row else None

    def use_login_token(self, token_hash: str) -> LoginLink | None:
        """Mark an unused, unexpired link used and return it; None if it is not (any longer) usable.

        One conditional UPDATE: of two requests racing with the same link, exactly one gets it.
        """
        now = self._clock()
        statement = (
            update(login_tokens)
            .where(
                login_tokens.c.token_hash == token_hash,
                login_tokens.c.used_at.is_(None),
                login_tokens.c.expires_at > now,
            )
            .values(used_at=now)
            .returning(*login_tokens.c)
        )
        with self._writing() as conn:
            row = conn.execute(statement).one_or_none()
        return _login_link(row) if row else None

    # -- sessions ------------------------------------------------------------------------------

    def add_session(self, user_pk: int, token_hash: str, expires_at: datetime, user_agent: str | None) -> None:
        """Store a new session, and drop the user's expired ones (nothing else ever would)."""
        with self._writing() as conn:
            expired = (sessions.c.user_pk == user_pk) & (sessions.c.expires_at <= self._clock())
            conn.execute(delete(sessions).where(expired))
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
        found = self.session(token_hash)
        return found.user if found else None

    def session(self, token_hash: str) -> SessionUse | None:
        """An unexpired session: its user and when it was started."""
        query = (
            select(users, sessions.c.created_at.label("started_at"))
            .join(sessions, sessions.c.user_pk == users.c.pk)
            .where(sessions.c.token_hash == token_hash, sessions.c.expires_at > self._clock(), _NOT_SUSPENDED)
        )
        with self._reading() as conn:
            row = conn.execute(query).one_or_none()
        return SessionUse(_user(row), utc(row.started_at)) if row else None

    def delete_session(self, token_hash: str) -> None:
        with self._writing() as conn:
            conn.execute(delete(sessions).where(sessions.c.token_hash == token_hash))

    def delete_sessions(self, user_pk: int) -> int:
        """Sign out everywhere: end every session of the user; returns how many there were."""
        with self._writing() as conn:
            return conn.execute(delete(sessions).where(sessions.c.user_pk == user_pk)).rowcount

    def count_sessions(self, user_pk: int) -> int:
        """How many unexpired sessions (browsers signed in) the user has."""
        live = (sessions.c.user_pk == user_pk) & (sessions.c.expires_at > self._clock())
        with self._reading() as conn:
            return conn.execute(select(func.count()).select_from(sessions).where(live)).scalar_one()

    # -- suspension by an admin -------------------------------------------------------------------

    def suspend(self, user_pk: int, by_pk: int | None, note: str) -> bool:
        """Stop the account's sign-in, sessions and API tokens (kept, for a lifted suspension); False if it
        already was suspended (the first suspension stands)."""
        row = {"user_pk": user_pk, "suspended_at": self._clock(), "suspended_by": by_pk, "note": note}
        with self._writing() as conn:
            statement = insert_ignoring_duplicates(conn, account_suspensions).values(row)
            return conn.execute(statement.returning(account_suspensions.c.user_pk)).first() is not None

    def unsuspend(self, user_pk: int) -> bool:
        """Lift the suspension; returns whether there was one."""
        with self._writing() as conn:
            query = delete(account_suspensions).where(account_suspensions.c.user_pk == user_pk)
            return conn.execute(query).rowcount > 0

    def suspension_note(self, user_pk: int) -> str | None:
        """Why the account is suspended, or None when it is not."""
        query = select(account_suspensions.c.note).where(account_suspensions.c.user_pk == user_pk)
        with self._reading() as conn:
            return conn.execute(query).scalar_one_or_none()

    # -- API tokens ----------------------------------------------------------------------------

    def add_api_token(self, user_pk: int, name: str, token_hash: str, scope: str = "write") -> int:
        with self._writing() as conn:
            result = conn.execute(
                insert(api_tokens).values(
                    user_pk=user_pk, name=name, token_hash=token_hash, scope=scope, created_at=self._clock()
                )
            )
            return result.inserted_primary_key[0]

    def api_tokens(self, user_pk: int) -> list[ApiToken]:
        query = select(api_tokens).where(api_tokens.c.user_pk == user_pk).order_by(api_tokens.c.pk)
        with self._reading() as conn:
            rows = conn.execute(query).all()
        return [_api_token(row) for row in rows]

    def own_api_token(self, user_pk: int, token_hash: str) -> ApiToken | None:
        """The user's live token with this digest, without counting it as used (to show a new token once)."""
        condition = (api_tokens.c.user_pk == user_pk) & (api_tokens.c.token_hash == token_hash)
        with self._reading() as conn:
            row = conn.execute(select(api_tokens).where(condition)).one_or_none()
        return _api_token(row) if row else None

    def delete_api_token(self, user_pk: int, token_pk: int) -> bool:
        """Revoke one of the user's tokens; False when the user has no such token."""
        with self._writing() as conn:
            condition = (api_tokens.c.pk == token_pk) & (api_tokens.c.user_pk == user_pk)
            return conn.execute(delete(api_tokens).where(condition)).rowcount > 0

    def delete_api_tokens(self, user_pk: int) -> int:
        """Revoke every token of the user; returns how many there were."""
        with self._writing() as conn:
            return conn.execute(delete(api_tokens).where(api_tokens.c.user_pk == user_pk)).rowcount

    def api_token_use(self, token_hash: str) -> TokenUse | None:
        """A live API token with its owner, noting when it was last used."""
        token_columns = [column.label(f"token_{column.name}") for column in api_tokens.c]
        query = select(users, *token_columns).join(api_tokens, api_tokens.c.user_pk == users.c.pk)
        now = self._clock()
        with self._writing() as conn:
            row = conn.execute(query.where(api_tokens.c.token_hash == token_hash, _NOT_SUSPENDED)).one_or_none()
            if row is None:
                return None
            conn.execute(update(api_tokens).where(api_tokens.c.pk == row.token_pk).values(last_used_at=now))
        token = ApiToken(row.token_pk, row.token_name, utc(row.token_created_at), now, row.token_scope)
        return TokenUse(_user(row), token)

    # -- everything a user owns ------------------------------------------------------------------

    def personal_data(self, user_pk: int) -> PersonalData | None:
        """The user's account, sessions, token names, votes and collections with their items."""
        with self._reading() as conn:
            row = conn.execute(select(users).where(users.c.pk == user_pk)).one_or_none()
            if row is None:
                return None
            session_rows = conn.execute(
                select(sessions.c.created_at, sessions.c.expires_at, sessions.c.user_agent)
                .where(sessions.c.user_pk == user_pk)
                .order_by(sessions.c.created_at)
            ).all()
            vote_rows = conn.execute(
                select(papers.c.paper_id, papers.c.title, votes.c.created_at)
                .join(papers, papers.c.pk == votes.c.paper_pk)
                .where(votes.c.user_pk == user_pk)
                .order_by(votes.c.created_at, papers.c.paper_id)
            ).all()
            collection_rows = conn.execute(
                select(collections).where(collections.c.user_pk == user_pk).order_by(collections.c.created_at)
            ).all()
            item_rows = conn.execute(
                select(collection_items, papers.c.paper_id, papers.c.title)
                .join(papers, papers.c.pk == collection_items.c.paper_pk)
                .join(collections, collections.c.pk == collection_items.c.collection_pk)
                .where(collections.c.user_pk == user_pk)
                .order_by(collection_items.c.added_at, papers.c.paper_id)
            ).all()
        items: dict[int, list[dict]] = {}
        for item in item_rows:
            items.setdefault(item.collection_pk, []).append(
                {"paper_id": item.paper_id, "title": item.title, "added_at": utc(item.added_at), "note": item.note}
            )
        return PersonalData(
            user=_user(row),
            last_seen_at=utc(row.last_seen_at),
            sessions=[
                {"created_at": utc(s.created_at), "expires_at": utc(s.expires_at), "user_agent": s.user_agent}
                for s in session_rows
            ],
            api_tokens=self.api_tokens(user_pk),
            votes=[{"paper_id": v.paper_id, "title": v.title, "voted_at": utc(v.created_at)} for v in vote_rows],
            collections=[
                {
                    "id": c.public_id,
                    "name": c.name,
                    "is_default": c.is_default,
                    "is_public": c.is_public,
                    "created_at": utc(c.created_at),
                    "updated_at": utc(c.updated_at),
                    "items": items.get(c.pk, []),
                }
                for c in collection_rows
            ],
        )


def _api_token(row) -> ApiToken:
    return ApiToken(row.pk, row.name, utc(row.created_at), utc(row.last_used_at), row.scope)


def _login_link(row) -> LoginLink:
    return LoginLink(email=row.email, next_url=row.next_url, expires_at=utc(row.expires_at), used_at=utc(row.used_at))
