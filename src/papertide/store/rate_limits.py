"""Rate-limit counters in the database, so limits hold across processes and restarts.

Each admitted request is one row (bucket, time); a bucket's count is its rows within the window.
Rows older than the window are pruned as new ones arrive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select

from papertide.store.base import TableStore, hold_transaction_lock, utc
from papertide.store.schema import rate_limit_hits


@dataclass(frozen=True, slots=True)
class Refusal:
    """The bucket that is full, and how long until it admits a request again."""

    bucket: str
    retry_after: timedelta


class RateLimitStore(TableStore):
    """Admit-and-count for rate limits; the rules (which buckets, how many) belong to the caller."""

    def hit(self, limits: Sequence[tuple[str, int]], window: timedelta) -> Refusal | None:
        """Count one hit in every ``(bucket, limit)`` if each has fewer than ``limit`` hits in ``window``.

        All or nothing: a refused request counts nowhere. Hits are counted one transaction at a
        time (SQLite admits one writer; PostgreSQL takes a lock), so requests racing each other
        cannot all squeeze under a limit.
        """
        now = self._clock()
        since = now - window
        with self._writing() as conn:
            hold_transaction_lock(conn, "rate_limit_hits")
            conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.at <= since))
            for bucket, limit in limits:
                times = (
                    conn.execute(
                        select(rate_limit_hits.c.at)
                        .where(rate_limit_hits.c.bucket == bucket, rate_limit_hits.c.at > since)
                        .order_by(rate_limit_hits.c.at)
                    )
                    .scalars()
                    .all()
                )
                if len(times) >= limit:
                    # The hit whose expiry brings the count below the limit.
                    frees_at = utc(times[len(times) - limit]) + window
                    return Refusal(bucket, max(frees_at - now, timedelta(seconds=1)))
            if limits:
                conn.execute(insert(rate_limit_hits), [{"bucket": bucket, "at": now} for bucket, _ in limits])
        return None

    def clear(self, bucket: str) -> None:
        """Forget a bucket's hits (its key may hold personal data, e.g. an address)."""
        with self._writing() as conn:
            conn.execute(delete(rate_limit_hits).where(rate_limit_hits.c.bucket == bucket))
