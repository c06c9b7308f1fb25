"""The digest package as the worker uses it: who is due now, and each one's digest rendered for the outbox.

Everything about what a digest holds and how it reads is the digest package's (see its
``__init__``); this module only walks the active subscriptions, asks the schedule which period is
due, and turns a composed digest into the stored bytes plus the history write that goes into the
outbox's transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime

from papertide.digest.compose import Composer
from papertide.digest.enqueue import Composed, DueDigest
from papertide.digest.preferences import Preferences
from papertide.digest.render import DigestMail
from papertide.digest.schedule import Period, due_period, period_on, preview_period, why_not_due
from papertide.errors import NotFound
from papertide.mail.dkim import wire_bytes
from papertide.store.db.base import Clock, Transaction
from papertide.store.digest.subscriptions import Subscription, SubscriptionStore, record_digest


class DigestComposer:
    """:class:`papertide.digest.enqueue.Composer` over the digest package."""

    def __init__(self, subscriptions: SubscriptionStore, composer: Composer, mail: DigestMail, clock: Clock) -> None:
        self.subscriptions = subscriptions
        self.composer = composer
        self.mail = mail
        self.clock = clock

    def _active(self) -> Iterator[Subscription]:
        after = 0
        while chunk := self.subscriptions.active_after(after):
            yield from chunk
            after = chunk[-1].pk

    def due(self, now: datetime, *, day: date | None = None, to: str | None = None) -> Iterator[DueDigest]:
        if to is not None:
            subscription = self.subscriptions.by_email(to)
            if subscription is None or not subscription.is_active:
                raise NotFound(f"no active digest subscription for {to!r}")
            # The digest `papertide digest preview` shows: the latest period, or that day's.
            period = preview_period(Preferences.from_dict(subscription.preferences), now, day)
            yield self._due(subscription, period)
            return
        for subscription in self._active():
            if day is None:
                period = due_period(subscription, now)
            else:
                period = period_on(Preferences.from_dict(subscription.preferences), day)
            if period is not None:
                yield self._due(subscription, period)

    def not_due(self, now: datetime, *, day: date | None = None) -> dict[str, int]:
        """Why the active subscribers :meth:`due` passes over have no digest due, counted by reason."""
        reasons = Counter(why_not_due(subscription, now, day) for subscription in self._active())
        reasons.pop(None, None)
        return dict(reasons)

    @staticmethod
    def _due(subscription: Subscription, period: Period) -> DueDigest:
        return DueDigest(subscription.pk, subscription.email, period.key, (subscription, period))

    def compose(self, due: DueDigest) -> Composed:
        subscription, period = due.context
        now = self.clock()
        digest = self.composer.compose(subscription, period)
        papers = tuple(digest.paper_pks) if digest is not None else ()

        def record(conn: Transaction) -> None:
            record_digest(conn, subscription.pk, period.key, period.cutoff, papers, now)

        if digest is None:
            return Composed(None, detail=self.composer.why_empty(subscription, period), record=record)
        return Composed(wire_bytes(self.mail.message(digest, date=now)), papers, record=record)
