"""Trending: the home page and its API."""

from papertide.web.trending import api, pages

__all__ = ["api", "pages"]
