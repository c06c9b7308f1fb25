"""Subscribing, confirming, changing and ending digests: the rules, whichever page or API asks.

Double opt-in: asking for the digest with an address alone sends one confirmation mail, rate
limited like sign-in links, whose random single-use link (stored only as a digest) works for
``digest_confirm_days``. Opening the link changes nothing; the page it opens confirms with a
POST, so mail scanners that fetch links confirm nobody. Until then the address gets nothing else.
Asking again for an address that is already subscribed mails it its manage link instead, so the
form never tells a stranger whether an address is subscribed. A signed-in user's own address is
confirmed already: one click subscribes it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from papertide.accounts.rate_limits import RateLimiter, mail_limits
from papertide.accounts.sign_in import normalise_email
from papertide.accounts.tokens import LinkState, new_token, token_hash
from papertide.config import Settings
from papertide.digest.alerts import MAX_ALERTS, validate_alert
from papertide.digest.preferences import Preferences
from papertide.digest.render import DigestMail
from papertide.errors import Gone, NotFound, PapertideError
from papertide.mail import Mailer, parse_address
from papertide.store.accounts.store import User
from papertide.store.digest.subscriptions import PENDING, Alert, Subscription, SubscriptionStore


def _nonce() -> str:
    """A subscription's link nonce: 96 random bits (it only needs to be unguessable and new)."""
    return secrets.token_urlsafe(12)


@dataclass(frozen=True, slots=True)
class ConfirmCheck:
    """What a confirmation link can do now; the subscription is known for every link we sent."""

    state: LinkState
    subscription: Subscription | None = None
    days: int = 0

    @property
    def error(self) -> PapertideError | None:
        """Why the link cannot confirm, as the error to answer with; None when it can."""
        match self.state:
            case LinkState.EXPIRED:
                return Gone(
                    f"This confirmation link has expired: it works for {self.days} days after it is sent. "
                    "Subscribe again to get a new one."
                )
            case LinkState.USED:
                return Gone("This confirmation link has already been used: the subscription is confirmed.")
            case LinkState.UNKNOWN:
                return NotFound(
                    "This is not a confirmation link we know: it may have been cut short when it was copied. "
                    "Subscribe again to get a new one."
                )
        return None


class Subscriptions:
    """The subscription rules over one store, rate limiter and mailer; the clock is the store's."""

    def __init__(
        self,
        settings: Settings,
        store: SubscriptionStore,
        limiter: RateLimiter,
        mailer: Mailer,
        mail: DigestMail,
    ) -> None:
        self._settings = settings
        self._store = store
        self._limiter = limiter
        self._mailer = mailer
        self._mail = mail

    @property
    def store(self) -> SubscriptionStore:
        return self._store

    def request(self, email: str, *, client: str | None, preferences: dict | None = None) -> str:
        """Mail ``email`` a confirmation link (or, if subscribed already, its manage link); returns the address.

        Everything is checked before anything is stored or counted: the address, the preferences,
        then the rate limits (:class:`~papertide.errors.TooManyRequests`).
        """
        address = normalise_email(email)
        parse_address(address, field="email")  # what the mail path will accept, checked before the limits count
        chosen = Preferences.parse(preferences or {})
        self._limiter.hit(*mail_limits(self._settings, address=address, client=client))
        subscription = self._store.get_or_create(address, chosen.to_dict(), _nonce())
        now = self._store.now()
        if subscription.is_active:
            self._mailer.send(self._mail.already_subscribed(subscription, date=now))
            return address
        if subscription.status == PENDING and preferences:
            self._store.set_pending_preferences(subscription.pk, chosen.to_dict())
            subscription = self._store.get(subscription.pk) or subscription
        token = new_token()
        self._store.add_confirmation(
            subscription.pk, token_hash(token), now + timedelta(days=self._settings.digest_confirm_days)
        )
        self._mailer.send(self._mail.confirmation(subscription, token, date=now))
        return address

    def subscribe_user(self, user: User, preferences: dict | None = None) -> Subscription:
        """One click for a signed-in user: their address is confirmed already, so it is active at once."""
        chosen = Preferences.parse(preferences or {})
        subscription = self._store.get_or_create(user.email, chosen.to_dict(), _nonce())
        if not subscription.is_active and preferences:
            self._store.set_preferences(subscription.pk, chosen.to_dict())
        return self._store.activate(subscription.pk)

    def of_user(self, user: User) -> Subscription | None:
        """The subscription of the user's address (made with the account or by the address before it)."""
        return self._store.by_email(user.email)

    def check(self, token: str) -> ConfirmCheck:
        """What a confirmation link would do, without using it (the GET of the link's page)."""
        days = self._settings.digest_confirm_days
        found = self._store.confirmation(token_hash(token)) if token else None
        if found is None:
            return ConfirmCheck(LinkState.UNKNOWN, days=days)
        if found.used_at is not None:
            return ConfirmCheck(LinkState.USED, found.subscription, days)
        if found.expires_at <= self._store.now():
            return ConfirmCheck(LinkState.EXPIRED, found.subscription, days)
        return ConfirmCheck(LinkState.USABLE, found.subscription, days)

    def confirm(self, token: str) -> Subscription:
        """Use a confirmation link (once): the subscription is active from now."""
        confirmed = self._store.use_confirmation(token_hash(token)) if token else None
        if confirmed is None:  # not live: say why
            error = self.check(token).error
            assert error is not None
            raise error
        return confirmed

    def unsubscribe(self, subscription: Subscription) -> Subscription:
        """End every digest at once; doing it again changes nothing."""
        self._store.unsubscribe(subscription.pk)
        return self._store.get(subscription.pk) or subscription

    def change_preferences(self, subscription: Subscription, changes: dict) -> Subscription:
        """Apply form or API changes; the first bad field raises InvalidInput and nothing changes."""
        current = Preferences.from_dict(subscription.preferences)
        return self._store.set_preferences(subscription.pk, Preferences.parse(changes, base=current).to_dict())

    def revoke_links(self, subscription: Subscription) -> Subscription:
        """Every manage and unsubscribe link sent so far stops working; the next digest brings new ones."""
        return self._store.set_nonce(subscription.pk, _nonce())

    def alerts(self, subscription: Subscription) -> list[Alert]:
        return self._store.alerts(subscription.pk)

    def add_alert(self, subscription: Subscription, kind: str, value: str) -> Alert:
        """A saved search or followed author; InvalidInput for a query the search box refuses, Conflict if full."""
        return self._store.add_alert(subscription.pk, kind, validate_alert(kind, value), limit=MAX_ALERTS)

    def remove_alert(self, subscription: Subscription, alert_pk: int) -> None:
        if not self._store.delete_alert(subscription.pk, alert_pk):
            raise NotFound(f"this subscription has no alert {alert_pk}")
