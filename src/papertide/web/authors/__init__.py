"""Author pages: a name's papers, co-authors and categories, its feed, and following it in the digest."""

from papertide.web.authors import pages

__all__ = ["pages"]
