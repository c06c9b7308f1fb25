"""What an answer shows of a stored paper: never more than the ingest limits allow, whatever is stored.

Rows written before the limits (README "Ingest limits") may hold a 20 MB abstract or 100,000
authors; pages and API answers clip each field to its limit and say so (``truncated``), so no
answer about one paper runs past a few hundred kilobytes.
"""

from __future__ import annotations

from papertide.model import MAX_AUTHOR_LENGTH, MAX_AUTHORS

# Author names one answer shows, in characters all together: the largest real list (~5,200 names
# of a HEP collaboration) takes ~75,000.
MAX_AUTHOR_CHARS_SHOWN = 100_000
# Authors a paper's page lists, each a link, before "and N more" (the API lists up to the limits above).
PAGE_AUTHORS = 1_000


class Clipper:
    """Clips fields to their limits and remembers whether it had to."""

    def __init__(self) -> None:
        self.truncated = False

    def text(self, value: str | None, limit: int) -> str | None:
        if value is None or len(value) <= limit:
            return value
        self.truncated = True
        return value[:limit]

    def authors(self, names: list[str]) -> list[str]:
        """The first names, each at most MAX_AUTHOR_LENGTH, up to MAX_AUTHORS and MAX_AUTHOR_CHARS_SHOWN."""
        shown: list[str] = []
        room = MAX_AUTHOR_CHARS_SHOWN
        for name in names[:MAX_AUTHORS]:
            name = self.text(name, MAX_AUTHOR_LENGTH) or ""
            room -= len(name)
            if room < 0:
                break
            shown.append(name)
        self.truncated |= len(shown) < len(names)
        return shown
