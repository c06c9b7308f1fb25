"""The library's pages and API: votes, collections, imports and exports, "For you"."""

from papertide.web.library import api, pages

__all__ = ["api", "pages"]
