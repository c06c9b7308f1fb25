"""The digest's pages and API: subscribe, confirm, manage, preview, unsubscribe."""

from papertide.web.digest import api, pages

__all__ = ["api", "pages"]
