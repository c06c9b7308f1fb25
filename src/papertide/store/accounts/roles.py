"""Account roles (moderator, admin, ...): one row per account and role; which names exist is the caller's rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from papertide.store.db.base import TableStore, insert_ignoring_duplicates, utc
from papertide.store.db.schema import account_roles, users


@dataclass(frozen=True, slots=True)
class RoleHolder:
    user_pk: int
    email: str
    role: str
    granted_at: datetime


class RoleStore(TableStore):
    """Grant, revoke and read roles; granting twice or revoking what is not held changes nothing."""

    def grant(self, user_pk: int, role: str) -> bool:
        """Give the account ``role``; returns whether it was new."""
        row = {"user_pk": user_pk, "role": role, "granted_at": self._clock()}
        with self._writing() as conn:
            return (
                conn.execute(
                    insert_ignoring_duplicates(conn, account_roles).values(row).returning(account_roles.c.user_pk)
                ).first()
                is not None
            )

    def revoke(self, user_pk: int, role: str) -> bool:
        """Take ``role`` from the account; returns whether it held it."""
        with self._writing() as conn:
            query = delete(account_roles).where(account_roles.c.user_pk == user_pk, account_roles.c.role == role)
            return conn.execute(query).rowcount > 0

    def roles(self, user_pk: int) -> frozenset[str]:
        with self._reading() as conn:
            query = select(account_roles.c.role).where(account_roles.c.user_pk == user_pk)
            return frozenset(conn.execute(query).scalars())

    def holders(self, role: str | None = None) -> list[RoleHolder]:
        """Who holds which role (all roles, or ``role``), by role then address."""
        query = select(account_roles, users.c.email).join(users, users.c.pk == account_roles.c.user_pk)
        if role is not None:
            query = query.where(account_roles.c.role == role)
        with self._reading() as conn:
            rows = conn.execute(query.order_by(account_roles.c.role, users.c.email)).all()
        return [RoleHolder(row.user_pk, row.email, row.role, utc(row.granted_at)) for row in rows]
