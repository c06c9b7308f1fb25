"""The /admin area through the app: 404 to everyone but admins, CSRF on every form, the overview, finding an
account, revoking its API tokens (the API refuses them at once), deleting it as its owner could, and the log."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from papertide.accounts.tokens import new_token, token_hash
from papertide.config import load_settings
from papertide.store import open_store
from papertide.store.digest.bounces import BouncePolicy, BounceStore
from papertide.web.app import create_app
from tests.postgres import fresh_database_url
from tests.web.corpus import load_papers
from tests.web.library_helpers import bearer, post_form
from tests.web.signin import services_of, sign_in

PAPER = "1706.03762"


@pytest.fixture
def client(request: pytest.FixtureRequest, tmp_path: Path) -> TestClient:
    settings = load_settings(
        data_dir=tmp_path, database_url=fresh_database_url(request, tmp_path), comment_new_account_hours=0
    )
    store = open_store(settings.resolved_database_url)
    load_papers(store)
    return TestClient(create_app(settings, store))


def admin(client: TestClient, email: str = "root@example.org"):
    user = sign_in(client, email)
    services_of(client).discussion.roles.grant("admin", email)
    return user


def post(client: TestClient, path: str, data: dict | None = None):
    return post_form(client, path, data, page="/", follow_redirects=False)


def test_every_admin_url_is_404_to_signed_out_readers_members_and_moderators(client: TestClient) -> None:
    target, _ = bearer(client, "someone@example.org")
    [token] = services_of(client).accounts.api_tokens(target.pk)
    urls = [f"/admin/accounts/{target.pk}/{action}" for action in ("delete", "suspend", "unsuspend")]
    urls.append(f"/admin/accounts/{target.pk}/tokens/{token.pk}/revoke")
    for who in (None, "member@example.org", "mod@example.org"):
        client.cookies.clear()
        if who is not None:
            sign_in(client, who)
        if who == "mod@example.org":
            services_of(client).discussion.roles.grant("moderator", who)
        assert client.get("/admin").status_code == 404
        assert client.get("/admin?email=someone@example.org").status_code == 404
        for url in urls:
            answer = post(client, url, {"confirm": target.email, "note": "spam"})
            assert answer.status_code == 404, (who, url)
    assert services_of(client).accounts.user(target.pk) is not None
    assert services_of(client).accounts.suspension_note(target.pk) is None
    assert len(services_of(client).accounts.api_tokens(target.pk)) == 1


def test_forms_without_the_csrf_token_are_refused_and_change_nothing(client: TestClient) -> None:
    target, _ = bearer(client, "someone@example.org")
    [token] = services_of(client).accounts.api_tokens(target.pk)
    admin(client)
    client.get("/admin")  # the CSRF cookie, but no token in the form
    refused = client.post(f"/admin/accounts/{target.pk}/delete", data={"confirm": target.email})
    assert refused.status_code == 403
    refused = client.post(f"/admin/accounts/{target.pk}/tokens/{token.pk}/revoke")
    assert refused.status_code == 403
    refused = client.post(f"/admin/accounts/{target.pk}/suspend", data={"note": "spam"})
    assert refused.status_code == 403
    assert services_of(client).accounts.suspension_note(target.pk) is None
    assert services_of(client).accounts.user(target.pk) is not None
    assert len(services_of(client).accounts.api_tokens(target.pk)) == 1
    assert [entry.action for entry in services_of(client).discussion.moderation.log(10)] == ["grant"]


def test_the_overview_and_finding_an_account(client: TestClient) -> None:
    services = services_of(client)
    bearer(client, "someone@example.org")
    services.store.write_batch([], checkpoint=("arxiv:oai:cs", "2026-12-06"))
    BounceStore(services.store.engine, policy=BouncePolicy(threshold=1.0)).record(
        "gone@example.org", hard=True, reason="550 no such user"
    )
    admin(client)
    page = client.get("/admin")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    papers = services_of(client).store.count()
    assert f'<dd id="admin-papers">{papers}</dd>' in page.text and papers > 0
    assert "pending 0" in page.text  # the outbox by state
    assert "arxiv:oai:cs 20" in page.text  # the checkpoint's time
    assert "gone@example.org (since" in page.text
    found = client.get("/admin", params={"email": " SomeOne@example.org "}).text
    assert "someone@example.org" in found and "Revoke tests" in found
    assert "There is no account for nobody@example.org" in client.get("/admin?email=nobody@example.org").text


def test_a_revoked_token_fails_on_the_api_and_the_log_says_who_revoked_it(client: TestClient) -> None:
    target, headers = bearer(client, "someone@example.org")
    [token] = services_of(client).accounts.api_tokens(target.pk)
    assert client.get("/api/v1/account", headers=headers).status_code == 200
    admin(client)
    revoked = post(client, f"/admin/accounts/{target.pk}/tokens/{token.pk}/revoke")
    assert revoked.status_code == 303 and revoked.headers["location"] == "/admin?email=someone%40example.org#account"
    client.cookies.clear()
    assert client.get("/api/v1/account", headers=headers).status_code == 401
    admin(client)
    again = post(client, f"/admin/accounts/{target.pk}/tokens/{token.pk}/revoke")
    assert again.status_code == 404 and "revoked already" in again.text
    [entry] = services_of(client).discussion.moderation.log(10)[:1]
    assert (entry.actor, entry.action, entry.target_kind, entry.target_pk) == (
        "root@example.org", "revoke", "token", token.pk,
    )  # fmt: skip
    assert "root@example.org" in client.get("/admin").text


def test_deleting_an_account_needs_its_address_and_removes_what_self_deletion_removes(client: TestClient) -> None:
    services = services_of(client)
    target = sign_in(client, "someone@example.org")
    comment = post_form(client, f"/paper/{PAPER}/comments", {"body": "A remark"}, page=f"/paper/{PAPER}",
                        follow_redirects=False)  # fmt: skip
    comment_pk = int(comment.headers["location"].rsplit("-", 1)[1])
    _, headers = bearer(client, "someone@example.org")
    me = admin(client)

    wrong = post(client, f"/admin/accounts/{target.pk}/delete", {"confirm": "someone@example.com"})
    assert wrong.status_code == 400 and "type the address someone@example.org" in wrong.text
    own = post(client, f"/admin/accounts/{me.pk}/delete", {"confirm": me.email})
    assert own.status_code == 400 and "your account page" in own.text
    assert services.accounts.user(target.pk) is not None and services.accounts.user(me.pk) is not None

    deleted = post(client, f"/admin/accounts/{target.pk}/delete", {"confirm": " SOMEONE@example.org"})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/admin"
    assert services.accounts.user(target.pk) is None
    stored = services.discussion.comments.get(comment_pk)
    assert stored is not None and stored.user_pk is None  # emptied as if its author had deleted it
    assert "A remark" not in client.get(f"/paper/{PAPER}").text
    assert post(client, f"/admin/accounts/{target.pk}/delete", {"confirm": target.email}).status_code == 404
    client.cookies.clear()
    assert client.get("/api/v1/account", headers=headers).status_code == 401
    entry = services.discussion.moderation.log(1)[0]
    assert (entry.actor, entry.action, entry.target_kind, entry.target_pk) == (
        "root@example.org", "delete", "account", target.pk,
    )  # fmt: skip


def sign_in_link(client: TestClient, email: str) -> str:
    """A fresh emailed sign-in link's path, as if mailed (the mail round trip is tested in test_accounts)."""
    accounts = services_of(client).accounts
    token = new_token()
    accounts.add_login_token(token_hash(token), email, "/", accounts.now() + timedelta(minutes=10))
    return f"/signin/{token}"


