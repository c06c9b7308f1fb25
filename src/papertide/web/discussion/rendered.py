"""HTML rendered for visitors, kept by everything it was rendered from.

What a visitor (nobody signed in) sees of a discussion or of the "Most discussed" cards is the same for
every visitor, so it is rendered once and served again while its key holds. A key names all the page's
inputs (a discussion's key holds its comments as read, edits, votes and moderation included), so a change
makes a new key rather than a stale page, in every worker process alike; nothing needs invalidating.
Signed-in readers are never served from here: their pages carry their votes, buttons and CSRF token.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock

from markupsafe import Markup


class RenderedCache:
    """The ``size`` most recently used renderings, by key (pages render on several threads at once)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Markup] = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable, render: Callable[[], Markup]) -> Markup:
        """The rendering kept under ``key``, or ``render()``'s, kept from now on."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        made = render()
        with self._lock:
            self._items[key] = made
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._items)
