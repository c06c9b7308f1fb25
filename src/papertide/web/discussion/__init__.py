"""Discussion under each paper: the section and its forms, moderation, following, and the JSON API."""

from papertide.web.discussion import api, follows, pages

__all__ = ["api", "follows", "pages"]
