"""RSS and Atom feeds of what the pages list."""

from papertide.web.feeds import pages

__all__ = ["pages"]
