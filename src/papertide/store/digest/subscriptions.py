"""Digest subscriptions in the database: subscribers, confirmation links, alerts, and what each was sent.

Confirmation tokens arrive hashed (see :mod:`papertide.accounts.tokens`). Preferences are kept
as the JSON dict of :class:`papertide.digest.preferences.Preferences`, which validates them on
the way in and out. :func:`record_digest` writes the history that keeps a paper out of every
later digest to the same subscriber; it takes the caller's connection so the sender records it
in the same transaction as its outbox row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from papertide.errors import Conflict, StoreError
from papertide.store.db.base import TableStore, utc
from papertide.store.db.schema import alerts, digest_papers, subscription_confirmations, subscriptions, users

PENDING, ACTIVE, UNSUBSCRIBED = "pending", "active", "unsubscribed"


@dataclass(frozen=True, slots=True)
class Subscription:
    pk: int
    email: str
    user_pk: int | None
    status: str  # pending | active | unsubscribed
    preferences: dict
    nonce: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    last_cutoff: datetime | None  # cutoff of the last digest recorded, sent or skipped

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE


@dataclass(frozen=True, slots=True)
class Alert:
    pk: int
    subscription_pk: int
    kind: str  # search | author
    value: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Confirmation:
    subscription: Subscription
    expires_at: datetime
    used_at: datetime | None


def _subscription(row) -> Subscription:
    return Subscription(
        pk=row.pk,
        email=row.email,
        user_pk=row.user_pk,
        status=row.status,
        preferences=dict(row.preferences),
        nonce=row.nonce,
        created_at=utc(row.created_at),
        confirmed_at=utc(row.confirmed_at),
        unsubscribed_at=utc(row.unsubscribed_at),
        last_cutoff=utc(row.last_cutoff),
    )


def _alert(row) -> Alert:
    return Alert(row.pk, row.subscription_pk, row.kind, row.value, utc(row.created_at))


_ACCOUNT_OF = select(users.c.pk).where(users.c.email == subscriptions.c.email).scalar_subquery()
# A subscription as read: its account is the one of its address even when it was made before the
# account (user_pk unset), so "For you" and the account page find it without a write.
_SUBSCRIPTION = [
    *(column for column in subscriptions.c if column.name != "user_pk"),
    func.coalesce(subscriptions.c.user_pk, _ACCOUNT_OF).label("user_pk"),
]
# Built once: a statement built per call costs more Python than the query (composing asks these per digest).
_ALERTS_OF = select(alerts).where(alerts.c.subscription_pk == bindparam("subscription")).order_by(alerts.c.pk)
_SENT_AMONG = select(digest_papers.c.paper_pk).where(
    digest_papers.c.subscription_pk == bindparam("subscription"),
    digest_papers.c.paper_pk.in_(bindparam("papers", expanding=True)),
)


def record_digest(
    conn: Connection, subscription_pk: int, period_key: str, cutoff: datetime, paper_pks: Sequence[int], at: datetime
) -> None:
    """Record in the caller's transaction that a digest of ``paper_pks`` went (or, if empty, was skipped).

    Moves the subscriber's window on to ``cutoff``. A paper already sent to this subscriber raises
    :class:`Conflict` (the primary key refuses it), so the caller's transaction rolls back
    rather than send it twice; compose again and it is left out.
    """
    if paper_pks:
        rows = [
            {"subscription_pk": subscription_pk, "paper_pk": pk, "period": period_key, "recorded_at": at}
            for pk in dict.fromkeys(paper_pks)
        ]
        try:
            conn.execute(insert(digest_papers), rows)
        except IntegrityError as exc:
            raise Conflict(f"subscription {subscription_pk} was already sent one of these papers") from exc
    last = subscriptions.c.last_cutoff
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.pk == subscription_pk, (last.is_(None)) | (last < cutoff))
        .values(last_cutoff=cutoff)
    )


class SubscriptionStore(TableStore):
    """Subscriptions, one per address (lower-cased); their confirmation links, alerts and digest history."""

    # -- subscriptions ---------------------------------------------------------------------

    def get(self, pk: int) -> Subscription | None:
        with self._reading() as conn:
            row = conn.execute(select(*_SUBSCRIPTION).where(subscriptions.c.pk == pk)).one_or_none()
        return _subscription(row) if row else None

    def by_email(self, email: str) -> Subscription | None:
        with self._reading() as conn:
            query = select(*_SUBSCRIPTION).where(subscriptions.c.email == email.lower())
            row = conn.execute(query).one_or_none()
        return _subscription(row) if row else None

    def get_or_create(self, email: str, preferences: dict, nonce: str) -> Subscription:
        """The subscription of ``email``; a new one is pending, tied to the address's account if there is one."""
        email = email.lower()
        existing = self.by_email(email)
        if existing:
            return existing
        now = self._clock()
        values = {"email": email, "status": PENDING, "preferences": preferences, "nonce": nonce}
        try:
            with self._writing() as conn:
                account = conn.execute(select(users.c.pk).where(users.c.email == email)).scalar_one_or_none()
                conn.execute(insert(subscriptions).values(**values, user_pk=account, created_at=now, updated_at=now))
        except StoreError as exc:  # a concurrent request created it: use that one
            if not isinstance(exc.__cause__, IntegrityError):
                raise
        created = self.by_email(email)
        assert created is not None
        return created

    def activate(self, pk: int) -> Subscription:
        """Confirmed: active from now (and tied to the address's account, if it has one by now)."""
        now = self._clock()
        with self._writing() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.pk == pk)
                .values(
                    status=ACTIVE,
                    # confirming again keeps the first confirmation: it decides the first period due
                    confirmed_at=case((subscriptions.c.status == ACTIVE, subscriptions.c.confirmed_at), else_=now),
                    unsubscribed_at=None,
                    updated_at=now,
                    user_pk=func.coalesce(subscriptions.c.user_pk, _ACCOUNT_OF),
                )
            )
        return self._required(pk)

    def unsubscribe(self, pk: int) -> bool:
        """Stop every digest at once; False if it was not active (a repeated click changes nothing)."""
        now = self._clock()
        with self._writing() as conn:
            result = conn.execute(
                update(subscriptions)
                .where(subscriptions.c.pk == pk, subscriptions.c.status != UNSUBSCRIBED)
                .values(status=UNSUBSCRIBED, unsubscribed_at=now, updated_at=now)
            )
        return result.rowcount > 0

    def personal_data(self, email: str) -> dict | None:
        """The address's subscription, alerts and digest history count, for the account's data export."""
        subscription = self.by_email(email)
        if subscription is None:
            return None
        with self._reading() as conn:
            sent = conn.execute(
                select(func.count(func.distinct(digest_papers.c.period))).where(
                    digest_papers.c.subscription_pk == subscription.pk
                )
            ).scalar_one()
        return {
            "email": subscription.email,
            "status": subscription.status,
            "preferences": subscription.preferences,
            "created_at": subscription.created_at,
            "confirmed_at": subscription.confirmed_at,
            "unsubscribed_at": subscription.unsubscribed_at,
            "alerts": [
                {"kind": alert.kind, "value": alert.value, "created_at": alert.created_at}
                for alert in self.alerts(subscription.pk)
            ],
            "digests_sent": sent,
        }

    def delete_by_email(self, email: str) -> bool:
        """Forget the address's subscription with its links, alerts and history (the account is deleted)."""
        with self._writing() as conn:
            return conn.execute(delete(subscriptions).where(subscriptions.c.email == email.lower())).rowcount > 0

    def set_pending_preferences(self, pk: int, preferences: dict) -> None:
        """Preferences asked for again before confirming: only a pending subscription takes them."""
        with self._writing() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.pk == pk, subscriptions.c.status == PENDING)
                .values(preferences=preferences, updated_at=self._clock())
            )

    def set_preferences(self, pk: int, preferences: dict) -> Subscription:
        with self._writing() as conn:
            conn.execute(
                update(subscriptions)
                .where(subscriptions.c.pk == pk)
                .values(preferences=preferences, updated_at=self._clock())
            )
        return self._required(pk)

    def set_nonce(self, pk: int, nonce: str) -> Subscription:
        """A new nonce: every signed link made with the old one stops working."""
        with self._writing() as conn:
            conn.execute(update(subscriptions).where(subscriptions.c.pk == pk).values(nonce=nonce))
        return self._required(pk)

    def active_after(self, after_pk: int = 0, limit: int = 1000) -> list[Subscription]:
        """Active subscriptions in key order, a chunk at a time (the worker walks them to find who is due)."""
        query = (
            select(*_SUBSCRIPTION)
            .where(subscriptions.c.status == ACTIVE, subscriptions.c.pk > after_pk)
            .order_by(subscriptions.c.pk)
            .limit(limit)
        )
        with self._reading() as conn:
            return [_subscription(row) for row in conn.execute(query)]

    def _required(self, pk: int) -> Subscription:
        found = self.get(pk)
        if found is None:
            raise StoreError(f"subscription {pk} vanished while being changed")
        return found

    # -- confirmation links ----------------------------------------------------------------

    def add_confirmation(self, subscription_pk: int, token_hash: str, expires_at: datetime) -> None:
        with self._writing() as conn:
            conn.execute(
                insert(subscription_confirmations).values(
                    token_hash=token_hash,
                    subscription_pk=subscription_pk,
                    created_at=self._clock(),
                    expires_at=expires_at,
                )
            )

    def confirmation(self, token_hash: str) -> Confirmation | None:
        query = select(subscription_confirmations.c.expires_at, subscription_confirmations.c.used_at, *_SUBSCRIPTION)
        query = query.join(subscriptions, subscriptions.c.pk == subscription_confirmations.c.subscription_pk)
        with self._reading() as conn:
            row = conn.execute(query.where(subscription_confirmations.c.token_hash == token_hash)).one_or_none()
        return Confirmation(_subscription(row), utc(row.expires_at), utc(row.used_at)) if row else None

    def use_confirmation(self, token_hash: str) -> Subscription | None:
        """Spend a live link (one time only, atomically) and activate its subscription; None if it is not live."""
        now = self._clock()
        live = (
            (subscription_confirmations.c.token_hash == token_hash)
            & subscription_confirmations.c.used_at.is_(None)
            & (subscription_confirmations.c.expires_at > now)
        )
        with self._writing() as conn:
            spent = conn.execute(update(subscription_confirmations).where(live).values(used_at=now))
            if spent.rowcount != 1:
                return None
            pk = conn.execute(
                select(subscription_confirmations.c.subscription_pk).where(
                    subscription_confirmations.c.token_hash == token_hash
                )
            ).scalar_one()
        return self.activate(pk)

    # -- alerts ----------------------------------------------------------------------------

    def alerts(self, subscription_pk: int) -> list[Alert]:
        with self._reading() as conn:
            return [_alert(row) for row in conn.execute(_ALERTS_OF, {"subscription": subscription_pk})]

    def add_alert(self, subscription_pk: int, kind: str, value: str, *, limit: int) -> Alert:
        """Add an alert; :class:`Conflict` if the same one exists or the subscriber already has ``limit``."""
        try:
            with self._writing() as conn:
                count = conn.execute(
                    select(func.count()).select_from(alerts).where(alerts.c.subscription_pk == subscription_pk)
                ).scalar_one()
                if count >= limit:
                    raise Conflict(f"at most {limit} alerts per subscription; remove one first")
                result = conn.execute(
                    insert(alerts).values(
                        subscription_pk=subscription_pk, kind=kind, value=value, created_at=self._clock()
                    )
                )
                pk = result.inserted_primary_key[0]
        except StoreError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise Conflict(f"this {kind} alert exists already") from None
            raise
        return Alert(pk, subscription_pk, kind, value, self._clock())

    def delete_alert(self, subscription_pk: int, alert_pk: int) -> bool:
        """Remove one of the subscriber's alerts; False if it has no such alert."""
        condition = (alerts.c.pk == alert_pk) & (alerts.c.subscription_pk == subscription_pk)
        with self._writing() as conn:
            return conn.execute(delete(alerts).where(condition)).rowcount > 0

    # -- history ---------------------------------------------------------------------------

    def already_sent(self, subscription_pk: int, paper_pks: Iterable[int]) -> set[int]:
        """Which of ``paper_pks`` an earlier digest already brought this subscriber."""
        wanted = list(paper_pks)
        if not wanted:
            return set()
        with self._reading() as conn:
            return set(conn.execute(_SENT_AMONG, {"subscription": subscription_pk, "papers": wanted}).scalars())

    def record(self, subscription_pk: int, period_key: str, cutoff: datetime, paper_pks: Sequence[int]) -> None:
        """:func:`record_digest` in a transaction of its own (the preview never calls it; tests and tools do)."""
        with self._writing() as conn:
            record_digest(conn, subscription_pk, period_key, cutoff, paper_pks, self._clock())
