"""The worker's tests: a fresh database of the backend under test, and a clock the test moves."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, insert

from papertide.digest.preferences import Preferences
from papertide.store.db.engine import create_store_engine, migrate
from papertide.store.db.schema import subscriptions
from papertide.store.digest.subscriptions import ACTIVE, Subscription, SubscriptionStore
from tests.clock import ControlledClock


@pytest.fixture
def db_url(database_url: str) -> str:
    """A fresh, migrated database of the backend under test (tests/postgres.py)."""
    engine = create_store_engine(database_url)
    migrate(engine)
    engine.dispose()
    return database_url


@pytest.fixture
def engine(db_url: str) -> Engine:
    return create_store_engine(db_url)


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


def subscribe(engine: Engine, count: int, clock=None, *, first: int = 1, **preferences: object) -> list[Subscription]:
    """``count`` active subscriptions (reader<first>@example.org, ...) with these preferences, in one transaction."""
    store = SubscriptionStore(engine, clock) if clock else SubscriptionStore(engine)
    now = store.now()
    stored = Preferences.parse(preferences).to_dict()
    common = {"status": ACTIVE, "preferences": stored, "nonce": "nonce", "created_at": now, "updated_at": now}
    rows = [{"email": f"reader{n}@example.org", "confirmed_at": now, **common} for n in range(first, first + count)]
    with engine.begin() as conn:
        conn.execute(insert(subscriptions), rows)
    return [store.by_email(row["email"]) for row in rows]


def pytest_terminal_summary(terminalreporter) -> None:
    """Show what the SIGKILL test measured (how often a kill hit the SMTP window), also under xdist."""
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", ()):
            if name == "crash_report":
                terminalreporter.write_line(f"SIGKILL test: {value}")
