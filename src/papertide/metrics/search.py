"""Timing a search's stages without handing a timer through every function of the engine.

:func:`timed_search` opens a stage record in a context variable for the search running in this
context; :func:`stage` adds its block's time to that record, and does nothing outside a timed
search. Work handed to a thread keeps the record when submitted with the context
(``contextvars.copy_context().run``), as the query embedding is.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from papertide.metrics import SEARCH_SECONDS

_STAGES: ContextVar[dict[str, float] | None] = ContextVar("papertide_search_stages", default=None)


@contextmanager
def timed_search() -> Iterator[dict[str, float]]:
    """A fresh stage record (stage -> seconds) for the search run inside the block."""
    record: dict[str, float] = {}
    token = _STAGES.set(record)
    try:
        yield record
    finally:
        _STAGES.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Add the block's time to stage ``name`` of the search being timed, if any."""
    record = _STAGES.get()
    if record is None:
        yield
        return
    started = time.perf_counter()
    try:
        yield
    finally:
        record[name] = record.get(name, 0.0) + time.perf_counter() - started


def record_search(mode: str, stages: dict[str, float], total_s: float) -> None:
    """Observe one finished search: each stage it went through, and its total."""
    for name, seconds in stages.items():
        SEARCH_SECONDS.labels(mode, name).observe(seconds)
    SEARCH_SECONDS.labels(mode, "total").observe(total_s)