def test_a_suspended_account_cannot_sign_in_or_use_its_session_or_tokens_until_lifted(client: TestClient) -> None:
    services = services_of(client)
    target, headers = bearer(client, "someone@example.org")
    sign_in(client, "someone@example.org")
    session = dict(client.cookies)
    assert client.get("/account").status_code == 200
    me = admin(client)
    assert post(client, f"/admin/accounts/{target.pk}/suspend", {"note": "  "}).status_code == 400
    own = post(client, f"/admin/accounts/{me.pk}/suspend", {"note": "oops"})
    assert own.status_code == 400 and "own account" in own.text
    assert services.accounts.suspension_note(target.pk) is None and services.accounts.suspension_note(me.pk) is None

    suspended = post(client, f"/admin/accounts/{target.pk}/suspend", {"note": "spam  bot"})
    assert suspended.status_code == 303 and suspended.headers["location"].startswith("/admin?email=someone")
    assert "Suspended: spam bot" in client.get("/admin?email=someone@example.org").text
    assert post(client, f"/admin/accounts/{target.pk}/suspend", {"note": "again"}).status_code == 303
    assert services.accounts.suspension_note(target.pk) == "spam bot"  # the first suspension stands

    client.cookies.clear()
    assert client.get("/api/v1/account", headers=headers).status_code == 401
    client.cookies.update(session)
    assert client.get("/account", follow_redirects=False).status_code == 303  # the session no longer signs in
    client.cookies.clear()
    link = sign_in_link(client, "someone@example.org")
    refused = post_form(client, link, page=link, follow_redirects=False)
    assert refused.status_code == 403 and "suspended" in refused.text

    admin(client)
    assert post(client, f"/admin/accounts/{target.pk}/unsuspend").status_code == 303
    actions = [(e.action, e.target_pk, e.note) for e in services.discussion.moderation.log(10)]
    assert actions[:2] == [("unsuspend", target.pk, ""), ("suspend", target.pk, "spam bot")]
    client.cookies.clear()
    assert client.get("/api/v1/account", headers=headers).status_code == 200
    link = sign_in_link(client, "someone@example.org")
    assert post_form(client, link, page=link, follow_redirects=False).status_code == 303
