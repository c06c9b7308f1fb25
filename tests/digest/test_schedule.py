"""Delivery days and hours in the subscriber's zone, across daylight-saving changes and weekly boundaries."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from papertide.digest.preferences import Preferences
from papertide.digest.schedule import Period, delivery_instant, due_period, latest_period, period_on, previous_cutoff
from tests.digest.conftest import World, at


def prefs(**fields: object) -> Preferences:
    return Preferences.parse(fields)


def test_weekdays_deliver_monday_to_friday_at_the_local_hour() -> None:
    berlin = prefs(hour=8, timezone="Europe/Berlin")
    # Tuesday 1 December 2026, 08:00 CET is 07:00 UTC.
    assert period_on(berlin, date(2026, 12, 1)) == Period(date(2026, 12, 1), at(1, 7))
    assert period_on(berlin, date(2026, 12, 5)) is None  # Saturday
    assert period_on(berlin, date(2026, 12, 6)) is None  # Sunday


def test_latest_period_is_the_last_delivery_at_or_before_now() -> None:
    berlin = prefs(hour=8, timezone="Europe/Berlin")
    assert latest_period(berlin, at(1, 7)).day == date(2026, 12, 1)  # exactly at the hour
    assert latest_period(berlin, at(1, 6, 59)).day == date(2026, 11, 30)  # a minute before: Monday's
    # Over the weekend the latest is still Friday's; Monday's comes at Monday 08:00 local.
    assert latest_period(berlin, at(6, 23)).day == date(2026, 12, 4)
    assert latest_period(berlin, at(7, 7)).day == date(2026, 12, 7)


def test_the_local_day_decides_not_the_utc_day() -> None:
    tokyo = prefs(hour=7, timezone="Asia/Tokyo")  # 07:00 JST is 22:00 UTC the day before
    period = latest_period(tokyo, at(1, 22))
    assert period == Period(date(2026, 12, 2), at(1, 22))
    honolulu = prefs(hour=20, timezone="Pacific/Honolulu")  # 20:00 HST is 06:00 UTC the next day
    assert latest_period(honolulu, at(5, 6)) == Period(date(2026, 12, 4), at(5, 6))  # Friday's, on a UTC Saturday


def test_daily_and_weekly() -> None:
    daily = prefs(frequency="daily", hour=9)
    assert latest_period(daily, at(5, 10)).day == date(2026, 12, 5)  # Saturday too
    weekly = prefs(frequency="weekly", weekday="Sunday", hour=9)
    assert latest_period(weekly, at(6, 8, 59)).day == date(2026, 11, 29)  # a minute before: last Sunday's
    assert latest_period(weekly, at(6, 9)).day == date(2026, 12, 6)
    assert latest_period(weekly, at(12, 23)).day == date(2026, 12, 6)  # Saturday night: still that one
    assert previous_cutoff(weekly, Period(date(2026, 12, 6), at(6, 9))) == at(29, 9, month=11)


def test_previous_cutoff_spans_the_weekend_for_weekday_digests() -> None:
    weekdays = prefs(hour=8)
    monday = period_on(weekdays, date(2026, 12, 7))
    assert previous_cutoff(weekdays, monday) == at(4, 8)  # Friday's delivery


def test_the_hour_follows_daylight_saving_in_both_directions() -> None:
    berlin = prefs(frequency="daily", hour=8, timezone="Europe/Berlin")
    # Summer time ends 25 October 2026: 08:00 is 06:00 UTC on the Saturday, 07:00 UTC on the Sunday.
    assert delivery_instant(berlin, date(2026, 10, 24)) == datetime(2026, 10, 24, 6, tzinfo=UTC)
    assert delivery_instant(berlin, date(2026, 10, 25)) == datetime(2026, 10, 25, 7, tzinfo=UTC)
    # It starts 29 March 2026: 07:00 UTC on the Saturday, 06:00 UTC on the Sunday.
    assert delivery_instant(berlin, date(2026, 3, 28)) == datetime(2026, 3, 28, 7, tzinfo=UTC)
    assert delivery_instant(berlin, date(2026, 3, 29)) == datetime(2026, 3, 29, 6, tzinfo=UTC)
    # The days either side stay 24 or 23/25 hours apart in UTC, one digest each.
    assert delivery_instant(berlin, date(2026, 10, 25)) - delivery_instant(berlin, date(2026, 10, 24)) == timedelta(
        hours=25
    )


def test_an_hour_that_does_not_exist_or_happens_twice() -> None:
    new_york = prefs(frequency="daily", hour=2, timezone="America/New_York")
    # 8 March 2026 jumps from 02:00 to 03:00 EDT: the digest goes at 07:00 UTC (03:00 EDT).
    assert delivery_instant(new_york, date(2026, 3, 8)) == datetime(2026, 3, 8, 7, tzinfo=UTC)
    new_york_1am = prefs(frequency="daily", hour=1, timezone="America/New_York")
    # 1 November 2026 has 01:00 twice: the first (EDT, 05:00 UTC).
    assert delivery_instant(new_york_1am, date(2026, 11, 1)) == datetime(2026, 11, 1, 5, tzinfo=UTC)


def test_walking_the_clock_hour_by_hour_gives_one_period_per_delivery_day() -> None:
    berlin = prefs(frequency="daily", hour=2, timezone="Europe/Berlin")
    start = datetime(2026, 3, 25, tzinfo=UTC)
    keys = {latest_period(berlin, start + timedelta(hours=h)).key for h in range(24 * 10)}
    assert keys == {f"2026-{d}" for d in ("03-24", "03-25", "03-26", "03-27", "03-28", "03-29", "03-30",
                                           "03-31", "04-01", "04-02", "04-03")}  # fmt: skip


def test_a_pause_holds_back_every_delivery_before_its_end() -> None:
    paused = prefs(hour=8, paused_until="2026-12-03")
    assert period_on(paused, date(2026, 12, 2)) is None
    assert latest_period(paused, at(2, 9)) is None  # Wednesday's would be paused: nothing, not Tuesday's
    assert latest_period(paused, at(3, 9)).day == date(2026, 12, 3)  # resumes on the date given


def test_due_period_needs_an_active_subscription_confirmed_in_time_and_not_yet_recorded(world: World) -> None:
    world.clock.now = at(1, 10)  # confirmed Tuesday 10:00, after Tuesday's 08:00 delivery
    subscription = world.subscriber(hour=8)
    assert due_period(subscription, at(1, 12)) is None
    wednesday = due_period(subscription, at(2, 8))
    assert wednesday == Period(date(2026, 12, 2), at(2, 8))
    world.subscriptions.record(subscription.pk, wednesday.key, wednesday.cutoff, [])
    assert due_period(world.subscriptions.get(subscription.pk), at(2, 9)) is None
    assert due_period(world.subscriptions.get(subscription.pk), at(3, 8)).day == date(2026, 12, 3)
    world.subscriptions.unsubscribe(subscription.pk)
    assert due_period(world.subscriptions.get(subscription.pk), at(3, 8)) is None
