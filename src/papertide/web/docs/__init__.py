"""``/docs``: the API reference page."""

from papertide.web.docs import pages

__all__ = ["pages"]
