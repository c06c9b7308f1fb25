"""People: accounts, sign-in links, sessions, API tokens and rate limits. Rules only; no HTTP here."""
