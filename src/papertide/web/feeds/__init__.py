"""RSS and Atom feeds of what the pages list, and of each paper's discussion."""

from papertide.web.feeds import discussion, pages

__all__ = ["discussion", "pages"]
