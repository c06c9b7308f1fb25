"""Rate-limit counters in the database, so limits hold across processes and restarts.

Each admitted request is one row (bucket, time); a bucket's count is its rows within a limit's window
(one bucket may be limited over several windows, e.g. 3 in 10 minutes and 5 in an hour). Rows older
than the longest window the caller keeps are pruned as new ones arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select

from papertide.store.db.base import TableStore, hold_transaction_lock, utc
from papertide.store.db.schema import rate_limit_hits


@dataclass(frozen=True, slots=True)
class Refusal:
    """The limit (its place among those asked about) that frees last, and how long until it would admit."""

    limit: int
    retry_after: timedelta


class RateLimitStore(TableStore):
    """Admit-and-count for rate limits; the rules (which buckets, how many) belong to the caller."""

    def hit(self, limits: Sequence[tuple[str, int, timedelta]], keep: timedelta) -> Refusal | None:
        """Count one hit in every bucket if each ``(bucket, limit, window)`` has fewer than ``limit`` hits
        in ``window`` (at most ``keep``: older hits are pruned).

        All or nothing: a refused request counts nowhere. Hits are counted one transaction at a
        time (SQLite admits one writer; PostgreSQL takes a lock), so requests racing each other
        cannot all squeeze under a limit.
        """
        now = self._clock()
        refusals: list[Refusal] = []
        with self._writing() as conn:
            hold_transaction_lock(conn, "rate_limit_hits")
            conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.at <= now - keep))
            for index, (bucket, limit, window) in enumerate(limits):
                times = (
                    conn.execute(
                        select(rate_limit_hits.c.at)
                        .where(rate_limit_hits.c.bucket == bucket, rate_limit_hits.c.at > now - min(window, keep))
                        .order_by(rate_limit_hits.c.at)
                    )
                    .scalars()
                    .all()
                )
                if len(times) >= limit:
                    # The hit whose expiry brings the count below the limit.
                    frees_at = utc(times[len(times) - limit]) + window
                    refusals.append(Refusal(index, max(frees_at - now, timedelta(seconds=1))))
            if refusals:  # the one that frees last says truly when to come back
                return max(refusals, key=lambda refusal: refusal.retry_after)
            buckets = dict.fromkeys(bucket for bucket, _, _ in limits)  # one row per bucket, whatever its windows
            if buckets:
                conn.execute(insert(rate_limit_hits), [{"bucket": bucket, "at": now} for bucket in buckets])
        return None

    def clear_ending(self, suffix: str) -> None:
        """Forget the hits of every bucket whose key ends with ``suffix`` (keys may hold personal data, e.g.
        an address, which ends them)."""
        with self._writing() as conn:
            conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.bucket.endswith(suffix, autoescape=True)))
