"""Sessions, bearer tokens and the CSRF check, through the app."""

from __future__ import annotations

import os
import secrets
import stat
import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from papertide.accounts.keys import KEY_FILE, Signer, load_secret_key
from papertide.accounts.tokens import API_TOKEN_PREFIX, new_token, token_hash
from papertide.config import Settings, load_settings
from papertide.errors import ConfigError
from papertide.store.accounts.store import AccountStore
from papertide.web.app import create_app
from papertide.web.kit.auth import CSRF_COOKIE, CsrfDep, OptionalUserDep, UserDep
from tests.web.signin import csrf_token, sign_in


def _probe_app(settings: Settings, own_store) -> FastAPI:
    """The real app plus two probe routes that say who is asking."""
    app = create_app(settings, own_store)
    probe = APIRouter()

    @probe.get("/api/v1/whoami")
    def whoami(user: UserDep) -> dict:
        return {"email": user.email}

    @probe.post("/probe/change", dependencies=[CsrfDep])
    def change(user: OptionalUserDep) -> dict:
        return {"changed": True, "by": user.email if user else None}

    @probe.post("/api/v1/probe/change", dependencies=[CsrfDep])
    def api_change(user: OptionalUserDep) -> dict:
        return {"changed": True, "by": user.email if user else None}

    @probe.get("/probe/private")
    def private(user: UserDep) -> dict:
        return {"email": user.email}

    app.include_router(probe)
    return app


@pytest.fixture
def client(settings: Settings, own_store) -> TestClient:
    return TestClient(_probe_app(settings, own_store))


def test_secret_key_is_generated_once_with_mode_0600(tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path)
    key = load_secret_key(settings)
    assert len(key) >= 32
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    assert load_secret_key(settings) == key  # kept across restarts


def test_processes_starting_at_once_agree_on_one_new_key(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(data_dir=tmp_path)
    first_is_writing, second_has_read = threading.Event(), threading.Event()
    token_hex = secrets.token_hex

    def slowly_in_the_first(nbytes: int) -> str:
        if threading.current_thread().name == "first":  # stalls between starting its key file and writing it
            first_is_writing.set()
            second_has_read.wait(10)
        return token_hex(nbytes)

    monkeypatch.setattr(secrets, "token_hex", slowly_in_the_first)
    found = {}
    first = threading.Thread(target=lambda: found.update(first=load_secret_key(settings)), name="first")
    first.start()
    assert first_is_writing.wait(10)
    found["second"] = load_secret_key(settings)  # never the first's file, empty as yet
    second_has_read.set()
    first.join(10)
    assert found["first"] == found["second"] == (tmp_path / KEY_FILE).read_bytes().strip()
    assert [path.name for path in tmp_path.iterdir()] == [KEY_FILE]  # no written-aside file left behind


def test_a_damaged_key_file_is_a_config_error_naming_it(tmp_path) -> None:
    (tmp_path / KEY_FILE).write_bytes(b"short\n")
    with pytest.raises(ConfigError, match=f"{KEY_FILE}.*shorter than 16 bytes; delete it"):
        load_secret_key(load_settings(data_dir=tmp_path))
    assert (tmp_path / KEY_FILE).read_bytes() == b"short\n"  # left for the operator to look at


def test_configured_secret_key_wins_and_must_be_long_enough(tmp_path) -> None:
    assert load_secret_key(load_settings(data_dir=tmp_path, secret_key="x" * 20)) == b"x" * 20
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ConfigError, match="secret_key"):
        load_secret_key(load_settings(data_dir=tmp_path, secret_key="short"))


def test_signatures_are_bound_to_their_purpose() -> None:
    signer = Signer(b"k" * 32)
    signature = signer.signature("csrf", "value")
    assert signer.verify("csrf", "value", signature)
    assert not signer.verify("unsubscribe", "value", signature)
    assert not signer.verify("csrf", "other", signature)
    assert not Signer(b"j" * 32).verify("csrf", "value", signature)


def test_session_cookie_signs_in_and_expires(own_store, settings: Settings) -> None:
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    accounts = AccountStore(own_store.engine, clock=lambda: now[0])
    user, created = accounts.get_or_create_user("Someone@Example.org")
    assert created and user.email == "someone@example.org"
    assert accounts.get_or_create_user("SOMEONE@example.org") == (user, False)
    from papertide.accounts.sessions import Sessions

    sessions = Sessions(accounts, days=30)
    token = sessions.start(user, "test agent")
    assert sessions.user(token) == user
    assert sessions.user(token + "x") is None
    now[0] += timedelta(days=31)
    assert sessions.user(token) is None


