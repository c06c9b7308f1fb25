"""Rate limits counted in the database: limits, retry times, all-or-nothing hits, pruning."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from papertide.accounts.rate_limits import HOUR, Limit, RateLimiter, client_key, mail_limits
from papertide.config import load_settings
from papertide.errors import TooManyRequests
from papertide.store import PaperStore
from papertide.store.accounts.rate_limits import RateLimitStore
from papertide.store.db.schema import rate_limit_hits
from tests.clock import ControlledClock

MINUTE = timedelta(minutes=1)


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture
def limiter(store: PaperStore, clock: ControlledClock) -> RateLimiter:
    return RateLimiter(RateLimitStore(store.engine, clock))


def hits(store: PaperStore) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(rate_limit_hits)).scalar_one()


def test_a_bucket_admits_its_limit_per_hour_then_says_when_to_retry(limiter, clock) -> None:
    limit = Limit("test:a", 3, "Too many tries")
    for _ in range(3):
        limiter.hit(limit)
        clock.advance(minutes=10)
    with pytest.raises(TooManyRequests) as refused:
        limiter.hit(limit)
    # The first hit (at 0 min) stops counting at 60 min; it is now 30 min.
    assert refused.value.retry_after_s == 30 * 60
    assert refused.value.message == "Too many tries. Try again in 30 minutes."
    clock.advance(minutes=30)
    limiter.hit(limit)  # the first hit has left the window
    with pytest.raises(TooManyRequests) as again:
        limiter.hit(limit)
    assert again.value.retry_after_s == 10 * 60  # until the second hit leaves it


def test_a_refused_hit_counts_against_no_limit(limiter) -> None:
    roomy, full = Limit("test:roomy", 5, "roomy"), Limit("test:full", 1, "Full")
    limiter.hit(full)
    for _ in range(3):
        with pytest.raises(TooManyRequests, match=r"^Full"):
            limiter.hit(roomy, full)
    for _ in range(5):  # all five still free: the refused requests were not counted here
        limiter.hit(roomy)
    with pytest.raises(TooManyRequests, match=r"^roomy"):
        limiter.hit(roomy)


def test_counts_are_shared_by_limiters_over_one_database(store, clock) -> None:
    limit = Limit("test:shared", 2, "Shared")
    RateLimiter(RateLimitStore(store.engine, clock)).hit(limit)
    RateLimiter(RateLimitStore(store.engine, clock)).hit(limit)
    with pytest.raises(TooManyRequests):
        RateLimiter(RateLimitStore(store.engine, clock)).hit(limit)


def test_hits_older_than_the_window_are_pruned(limiter, store, clock) -> None:
    for bucket in ("test:1", "test:2", "test:3"):
        limiter.hit(Limit(bucket, 10, "x"))
    assert hits(store) == 3
    clock.advance(minutes=61)
    limiter.hit(Limit("test:4", 10, "x"))
    assert hits(store) == 1


def test_one_bucket_may_be_limited_over_two_windows(limiter, clock) -> None:
    burst = Limit("test:pair", 2, "Burst", timedelta(minutes=10))
    hourly = Limit("test:pair", 3, "Hourly")
    limiter.hit(burst, hourly)
    limiter.hit(burst, hourly)
    with pytest.raises(TooManyRequests, match=r"^Burst\. Try again in 10 minutes") as cooling:
        limiter.hit(burst, hourly)
    assert cooling.value.retry_after_s == 600  # a cool-down, not an hour
    clock.advance(minutes=10)
    limiter.hit(burst, hourly)  # one row per hit, counted by both windows
    clock.advance(minutes=10)
    with pytest.raises(TooManyRequests, match=r"^Hourly\. Try again in 40 minutes"):
        limiter.hit(burst, hourly)


def test_a_refusal_names_the_limit_that_frees_last(limiter, clock) -> None:
    short, long = Limit("test:short", 1, "Short", timedelta(minutes=5)), Limit("test:long", 1, "Long")
    limiter.hit(short, long)
    clock.advance(minutes=1)
    with pytest.raises(TooManyRequests, match=r"^Long") as refused:
        limiter.hit(short, long)  # both are full; passing needs the hour's, not the 4 minutes'
    assert refused.value.retry_after_s == 59 * 60


def test_forget_address_clears_every_count_naming_it(limiter, store) -> None:
    settings = load_settings(mail_limit_per_address=1, mail_limit_per_client=1, mail_burst_per_client_address=1)
    limiter.hit(*mail_limits(settings, address="gone@example.org", client="192.0.2.7"))
    limiter.hit(*mail_limits(settings, address="kept@example.org", client=None))
    limiter.forget_address("Gone@Example.org")
    assert hits(store) == 2  # the client's count and kept@'s stay
    with pytest.raises(TooManyRequests, match="Your network"):  # the client's own count is not the address's
        limiter.hit(*mail_limits(settings, address="gone@example.org", client="192.0.2.7"))
    limiter.hit(*mail_limits(settings, address="gone@example.org", client="192.0.2.8"))


def test_mail_limits_count_per_address_per_client_and_per_both() -> None:
    settings = load_settings(
        mail_limit_per_address=9,
        mail_limit_per_client=7,
        mail_limit_per_client_address=4,
        mail_burst_per_client_address=2,
        mail_cooldown_minutes=5,
    )
    address, burst, pair, client = mail_limits(settings, address="Reader@Example.org", client="192.0.2.7")
    assert (address.bucket, address.count, address.window) == ("mail:address:reader@example.org", 9, HOUR)
    assert (burst.bucket, burst.count, burst.window) == ("mail:pair:192.0.2.7:reader@example.org", 2, 5 * MINUTE)
    assert (pair.bucket, pair.count, pair.window) == (burst.bucket, 4, HOUR)
    assert (client.bucket, client.count, client.window) == ("mail:client:192.0.2.7", 7, HOUR)
    assert "this address" in address.reason.lower() and "network" in client.reason.lower()
    assert "past 5 minutes" in burst.reason and "to this address in the past hour" in pair.reason
    assert len(mail_limits(settings, address="a@example.org", client=None)) == 1


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb::9", "2001:db8:1:2::/64"),  # one /64 is one client
        ("::ffff:192.0.2.7", "192.0.2.7"),
        ("testclient", "testclient"),
    ],
)
def test_client_keys(host: str, key: str) -> None:
    assert client_key(host) == key
