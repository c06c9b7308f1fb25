"""Database pool use as gauges, kept current by the pool's own checkout and checkin events."""

from __future__ import annotations

from papertide.metrics import POOL_IN_USE, POOL_SIZE
from papertide.store.db.base import TableStore


def watch_pool(store: TableStore) -> None:
    """Count ``store``'s checked-out connections into :data:`POOL_IN_USE`, its pool size into :data:`POOL_SIZE`.

    Call once per store (the web app's and the worker's); the gauges sum over the live processes.
    """
    size = store.watch_pool(_checked_out, _checked_in)
    if size is not None:
        POOL_SIZE.inc(size)


def _checked_out(*_: object) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    POOL_IN_USE.dec()
