"""Database pool use as gauges, kept current by the pool's own checkout and checkin events."""

from __future__ import annotations

from sqlalchemy import Engine, event

from papertide.metrics import POOL_IN_USE, POOL_SIZE


def watch_pool(engine: Engine) -> None:
    """Count ``engine``'s checked-out connections into :data:`POOL_IN_USE`, its pool size into :data:`POOL_SIZE`.

    Call once per engine (the web app's and the worker's); the gauges sum over the live processes.
    """
    if event.contains(engine, "checkout", _checked_out):  # watched already (several apps over one store)
        return
    size = getattr(engine.pool, "size", None)
    if callable(size):
        POOL_SIZE.inc(size())
    event.listen(engine, "checkout", _checked_out)
    event.listen(engine, "checkin", _checked_in)


def _checked_out(*_: object) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_: object) -> None:
    POOL_IN_USE.dec()
