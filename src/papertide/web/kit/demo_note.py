"""Whether this library holds the demo's replayed activity, for the note the home and "New" pages show.

The note keeps the demo honest: the papers are real, but when they were listed here, their upvote
history and the demo accounts' votes are replayed relative to the day the demo was loaded.
"""

from __future__ import annotations

import time
from datetime import datetime

from fastapi import Request

TTL_S = 60.0  # a re-run of `papertide demo` shows on the pages within a minute


def demo_loaded_at(request: Request) -> datetime | None:
    """When the demo's activity was last replayed in this app's store (a template global); None if never.

    Remembered on the app for :data:`TTL_S`: a one-row read, but on every home page view.
    """
    state = request.app.state
    now = time.monotonic()
    cached = getattr(state, "demo_loaded_at", None)
    if cached and cached[0] > now:
        return cached[1]
    loaded = state.services.stores.demo_activity.loaded_at()
    state.demo_loaded_at = (now + TTL_S, loaded)  # a race only reads the row twice
    return loaded
