"""Accounts' pages and API: signing in and out, the account page, tokens."""
