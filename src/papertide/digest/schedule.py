"""When digests go out: a subscriber's delivery days and local hour, as UTC instants.

A :class:`Period` is one scheduled digest. Its :attr:`~Period.key` is the subscriber-local
delivery day (``2026-12-01``): with the subscription it keys the outbox row and the Message-ID,
so a period is sent at most once however often the worker asks. Its :attr:`~Period.cutoff` is the
UTC instant of the delivery hour that day; papers that arrived before it belong to it.

The delivery hour is wall-clock time in the subscriber's zone. On the day clocks jump forward
and that hour does not exist, the digest goes at the offset in force before the jump (an hour
later on the wall clock); when the hour happens twice, it goes at the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from papertide.digest.preferences import Frequency, Preferences, describe_schedule
from papertide.errors import InvalidInput
from papertide.store.digest.subscriptions import Subscription

_WEEK = 7


@dataclass(frozen=True, slots=True, order=True)
class Period:
    day: date  # the subscriber-local delivery day
    cutoff: datetime  # UTC: the scheduled delivery instant

    @property
    def key(self) -> str:
        return self.day.isoformat()


def is_scheduled(preferences: Preferences, day: date) -> bool:
    """Whether the frequency delivers on this local day (a pause aside)."""
    if preferences.frequency is Frequency.WEEKDAYS:
        return day.weekday() < 5
    if preferences.frequency is Frequency.WEEKLY:
        return day.weekday() == preferences.weekday
    return True


def is_paused(preferences: Preferences, day: date) -> bool:
    return preferences.paused_until is not None and day < preferences.paused_until


def delivery_instant(preferences: Preferences, day: date) -> datetime:
    """The UTC instant of the delivery hour on a local day (see the module note on daylight saving)."""
    local = datetime.combine(day, time(preferences.hour), tzinfo=preferences.zone)
    return local.astimezone(UTC)


def period_on(preferences: Preferences, day: date) -> Period | None:
    """The period delivered on a local day, or None when none is (not a delivery day, or paused)."""
    if not is_scheduled(preferences, day) or is_paused(preferences, day):
        return None
    return Period(day, delivery_instant(preferences, day))


def latest_period(preferences: Preferences, now: datetime) -> Period | None:
    """The last period whose delivery instant is at or before ``now``; None if that day is paused."""
    today = now.astimezone(preferences.zone).date()
    for back in range(_WEEK + 1):
        day = today - timedelta(days=back)
        if is_scheduled(preferences, day) and delivery_instant(preferences, day) <= now:
            return None if is_paused(preferences, day) else Period(day, delivery_instant(preferences, day))
    raise AssertionError("every frequency delivers at least once a week")


def previous_cutoff(preferences: Preferences, period: Period) -> datetime:
    """The delivery instant scheduled before ``period`` (pauses ignored): where its window starts by default."""
    for back in range(1, _WEEK + 1):
        day = period.day - timedelta(days=back)
        if is_scheduled(preferences, day):
            return delivery_instant(preferences, day)
    raise AssertionError("every frequency delivers at least once a week")


def due_period(subscription: Subscription, now: datetime) -> Period | None:
    """The period the sender should deliver to ``subscription`` at ``now``, or None.

    The latest scheduled period, provided the subscription is active, was confirmed by its
    cutoff (no digest for a delivery scheduled before someone subscribed) and has not had it
    recorded yet. The sender's outbox key (subscription, period key) still guards against a
    second send; this only saves composing what is not due.
    """
    if not subscription.is_active or subscription.confirmed_at is None:
        return None
    period = latest_period(Preferences.from_dict(subscription.preferences), now)
    if period is None or subscription.confirmed_at > period.cutoff:
        return None
    if subscription.last_cutoff is not None and subscription.last_cutoff >= period.cutoff:
        return None
    return period


def next_period(subscription: Subscription, now: datetime) -> Period:
    """The next delivery, for a preview: the one due now if not yet recorded, else the first scheduled after
    ``now`` (a pause skipped). Never the past delivery already sent, which would preview as empty."""
    due = due_period(subscription, now)
    if due is not None:
        return due
    preferences = Preferences.from_dict(subscription.preferences)
    today = now.astimezone(preferences.zone).date()
    start = max(today, preferences.paused_until or today)
    for ahead in range(_WEEK + 1):
        period = period_on(preferences, start + timedelta(days=ahead))
        if period is not None and period.cutoff > now:
            return period
    raise AssertionError("every frequency delivers at least once a week")


def why_not_due(subscription: Subscription, now: datetime, day: date | None = None) -> str | None:
    """Why an active subscription has no digest due at ``now`` (or on the local ``day``), None when it has one.

    The counterpart of :func:`due_period` and :func:`period_on`, in words for ``papertide digest send``.
    """
    preferences = Preferences.from_dict(subscription.preferences)
    if day is not None:
        if is_paused(preferences, day):
            return f"paused until {preferences.paused_until}"
        return None if is_scheduled(preferences, day) else f"{day:%A} is not one of their delivery days"
    if due_period(subscription, now) is not None:
        return None
    period = latest_period(preferences, now)
    if period is None:
        return f"paused until {preferences.paused_until}"
    if subscription.confirmed_at is not None and subscription.confirmed_at > period.cutoff:
        return "subscribed after their latest delivery hour: the first digest comes at the next one"
    return "their latest digest was already sent or skipped: the next comes at their next delivery hour"


def preview_period(preferences: Preferences, now: datetime, day: date | None = None) -> Period:
    """The period a preview shows: ``day``'s delivery, else the latest one; InvalidInput saying why there is none."""
    when = f"the digest comes {describe_schedule(preferences)}"
    if day is None:
        period = latest_period(preferences, now)
        if period is None:
            raise InvalidInput(f"the digest is paused until {preferences.paused_until}; then {when}")
        return period
    if not is_scheduled(preferences, day):
        raise InvalidInput(f"{day:%A} {day} is not a delivery day: {when}")
    if is_paused(preferences, day):
        raise InvalidInput(f"{day} falls in the pause, which lasts until {preferences.paused_until}")
    return Period(day, delivery_instant(preferences, day))
