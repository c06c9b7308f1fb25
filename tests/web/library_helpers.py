"""Helpers of the library's web tests: API tokens, CSRF'd form posts, the app over one's own store."""

from __future__ import annotations

from fastapi.testclient import TestClient

from papertide.accounts.tokens import API_TOKEN_PREFIX, new_token, token_hash
from papertide.store.accounts.store import User
from tests.web.signin import csrf_token, services_of


def bearer(client: TestClient, email: str) -> tuple[User, dict[str, str]]:
    """An account with a fresh API token, and the headers that present it."""
    services = services_of(client)
    user, _ = services.accounts.get_or_create_user(email)
    token = new_token(API_TOKEN_PREFIX)
    services.accounts.add_api_token(user.pk, "tests", token_hash(token))
    return user, {"Authorization": f"Bearer {token}"}


def post_form(client: TestClient, path: str, data: dict | None = None, *, page: str = "/", **kwargs):
    """POST a form the way a page does: with the CSRF token that ``page`` gave this client."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, page)}, **kwargs)
