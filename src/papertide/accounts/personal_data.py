"""A user's own data: all of it as one JSON document, and the deletion of all of it."""

from __future__ import annotations

from typing import Any

from papertide.accounts.rate_limits import RateLimiter
from papertide.errors import NotFound
from papertide.store import Stores
from papertide.store.accounts.store import User

EXPORT_FORMAT = "papertide-account-export"
EXPORT_VERSION = 1


def export_account(stores: Stores, user: User) -> dict[str, Any]:
    """Everything stored about ``user``: account, sessions, API token names, votes, collections and notes,
    the digest subscription of its address, and its comments.

    Secrets (token digests) are left out; they are not the user's data but keys to it.
    """
    accounts = stores.accounts
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
        "digest": stores.subscriptions.personal_data(user.email),
        "comments": stores.comments.personal_data(user.pk),
    }


def delete_account(stores: Stores, limiter: RateLimiter, user: User) -> None:
    """Remove the user with their sessions, tokens, votes (which leave the counts), collections, and the
    digest subscription of their address, even one made by address alone before the account existed. Their
    comments are deleted as if by them: emptied, with a placeholder where others replied."""
    stores.comments.erase_author(user.pk)
    stores.subscriptions.delete_by_email(user.email)
    stores.accounts.delete_user(user.pk)
    limiter.forget_address(user.email)
