"""The search page."""

from papertide.web.search import pages

__all__ = ["pages"]