def test_pages_send_signed_out_visitors_to_sign_in(client: TestClient) -> None:
    response = client.get("/probe/private?x=1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/signin?next=%2Fprobe%2Fprivate%3Fx%3D1"


def test_api_answers_401_without_credentials_and_with_a_bad_token(client: TestClient) -> None:
    response = client.get("/api/v1/whoami")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    bad = client.get("/api/v1/whoami", headers={"Authorization": "Bearer pt_nonsense"})
    assert bad.status_code == 401
    assert "revoked" in bad.json()["detail"]


def test_bearer_token_authenticates_the_api(client: TestClient) -> None:
    services = client.app.state.services
    user, _ = services.accounts.get_or_create_user("api@example.org")
    token = new_token(API_TOKEN_PREFIX)
    services.accounts.add_api_token(user.pk, "laptop", token_hash(token))
    response = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.json() == {"email": "api@example.org"}
    assert services.accounts.api_tokens(user.pk)[0].last_used_at is not None


def test_session_cookie_authenticates_pages(client: TestClient) -> None:
    sign_in(client, "page@example.org")
    assert client.get("/probe/private").json() == {"email": "page@example.org"}


def test_state_changing_requests_need_the_csrf_token(client: TestClient) -> None:
    token = csrf_token(client, "/")
    assert CSRF_COOKIE in client.cookies
    missing = client.post("/probe/change", data={})
    assert missing.status_code == 403
    assert "CSRF" in missing.text
    forged = client.post("/probe/change", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    assert client.post("/probe/change", data={"csrf_token": token}).json()["changed"] is True
    assert client.post("/probe/change", headers={"X-CSRF-Token": token}).json()["changed"] is True


def test_a_token_from_another_browser_is_refused(client: TestClient, settings: Settings, own_store) -> None:
    token = csrf_token(client, "/")
    other = TestClient(client.app)
    csrf_token(other, "/")  # the other browser has its own cookie
    assert other.post("/probe/change", data={"csrf_token": token}).status_code == 403


def _token(client: TestClient, email: str, scope: str = "write") -> dict[str, str]:
    services = client.app.state.services
    user, _ = services.accounts.get_or_create_user(email)
    token = new_token(API_TOKEN_PREFIX)
    services.accounts.add_api_token(user.pk, "bot", token_hash(token), scope)
    return {"Authorization": f"Bearer {token}"}


def test_api_requests_with_a_bearer_token_need_no_csrf_token(client: TestClient) -> None:
    response = client.post("/api/v1/probe/change", headers=_token(client, "bot@example.org"))
    assert response.json() == {"changed": True, "by": "bot@example.org"}
    bad = client.post("/api/v1/probe/change", headers={"Authorization": "Bearer pt_forged"})
    assert bad.status_code == 401  # the token is checked before the route runs, not just waved through


def test_a_bearer_token_is_refused_outside_the_api(client: TestClient) -> None:
    """Issue 21, finding 2: a bearer header no longer skips the CSRF check on pages and forms (before, this
    POST answered 200), and a token does not sign in to any page."""
    bearer = _token(client, "bot@example.org")
    refused = client.post("/probe/change", headers=bearer)
    assert refused.status_code == 403 and "CSRF" in refused.text
    page = client.get("/probe/private", headers=bearer, follow_redirects=False)
    assert page.status_code == 403 and "API tokens work only on the JSON API" in page.text
    # Not even beside a browser's session and CSRF token: a page request carrying a token is a script's.
    sign_in(client, "page@example.org")
    token = csrf_token(client, "/")
    both = client.post("/probe/change", data={"csrf_token": token}, headers=bearer)
    assert both.status_code == 403 and "API tokens work only on the JSON API" in both.text
    assert client.post("/probe/change", data={"csrf_token": token}).json()["by"] == "page@example.org"


def test_a_read_token_reads_but_changes_nothing(client: TestClient) -> None:
    reader = _token(client, "reader@example.org", scope="read")
    assert client.get("/api/v1/whoami", headers=reader).json() == {"email": "reader@example.org"}
    refused = client.post("/api/v1/probe/change", headers=reader)
    assert refused.status_code == 403
    assert "'bot' is read-only" in refused.json()["detail"]
