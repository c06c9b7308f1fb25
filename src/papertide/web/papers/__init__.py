"""Papers: the newest listings, one page per paper, and the JSON API over them."""

from papertide.web.papers import api, pages

__all__ = ["api", "pages"]
