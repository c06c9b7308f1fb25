"""Accounts' pages and API: signing in and out, the account page, tokens."""

from papertide.web.accounts import api, pages, sign_in

__all__ = ["api", "pages", "sign_in"]
