"""Digests at each subscriber's local hour, through the real digest package and a real SMTP server.

A controlled clock walks the worker through the days clocks change in Europe (29 March and
25 October 2026) in half-hour ticks, with a paper arriving every night. Each subscriber gets
exactly one digest per delivery day, at their hour on their own wall clock, whatever the UTC
offset does that day; a weekly subscriber gets one on their weekday, also where that weekday
begins while it is still the day before in UTC.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest

from papertide.config import Settings
from papertide.digest.send import mailer_relay
from papertide.ingest.pipeline import ingest
from papertide.mail import Mailer
from papertide.services import Services
from papertide.store import open_store
from papertide.store.papers.store import PaperStore
from papertide.worker.runner import Worker
from tests.clock import ControlledClock
from tests.digest.conftest import paper
from tests.mail_server import MailServer
from tests.worker.conftest import subscribe

pytestmark = pytest.mark.slow  # run first (tests/conftest.py): workers across a clock change

BERLIN = ZoneInfo("Europe/Berlin")
AUCKLAND = ZoneInfo("Pacific/Auckland")
SUBSCRIBERS = {  # address number: preferences
    1: {"frequency": "daily", "hour": 7, "timezone": "Europe/Berlin"},
    2: {"frequency": "daily", "hour": 2, "timezone": "Europe/Berlin"},  # an hour that is skipped, then doubled
    3: {"frequency": "weekly", "weekday": 0, "hour": 7, "timezone": "Europe/Berlin"},
    4: {"frequency": "weekly", "weekday": 0, "hour": 7, "timezone": "Pacific/Auckland"},
    5: {"frequency": "weekdays", "hour": 7, "timezone": "Europe/Berlin"},
}


def walk(settings: Settings, start: datetime, days: int) -> dict[int, int]:
    """Tick the worker's digest step every half hour for ``days`` from ``start``; a paper arrives at 23:40 UTC."""
    clock = ControlledClock(start - timedelta(days=1))
    store = PaperStore(open_store(settings.resolved_database_url).engine, clock=clock)
    pks = {n: subscribe(store.engine, 1, clock, first=n, **prefs)[0].pk for n, prefs in SUBSCRIBERS.items()}
    mailer = Mailer.from_settings(settings)
    services = Services(settings, store, clock=clock)
    worker = Worker(services, services.digests, lambda: mailer_relay(mailer))
    worker.jobs = [job for job in worker.default_jobs() if job.name == "digests"]
    clock.now = start - timedelta(minutes=30)
    for tick in range(days * 48 + 1):
        if clock.now.hour == 23 and clock.now.minute == 30:
            arrival = clock.now + timedelta(minutes=10)
            arriving = PaperStore(store.engine, clock=lambda at=arrival: at)
            ingest([paper(tick, f"Paper {tick}", submitted=arrival - timedelta(hours=6))], arriving)
        worker.tick()
        clock.advance(minutes=30)
    return {pk: n for n, pk in pks.items()}


def deliveries(server: MailServer, numbers: dict[int, int]) -> dict[int, list[tuple[str, datetime]]]:
    """Per subscriber: (period key, the digest's Date) of each digest received, in order."""
    found: dict[int, list[tuple[str, datetime]]] = {n: [] for n in numbers.values()}
    for message in server.messages:
        _, pk, period = message["Message-ID"].strip("<>").split("@")[0].split(".", 2)
        found[numbers[int(pk)]].append((period, parsedate_to_datetime(message["Date"]).astimezone(UTC)))
    return found


def local(moment: datetime, zone: ZoneInfo) -> tuple[date, int, int]:
    wall = moment.astimezone(zone)
    return wall.date(), wall.hour, wall.minute


def test_spring_forward(mail_settings: Settings, smtp_server: MailServer) -> None:
    numbers = walk(mail_settings, datetime(2026, 3, 27, 0, 0, tzinfo=UTC), days=5)  # Friday 27 .. Tuesday 31 March
    got = deliveries(smtp_server, numbers)

    days = [date(2026, 3, d) for d in (27, 28, 29, 30, 31)]
    assert [local(sent, BERLIN) for _, sent in got[1]] == [(d, 7, 0) for d in days]  # 29 March: UTC+1 -> UTC+2
    assert [period for period, _ in got[1]] == [d.isoformat() for d in days]
    # 02:00 does not exist on 29 March: that digest goes at 03:00 summer time, the first moment past 02:00.
    assert [local(sent, BERLIN)[1] for _, sent in got[2]] == [2, 2, 3, 2, 2]
    assert [period for period, _ in got[3]] == ["2026-03-30"]  # weekly, Monday
    assert [local(sent, AUCKLAND) for _, sent in got[4]] == [(date(2026, 3, 30), 7, 0)]  # Sunday 18:00 UTC
    assert [period for period, _ in got[5]] == ["2026-03-27", "2026-03-30", "2026-03-31"]  # no weekend
    assert not [key for key, count in Counter(m["Message-ID"] for m in smtp_server.messages).items() if count > 1]


def test_fall_back(mail_settings: Settings, smtp_server: MailServer) -> None:
    numbers = walk(mail_settings, datetime(2026, 10, 23, 0, 0, tzinfo=UTC), days=5)  # Friday 23 .. Tuesday 27 October
    got = deliveries(smtp_server, numbers)

    days = [date(2026, 10, d) for d in (23, 24, 25, 26, 27)]
    assert [local(sent, BERLIN) for _, sent in got[1]] == [(d, 7, 0) for d in days]  # 25 October: UTC+2 -> UTC+1
    # 02:00 happens twice on 25 October: one digest, at the first.
    assert [local(sent, BERLIN) for _, sent in got[2]] == [(d, 2, 0) for d in days]
    assert got[2][2][1] == datetime(2026, 10, 25, 0, 0, tzinfo=UTC)
    assert [period for period, _ in got[3]] == ["2026-10-26"]
    assert [period for period, _ in got[5]] == ["2026-10-23", "2026-10-26", "2026-10-27"]
    assert len(smtp_server.messages) == len({m["Message-ID"] for m in smtp_server.messages})
