"""Rate limits: how many times per hour something may happen, per address and per client.

Every form that sends mail (sign-in links now, digest subscriptions later) checks
:func:`mail_limits` through one :class:`RateLimiter` before sending, so one address or one
client cannot make papertide mail anyone more than a few times an hour.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from papertide.config import Settings
from papertide.errors import TooManyRequests
from papertide.store.rate_limits import RateLimitStore

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` hits per window in ``bucket``; ``reason`` says which limit, to the person refused."""

    bucket: str
    count: int
    reason: str


class RateLimiter:
    """Counts hits in the database and refuses those over a limit with :class:`TooManyRequests`."""

    def __init__(self, store: RateLimitStore, *, window: timedelta = HOUR) -> None:
        self._store = store
        self._window = window

    def hit(self, *limits: Limit) -> None:
        """Count one hit against every limit, or, if any is reached, none and raise TooManyRequests."""
        refusal = self._store.hit([(limit.bucket, limit.count) for limit in limits], self._window)
        if refusal is None:
            return
        limit = next(limit for limit in limits if limit.bucket == refusal.bucket)
        seconds = math.ceil(refusal.retry_after.total_seconds())
        raise TooManyRequests(f"{limit.reason}. Try again {_in(seconds)}.", retry_after_s=seconds)

    def forget(self, bucket: str) -> None:
        self._store.clear(bucket)


def mail_limits(settings: Settings, *, address: str, client: str | None) -> list[Limit]:
    """The limits on one message to ``address`` asked for by ``client`` (its IP address, when known)."""
    limits = [
        Limit(
            address_bucket(address),
            settings.mail_limit_per_address,
            f"This address has been sent {_messages(settings.mail_limit_per_address)} in the past hour, the most "
            "we send to one address",
        )
    ]
    if client:
        limits.append(
            Limit(
                f"mail:client:{client_key(client)}",
                settings.mail_limit_per_client,
                f"Your network has asked for {_messages(settings.mail_limit_per_client)} in the past hour, the most "
                "we send for one client",
            )
        )
    return limits


def address_bucket(address: str) -> str:
    """The bucket counting the mail sent to ``address`` (cleared when its account is deleted)."""
    return f"mail:address:{address.lower()}"


def client_key(host: str) -> str:
    """An IPv6 client is its /64 network: one household or server usually holds all of it."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _messages(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


def _in(seconds: int) -> str:
    if seconds < 90:
        return f"in {seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"in {minutes} minutes"
