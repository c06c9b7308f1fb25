"""Personal API tokens: named, scoped, shown once when created, stored hashed, revoked by their owner.

A token works on the JSON API only (never on the account pages), so it can neither mint tokens nor
start sessions: revoking it ends all the access it ever gave.
"""

from __future__ import annotations

from papertide.accounts.tokens import API_TOKEN_PREFIX, new_token, token_hash
from papertide.errors import InvalidInput, NotFound
from papertide.store.accounts.store import AccountStore, User

MAX_NAME = 100
# 'read' tokens may only GET (look, search, export); 'write' tokens may also vote, save, subscribe.
SCOPES = ("read", "write")


def create_api_token(accounts: AccountStore, user: User, name: str, scope: str = "read") -> str:
    """A new token of ``user`` called ``name``; the returned secret is not stored and cannot be shown again."""
    name = " ".join(name.split())
    if not name:
        raise InvalidInput("name: give the token a name, e.g. the script or machine that will use it")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"name: at most {MAX_NAME} characters (this one has {len(name)})")
    if scope not in SCOPES:
        raise InvalidInput(f"scope: must be 'read' or 'write', not {scope[:20]!r}")
    token = new_token(API_TOKEN_PREFIX)
    accounts.add_api_token(user.pk, name, token_hash(token), scope)
    return token


def revoke_api_token(accounts: AccountStore, user: User, token_pk: int) -> None:
    """Revoke one of the user's own tokens; another user's token is as unknown as a missing one."""
    if not accounts.delete_api_token(user.pk, token_pk):
        raise NotFound(f"you have no API token {token_pk}; it may have been revoked already")
