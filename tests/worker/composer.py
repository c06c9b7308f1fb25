"""A minimal composer for the worker's tests: every active subscriber is due daily, with a short message.

It stands in for the digest package where a test is about sending, not about what a digest holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from papertide.config import Settings
from papertide.digest.enqueue import Composed, DueDigest
from papertide.errors import NotFound
from papertide.mail import compose
from papertide.mail.dkim import wire_bytes
from papertide.store.digest.subscriptions import SubscriptionStore


class PlainComposer:
    def __init__(self, settings: Settings, subscriptions: SubscriptionStore) -> None:
        self.settings = settings
        self.subscriptions = subscriptions

    def due(self, now: datetime, *, day: date | None = None, to: str | None = None) -> Iterator[DueDigest]:
        period = (day or now.date()).isoformat()
        after = 0
        while chunk := self.subscriptions.active_after(after):
            for subscription in chunk:
                if to is None or subscription.email == to.lower():
                    yield DueDigest(subscription.pk, subscription.email, period)
            after = chunk[-1].pk
        if to is not None and self.subscriptions.by_email(to) is None:
            raise NotFound(f"no subscription for {to}")

    def compose(self, due: DueDigest) -> Composed:
        message = compose(
            self.settings,
            to=due.address,
            subject=f"Your papers for {due.period}",
            text=f"Papers for {due.address}.",
            html=f"<p>Papers for {due.address}.</p>",
            message_id=due.key,
            date=self.subscriptions.now(),
        )
        return Composed(wire_bytes(message), (due.subscription_pk,))
