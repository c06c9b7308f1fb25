"""A clock that tests move by hand, for everything that takes ``clock=`` (stores, the web app)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class ControlledClock:
    """Stands still until :meth:`advance` moves it."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
