"""Trending: the home page, the most discussed tab and their API."""

from papertide.web.trending import api, discussed, pages

__all__ = ["api", "discussed", "pages"]
