"""Rate limits: how many times something may happen, per address, per client and per both.

Every form that sends mail (sign-in links, digest subscriptions) checks :func:`mail_limits` through
one :class:`RateLimiter` before sending. The limits are shaped so that a stranger cannot turn them
against an address's owner: one client may ask for only a few messages to one address (a burst, then
a cool-down of minutes, and fewer per hour than the address's own budget), so a stranger's requests
never use up the address's budget and its owner, from their own client, is still sent a link; and
no address is sent more than ``mail_limit_per_address`` messages an hour, whoever asks.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import timedelta

from papertide.config import Settings
from papertide.errors import TooManyRequests
from papertide.store.accounts.rate_limits import RateLimitStore

HOUR = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``count`` hits per ``window`` in ``bucket``; ``reason`` says which limit, to the person refused."""

    bucket: str
    count: int
    reason: str
    window: timedelta = HOUR


class RateLimiter:
    """Counts hits in the database and refuses those over a limit with :class:`TooManyRequests`."""

    def __init__(self, store: RateLimitStore, *, keep: timedelta = HOUR) -> None:
        self._store = store
        self._keep = keep  # the longest window of any limit: older hits are pruned

    def hit(self, *limits: Limit) -> None:
        """Count one hit against every limit, or, if any is reached, none and raise TooManyRequests
        naming the limit that frees last (so its Retry-After is when the request would pass)."""
        refusal = self._store.hit([(limit.bucket, limit.count, limit.window) for limit in limits], self._keep)
        if refusal is None:
            return
        seconds = math.ceil(refusal.retry_after.total_seconds())
        raise TooManyRequests(f"{limits[refusal.limit].reason}. Try again {_in(seconds)}.", retry_after_s=seconds)

    def forget_address(self, address: str) -> None:
        """Forget every count that names ``address`` (its account is being deleted)."""
        self._store.clear_ending(":" + address.lower())


def mail_limits(settings: Settings, *, address: str, client: str | None) -> list[Limit]:
    """The limits on one message to ``address`` asked for by ``client`` (its IP address, when known)."""
    address = address.lower()
    limits = [
        Limit(
            f"mail:address:{address}",
            settings.mail_limit_per_address,
            f"This address has been sent {_messages(settings.mail_limit_per_address)} in the past hour, the most "
            "we send to one address",
        )
    ]
    if client:
        key = client_key(client)
        pair = f"mail:pair:{key}:{address}"  # the address last: forget_address finds it by its end
        cooldown = settings.mail_cooldown_minutes
        limits += [
            Limit(
                pair,
                settings.mail_burst_per_client_address,
                f"You have asked for {_messages(settings.mail_burst_per_client_address)} to this address in the past "
                f"{cooldown} minutes",
                timedelta(minutes=cooldown),
            ),
            Limit(
                pair,
                settings.mail_limit_per_client_address,
                f"You have asked for {_messages(settings.mail_limit_per_client_address)} to this address in the "
                "past hour, the most we send to one address for one client",
            ),
            Limit(
                f"mail:client:{key}",
                settings.mail_limit_per_client,
                f"Your network has asked for {_messages(settings.mail_limit_per_client)} in the past hour, the "
                "most we send for one client",
            ),
        ]
    return limits


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
