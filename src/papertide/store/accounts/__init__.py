"""Accounts in the database: users, links, sessions, tokens, rate-limit counters."""
