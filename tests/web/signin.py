"""Test helpers for signed-in requests: a session without the mail round trip, and the page's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from papertide.store.accounts.store import User
from papertide.web.kit.auth import SESSION_COOKIE
from papertide.web.kit.dependencies import Services

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def services_of(client: TestClient) -> Services:
    return client.app.state.services


def sign_in(client: TestClient, email: str = "reader@example.org") -> User:
    """Create ``email``'s account (if new) and a session, and give ``client`` its cookie."""
    services = services_of(client)
    user, _ = services.accounts.get_or_create_user(email)
    client.cookies.set(SESSION_COOKIE, services.sessions.start(user))
    return user


def csrf_token(client: TestClient, page: str = "/signin") -> str:
    """The CSRF token a page gives this client (the first request also sets the CSRF cookie)."""
    match = _CSRF_META.search(client.get(page).text)
    assert match, f"{page} has no csrf-token meta tag"
    return match.group(1)
