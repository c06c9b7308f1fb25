"""A user's own data: all of it as one JSON document, and the deletion of all of it."""

from __future__ import annotations

from typing import Any

from papertide.accounts.rate_limits import RateLimiter
from papertide.errors import NotFound
from papertide.store.accounts.store import AccountStore, User
from papertide.store.digest.subscriptions import SubscriptionStore

EXPORT_FORMAT = "papertide-account-export"
EXPORT_VERSION = 1


def export_account(accounts: AccountStore, subscriptions: SubscriptionStore, user: User) -> dict[str, Any]:
    """Everything stored about ``user``: account, sessions, API token names, votes, collections and notes,
    and the digest subscription of its address.

    Secrets (token digests) are left out; they are not the user's data but keys to it.
    """
    data = accounts.personal_data(user.pk)
    if data is None:
        raise NotFound("this account no longer exists")
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": accounts.now(),
        "account": {"email": data.user.email, "created_at": data.user.created_at, "last_seen_at": data.last_seen_at},
        "sessions": data.sessions,
        "api_tokens": [
            {
                "name": token.name,
                "scope": token.scope,
                "created_at": token.created_at,
                "last_used_at": token.last_used_at,
            }
            for token in data.api_tokens
        ],
        "votes": data.votes,
        "collections": data.collections,
        "digest": subscriptions.personal_data(user.email),
    }


def delete_account(
    accounts: AccountStore, subscriptions: SubscriptionStore, limiter: RateLimiter, user: User
) -> None:
    """Remove the user with their sessions, tokens, votes (which leave the counts), collections, and the
    digest subscription of their address, even one made by address alone before the account existed."""
    subscriptions.delete_by_email(user.email)
    accounts.delete_user(user.pk)
    limiter.forget_address(user.email)
