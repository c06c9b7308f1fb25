"""Accounts through the app: sign-in by a link read from a real SMTP server, sign out, API tokens,
the data export and deleting an account, and every form's refusals (CSRF, bad links, rate limits)."""

from __future__ import annotations

import re
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from papertide.config import Settings
from papertide.store import PaperStore
from papertide.store.db.schema import collection_items, collections, papers, sessions, trending_changes, users, votes
from papertide.web.accounts.pages import NEW_TOKEN_COOKIE
from papertide.web.app import create_app
from papertide.web.kit.auth import SESSION_COOKIE
from tests.clock import ControlledClock
from tests.web.signin import csrf_token, services_of, sign_in

LINK_PATH = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture
def app(mail_settings: Settings, own_store: PaperStore, clock: ControlledClock) -> FastAPI:
    return create_app(mail_settings, own_store, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def link_in(message: EmailMessage) -> str:
    """The path of the sign-in link in a received message."""
    match = LINK_PATH.search(message.get_body(preferencelist=("plain",)).get_content())
    assert match, message
    return match.group(1)


def cookie_cleared(response) -> bool:
    """Whether the response tells the browser to drop its session cookie."""
    return any(
        header.startswith(f'{SESSION_COOKIE}=""') and "Max-Age=0" in header
        for header in response.headers.get_list("set-cookie")
    )


def ask_for_link(client: TestClient, email: str, next_url: str = "/"):
    return client.post("/signin", data={"email": email, "next": next_url, "csrf_token": csrf_token(client)})


def emailed_link(client: TestClient, smtp_server, email: str, next_url: str = "/") -> str:
    before = len(smtp_server.messages)
    assert ask_for_link(client, email, next_url).status_code == 200
    return link_in(smtp_server.wait_for(before + 1)[before])


def follow(client: TestClient, link: str):
    """Press the button on the link's page."""
    return client.post(link, data={"csrf_token": csrf_token(client, link)}, follow_redirects=False)


# -- signing in ----------------------------------------------------------------------------------


def test_sign_in_with_the_link_read_from_the_smtp_server(client: TestClient, smtp_server) -> None:
    form = client.get("/signin?next=/search?q=graphene")
    assert form.status_code == 200
    assert 'name="next" value="/search?q=graphene"' in form.text
    page = ask_for_link(client, "New.Reader@Example.org", "/search?q=graphene")
    assert page.status_code == 200
    assert "Check your inbox" in page.text and "new.reader@example.org" in page.text

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "new.reader@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    link = link_in(message)
    assert link in html
    assert "15 minutes" in text and "15 minutes" in html

    # Opening the link (as a mail scanner would, twice) changes nothing.
    for _ in range(2):
        confirm = client.get(link)
        assert confirm.status_code == 200
        assert "new.reader@example.org" in confirm.text and ">Sign in</button>" in confirm.text
    assert SESSION_COOKIE not in client.cookies
    assert services_of(client).accounts.user_by_email("new.reader@example.org") is None

    signed_in = follow(client, link)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/search?q=graphene"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    account = client.get("/account")
    assert account.status_code == 200
    assert "new.reader@example.org" in account.text


def test_the_check_your_inbox_page_is_the_same_for_new_and_known_addresses(client, smtp_server) -> None:
    sign_in(client, "known@example.org")
    client.cookies.clear()
    known = ask_for_link(client, "known@example.org").text
    unknown = ask_for_link(client, "unknown@example.org").text
    scrub = re.compile(r'value="[^"]*"|[a-z]+@example\.org')
    assert scrub.sub("", known) == scrub.sub("", unknown)
    assert len(smtp_server.wait_for(2)) == 2


def test_session_cookies_are_secure_when_the_site_is_https(mail_settings, own_store, smtp_server) -> None:
    https = mail_settings.model_copy(update={"base_url": "https://papers.example.org"})
    client = TestClient(create_app(https, own_store), base_url="https://testserver")  # Secure cookies need https
    link = emailed_link(client, smtp_server, "tls@example.org")
    message = smtp_server.messages[-1].get_body(preferencelist=("plain",)).get_content()
    assert "https://papers.example.org/signin/" in message
    assert "Secure" in follow(client, link).headers["set-cookie"]


def test_signing_in_replaces_the_session_this_browser_had(client, smtp_server) -> None:
    sign_in(client, "first@example.org")
    old = client.cookies[SESSION_COOKIE]
    follow(client, emailed_link(client, smtp_server, "second@example.org"))
    assert services_of(client).sessions.user(old) is None
    assert "second@example.org" in client.get("/account").text


def test_an_expired_link_says_so_and_offers_a_new_one(client, smtp_server, clock) -> None:
    link = emailed_link(client, smtp_server, "slow@example.org")
    clock.advance(minutes=15, seconds=1)
    page = client.get(link)
    assert page.status_code == 410
    assert "This link has expired" in page.text and "works for 15 minutes" in page.text
    assert 'value="slow@example.org"' in page.text and "Email me a new link" in page.text
    used = follow(client, link)
    assert used.status_code == 410 and "This link has expired" in used.text
    assert SESSION_COOKIE not in client.cookies


def test_a_used_link_says_so(client, smtp_server, app) -> None:
    link = emailed_link(client, smtp_server, "once@example.org")
    assert follow(client, link).status_code == 303
    other_browser = TestClient(app)
    again = follow(other_browser, link)
    assert again.status_code == 410
    assert "This link has already been used" in again.text and "Email me a new link" in again.text
    assert SESSION_COOKIE not in other_browser.cookies
    assert client.get(link).status_code == 410


def test_an_unknown_link_says_so(client) -> None:
    page = client.get("/signin/made-up-token")
    assert page.status_code == 404
    assert "We do not know this link" in page.text and "Email me a new link" in page.text
    assert follow(client, "/signin/made-up-token").status_code == 404
    assert SESSION_COOKIE not in client.cookies


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "/signin"],
)
def test_next_never_leads_off_the_site(client, smtp_server, target: str) -> None:
    form = client.get("/signin", params={"next": target})
    assert 'name="next" value="/"' in form.text
    link = emailed_link(client, smtp_server, "careful@example.org", target)
    assert follow(client, link).headers["location"] == "/"


def test_a_bad_address_is_refused_on_the_form(client, smtp_server) -> None:
    page = ask_for_link(client, "not an address")
    assert page.status_code == 400
    assert "is not an email address" in page.text
    assert 'value="not an address"' in page.text  # kept in the field, to correct it
    assert smtp_server.messages == []


def test_a_mail_relay_failure_is_explained_on_the_form(client, smtp_server, caplog) -> None:
    smtp_server.fail_next(451, "4.3.0 try again later")
    page = ask_for_link(client, "reader@example.org")
    assert page.status_code == 502
    assert "could not be sent just now" in page.text
    assert "4.3.0" not in page.text  # the relay's words go to the log, not to the visitor
    assert "try again later" in caplog.text
    assert smtp_server.messages == []


# -- rate limits ---------------------------------------------------------------------------------


@pytest.fixture
def strict_settings(mail_settings: Settings) -> Settings:
    return mail_settings.model_copy(update={"mail_limit_per_address": 2, "mail_limit_per_client": 3})


def test_links_to_one_address_are_rate_limited(strict_settings, own_store, smtp_server, clock) -> None:
    client = TestClient(create_app(strict_settings, own_store, clock=clock))
    for _ in range(2):
        assert ask_for_link(client, "target@example.org").status_code == 200
        clock.advance(minutes=5)
    refused = ask_for_link(client, "TARGET@example.org")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == str(50 * 60)
    assert "This address has been sent 2 messages in the past hour" in refused.text
    assert "Try again in 50 minutes" in refused.text
    assert len(smtp_server.wait_for(2)) == 2

    # The counts live in the database: a new app (another process, a restart) sees them.
    restarted = TestClient(create_app(strict_settings, own_store, clock=clock))
    assert ask_for_link(restarted, "target@example.org").status_code == 429
    clock.advance(minutes=50)
    assert ask_for_link(restarted, "target@example.org").status_code == 200


def test_links_asked_for_by_one_client_are_rate_limited(strict_settings, own_store, smtp_server, clock) -> None:
    client = TestClient(create_app(strict_settings, own_store, clock=clock))
    for n in range(3):
        assert ask_for_link(client, f"person{n}@example.org").status_code == 200
    refused = ask_for_link(client, "person9@example.org")
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) == 3600
    assert "Your network has asked for 3 messages in the past hour" in refused.text
    restarted = TestClient(create_app(strict_settings, own_store, clock=clock))
    assert ask_for_link(restarted, "person10@example.org").status_code == 429
    assert len(smtp_server.wait_for(3)) == 3


def _from(app: FastAPI, ip: str) -> TestClient:
    """A browser at its own IP address (the client the rate limits count)."""
    return TestClient(app, client=(ip, 50000))


def test_a_strangers_requests_do_not_keep_the_owner_from_signing_in(app, smtp_server, clock) -> None:
    """Issue 21, finding 8: five links asked for by a stranger used to lock the address for an hour."""
    stranger, owner = _from(app, "203.0.113.66"), _from(app, "198.51.100.7")
    answers = [ask_for_link(stranger, "owner@example.org").status_code for _ in range(5)]
    assert answers == [200, 200, 200, 429, 429]  # the stranger's client cools down after three
    cooling = ask_for_link(stranger, "owner@example.org")
    assert cooling.headers["retry-after"] == str(10 * 60)  # minutes, not an hour
    assert "You have asked for 3 messages to this address in the past 10 minutes" in cooling.text
    assert "Try again in 10 minutes" in cooling.text

    link = emailed_link(owner, smtp_server, "owner@example.org")  # the owner, from their own client, is served
    assert follow(owner, link).status_code == 303
    assert "owner@example.org" in owner.get("/account").text

    clock.advance(minutes=10)
    assert ask_for_link(stranger, "owner@example.org").status_code == 200
    assert ask_for_link(stranger, "owner@example.org").status_code == 200
    clock.advance(minutes=10)  # a new burst would be allowed, but one client's hourly share is spent
    refused = ask_for_link(stranger, "owner@example.org")
    assert refused.status_code == 429 and "in the past hour, the most we send to one address for one" in refused.text
    assert refused.headers["retry-after"] == str(40 * 60)
    assert ask_for_link(owner, "owner@example.org").status_code == 200  # the address's budget is not spent
    assert len(smtp_server.wait_for(7)) == 7


def test_no_address_is_sent_more_than_ten_messages_an_hour(app, mail_settings, smtp_server, clock) -> None:
    assert mail_settings.mail_limit_per_address == 10
    for n in range(10):
        assert ask_for_link(_from(app, f"192.0.2.{n}"), "target@example.org").status_code == 200
        clock.advance(minutes=1)
    for ip in ("192.0.2.200", "2001:db8::1", "192.0.2.0"):  # the 11th, whatever the client
        refused = ask_for_link(_from(app, ip), "Target@example.org")
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == str(50 * 60)  # when the first of the ten leaves the hour
        assert "This address has been sent 10 messages in the past hour" in refused.text
    api = _from(app, "192.0.2.201").post("/api/v1/digest/subscribe", json={"email": "target@example.org"})
    assert api.status_code == 429 and api.headers["content-type"] == "application/problem+json"
    assert api.headers["retry-after"] == str(50 * 60) and "10 messages in the past hour" in api.json()["detail"]
    assert ask_for_link(_from(app, "192.0.2.200"), "someone.else@example.org").status_code == 200
    assert len(smtp_server.wait_for(11)) == 11
    clock.advance(minutes=50)
    assert ask_for_link(_from(app, "192.0.2.200"), "target@example.org").status_code == 200


# -- CSRF on every form --------------------------------------------------------------------------


def _forms(client: TestClient, smtp_server) -> dict[str, tuple[str, dict]]:
    """Every state-changing form of this area, as (path, fields without the CSRF token)."""
    link = emailed_link(client, smtp_server, "forms@example.org")
    user = sign_in(client, "forms@example.org")
    token = client.post("/account/tokens", data={"name": "t", "csrf_token": csrf_token(client, "/account")})
    assert token.status_code == 200  # after the redirect to GET /account/tokens (post/redirect/get)
    token_pk = services_of(client).accounts.api_tokens(user.pk)[0].pk
    return {
        "send link": ("/signin", {"email": "forms@example.org", "next": "/"}),
        "use link": (link, {}),
        "sign out": ("/signout", {}),
        "sign out everywhere": ("/account/signout-everywhere", {}),
        "create token": ("/account/tokens", {"name": "forged"}),
        "revoke token": (f"/account/tokens/{token_pk}/revoke", {}),
        "delete account": ("/account/delete", {"confirm": "forms@example.org"}),
    }


def test_every_form_refuses_a_post_without_the_csrf_token(client, smtp_server) -> None:
    forms = _forms(client, smtp_server)
    sent = len(smtp_server.messages)
    session = client.cookies[SESSION_COOKIE]
    for name, (path, fields) in forms.items():
        for token in (None, "forged"):
            data = fields if token is None else {**fields, "csrf_token": token}
            response = client.post(path, data=data, follow_redirects=False)
            assert response.status_code == 403, name
            assert "CSRF" in response.text, name
    # Nothing happened: no mail, the link still works, still signed in, one token, the account is there.
    services = services_of(client)
    assert len(smtp_server.messages) == sent
    user = services.sessions.user(session)
    assert user is not None and user.email == "forms@example.org"
    assert [t.name for t in services.accounts.api_tokens(user.pk)] == ["t"]
    assert client.get(forms["use link"][0]).status_code == 200


# -- signing out ---------------------------------------------------------------------------------


def test_sign_out_ends_this_session(client) -> None:
    sign_in(client, "leaving@example.org")
    session = client.cookies[SESSION_COOKIE]
    response = client.post("/signout", data={"csrf_token": csrf_token(client, "/account")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert cookie_cleared(response)
    assert services_of(client).sessions.user(session) is None  # the old cookie no longer works anywhere
    client.cookies.set(SESSION_COOKIE, session)
    assert client.get("/account", follow_redirects=False).headers["location"] == "/signin?next=%2Faccount"


def test_sign_out_everywhere_ends_the_other_sessions_too(app) -> None:
    laptop, phone = TestClient(app), TestClient(app)
    user = sign_in(laptop, "busy@example.org")
    phone.cookies.set(SESSION_COOKIE, services_of(phone).sessions.start(user))
    stranger = TestClient(app)
    sign_in(stranger, "stranger@example.org")
    assert "Signed in on</dt><dd>2 browsers" in laptop.get("/account").text
    response = laptop.post(
        "/account/signout-everywhere", data={"csrf_token": csrf_token(laptop, "/account")}, follow_redirects=False
    )
    assert response.status_code == 303 and cookie_cleared(response)
    for browser in (laptop, phone):  # each still sends its old cookie, which no longer signs in
        assert browser.get("/account", follow_redirects=False).status_code == 303
    assert stranger.get("/account").status_code == 200  # other people's sessions are untouched


def test_sign_out_everywhere_can_revoke_every_token_too(app) -> None:
    laptop = TestClient(app)
    user = sign_in(laptop, "careful@example.org")
    for name in ("a", "b"):
        laptop.post("/account/tokens", data={"name": name, "csrf_token": csrf_token(laptop, "/account")})
    page = laptop.get("/account").text
    assert '<input type="checkbox" name="revoke_tokens" value="true" checked>' in page  # ticked by default
    accounts = services_of(laptop).accounts
    kept = laptop.post("/account/signout-everywhere", data={"csrf_token": csrf_token(laptop, "/account")})
    assert kept.status_code == 200 and [t.name for t in accounts.api_tokens(user.pk)] == ["a", "b"]  # unticked

    sign_in(laptop, "careful@example.org")
    ended = laptop.post(
        "/account/signout-everywhere",
        data={"revoke_tokens": "true", "csrf_token": csrf_token(laptop, "/account")},
        follow_redirects=False,
    )
    assert ended.status_code == 303 and cookie_cleared(ended)
    assert accounts.api_tokens(user.pk) == [] and accounts.count_sessions(user.pk) == 0


# -- API tokens ----------------------------------------------------------------------------------


def test_api_tokens_are_created_shown_once_listed_and_revoked(client) -> None:
    user = sign_in(client, "scripter@example.org")
    created = client.post(
        "/account/tokens", data={"name": "  nightly   backup ", "csrf_token": csrf_token(client, "/account")}
    )
    assert created.status_code == 200  # the page the POST redirected to (see test_token_creation_is_post_redirect_get)
    assert created.headers["cache-control"] == "no-store"
    token = re.search(r'<code class="secret" id="new-token">(pt_[A-Za-z0-9_-]+)</code>', created.text).group(1)
    api = TestClient(client.app)
    bearer = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/v1/account", headers=bearer).json() == {
        "email": "scripter@example.org",
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "api_tokens": 1,
    }
    page = client.get("/account")
    assert token not in page.text  # shown that once only
    assert "nightly backup" in page.text
    [listed] = services_of(client).accounts.api_tokens(user.pk)
    assert listed.last_used_at is not None  # the call above
    row = re.search(r"<td>nightly backup</td>.*?</tr>", page.text, re.S).group(0)
    assert "never" not in row

    revoked = client.post(f"/account/tokens/{listed.pk}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert revoked.status_code == 200 and "has been revoked" in revoked.text
    assert "nightly backup" not in revoked.text
    refused = api.get("/api/v1/account", headers=bearer)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")


def new_token_on(page) -> str:
    return re.search(r'<code class="secret" id="new-token">(pt_[A-Za-z0-9_-]+)</code>', page.text).group(1)


def test_token_creation_is_post_redirect_get(client) -> None:
    """Issue 22: creating a token rendered a page from the POST (a reload made a second token) and
    GET /account/tokens answered 405."""
    user = sign_in(client, "prg@example.org")
    assert client.get("/account/tokens").status_code == 200  # opened directly: the account page
    posted = client.post(
        "/account/tokens",
        data={"name": "ci", "scope": "write", "csrf_token": csrf_token(client, "/account")},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and posted.headers["location"] == "/account/tokens"
    cookie = posted.headers["set-cookie"]
    assert cookie.startswith(f"{NEW_TOKEN_COOKIE}=pt_")
    assert "Path=/account/tokens" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert "Max-Age=300" in cookie

    shown = client.get("/account/tokens")
    assert shown.headers["cache-control"] == "no-store"
    token = new_token_on(shown)
    assert str(shown.url) == "http://testserver/account/tokens"  # the secret is never in a URL
    assert "Your new API token “ci”</strong> (read and write)" in shown.text
    assert NEW_TOKEN_COOKIE not in client.cookies  # read once, then cleared

    reloaded = client.get("/account/tokens")  # a reload: neither shown again nor created again
    assert reloaded.status_code == 200 and token not in reloaded.text and 'id="new-token"' not in reloaded.text
    assert [t.name for t in services_of(client).accounts.api_tokens(user.pk)] == ["ci"]


def test_the_new_token_cookie_shows_only_a_live_token_of_this_account(app) -> None:
    owner, other = TestClient(app), TestClient(app)
    sign_in(owner, "shown@example.org")
    created = owner.post(
        "/account/tokens", data={"name": "mine", "csrf_token": csrf_token(owner, "/account")}, follow_redirects=False
    )
    secret = created.headers["set-cookie"].split(";")[0].split("=", 1)[1]
    sign_in(other, "other@example.org")
    other.cookies.set(NEW_TOKEN_COOKIE, secret, path="/account/tokens")
    assert secret not in other.get("/account/tokens").text  # another account's token is never shown
    assert secret in owner.get("/account/tokens").text
    owner.cookies.set(NEW_TOKEN_COOKIE, "pt_made-up", path="/account/tokens")
    assert 'id="new-token"' not in owner.get("/account/tokens").text


def test_a_token_is_read_only_unless_made_for_writing(client) -> None:
    sign_in(client, "scoped@example.org")
    made = {}
    for scope in ("read", "write"):
        page = client.post(
            "/account/tokens", data={"name": scope, "scope": scope, "csrf_token": csrf_token(client, "/account")}
        )
        made[scope] = {"Authorization": f"Bearer {new_token_on(page)}"}
    default = client.post("/account/tokens", data={"name": "default", "csrf_token": csrf_token(client, "/account")})
    assert "(read only)" in default.text  # least privilege unless asked for
    listing = client.get("/account").text
    assert re.search(r"<td>read</td>\s*<td>read only</td>", listing)
    assert re.search(r"<td>write</td>\s*<td>read and write</td>", listing)

    api = TestClient(client.app)
    body = {"name": "From a script"}
    for scope in ("read", "write"):
        assert api.get("/api/v1/collections", headers=made[scope]).status_code == 200
    refused = api.post("/api/v1/collections", json=body, headers=made["read"])
    assert refused.status_code == 403 and "'read' is read-only" in refused.json()["detail"]
    assert api.post("/api/v1/collections", json=body, headers=made["write"]).status_code == 201

    bad = client.post(
        "/account/tokens", data={"name": "x", "scope": "admin", "csrf_token": csrf_token(client, "/account")}
    )
    assert bad.status_code == 400
    assert "scope: must be &#39;read&#39; or &#39;write&#39;, not &#39;admin&#39;" in bad.text  # HTML-escaped quotes


def test_an_api_token_never_reaches_account_management(app, smtp_server) -> None:
    """Issue 21, finding 2: with only a token, a script could mint tokens, export, sign out everywhere and
    delete the account. Now every /account route refuses it, with or without a CSRF token of its own."""
    browser = TestClient(app)
    user = sign_in(browser, "owned@example.org")
    page = browser.post(
        "/account/tokens", data={"name": "leaked", "scope": "write", "csrf_token": csrf_token(browser, "/account")}
    )
    bearer = {"Authorization": f"Bearer {new_token_on(page)}"}
    [leaked] = services_of(browser).accounts.api_tokens(user.pk)
    script = TestClient(app)
    script_csrf = csrf_token(script, "/signin")  # what any client can get: a CSRF cookie and token of its own
    routes = [
        ("GET", "/account", None),
        ("GET", "/account/tokens", None),
        ("GET", "/account/export", None),
        ("POST", "/account/tokens", {"name": "minted", "scope": "write"}),
        ("POST", f"/account/tokens/{leaked.pk}/revoke", {}),
        ("POST", "/account/signout-everywhere", {"revoke_tokens": "true"}),
        ("POST", "/account/delete", {"confirm": "owned@example.org"}),
    ]
    for method, path, form in routes:
        for data in (form, None if form is None else {**form, "csrf_token": script_csrf}):
            answer = script.request(method, path, data=data, headers=bearer, follow_redirects=False)
            assert answer.status_code in (401, 403), (method, path, answer.status_code)
            assert "Forbidden" in answer.text, path
            assert "owned@example.org" not in answer.text, path
    # Nothing happened: one token, the browser still signed in, the account there.
    services = services_of(browser)
    assert [t.name for t in services.accounts.api_tokens(user.pk)] == ["leaked"]
    assert "owned@example.org" in browser.get("/account").text
    assert script.get("/api/v1/account", headers=bearer).json()["email"] == "owned@example.org"  # the API still works

    # Revoking the token ends all it could do: it never started a session or another token.
    revoked = browser.post(f"/account/tokens/{leaked.pk}/revoke", data={"csrf_token": csrf_token(browser, "/account")})
    assert revoked.status_code == 200
    assert script.get("/api/v1/account", headers=bearer).status_code == 401
    assert services.accounts.api_tokens(user.pk) == [] and services.accounts.count_sessions(user.pk) == 1


def test_a_token_needs_a_name(client) -> None:
    sign_in(client, "nameless@example.org")
    page = client.post("/account/tokens", data={"name": "   ", "csrf_token": csrf_token(client, "/account")})
    assert page.status_code == 400
    assert "name: give the token a name" in page.text
    too_long = client.post("/account/tokens", data={"name": "x" * 101, "csrf_token": csrf_token(client, "/account")})
    assert too_long.status_code == 400 and "at most 100 characters" in too_long.text


def test_nobody_revokes_another_users_token(app) -> None:
    owner, other = TestClient(app), TestClient(app)
    sign_in(owner, "owner@example.org")
    owner.post("/account/tokens", data={"name": "mine", "csrf_token": csrf_token(owner, "/account")})
    accounts = services_of(owner).accounts
    token_pk = accounts.api_tokens(accounts.user_by_email("owner@example.org").pk)[0].pk
    sign_in(other, "other@example.org")
    response = other.post(f"/account/tokens/{token_pk}/revoke", data={"csrf_token": csrf_token(other, "/account")})
    assert response.status_code == 404
    assert "mine" in owner.get("/account").text


def test_the_account_pages_send_signed_out_visitors_to_sign_in(client) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.headers["location"] == "/signin?next=%2Faccount"
    assert client.get("/account/export", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/account").status_code == 401


# -- export and deletion -------------------------------------------------------------------------


def _library_of(store: PaperStore, user_pk: int, now: datetime) -> list[str]:
    """Votes, a collection and a note written straight into the tables (the library builds the real ones)."""
    with store.engine.begin() as conn:
        paper_pks = dict(conn.execute(select(papers.c.paper_id, papers.c.pk).order_by(papers.c.pk).limit(3)).all())
        ids = list(paper_pks)
        conn.execute(insert(votes), [{"user_pk": user_pk, "paper_pk": paper_pks[i], "created_at": now} for i in ids])
        collection = {"name": "Reading group", "is_default": False, "is_public": True}
        collection_pk = conn.execute(
            insert(collections).values(
                user_pk=user_pk, public_id=f"c0ffee{user_pk}", created_at=now, updated_at=now, **collection
            )
        ).inserted_primary_key[0]
        conn.execute(
            insert(collection_items).values(
                collection_pk=collection_pk, paper_pk=paper_pks[ids[0]], added_at=now, note="read §3 first"
            )
        )
    return ids


def test_export_holds_all_my_data(client, own_store, clock) -> None:
    user = sign_in(client, "exporter@example.org")
    client.post("/account/tokens", data={"name": "cron", "csrf_token": csrf_token(client, "/account")})
    voted = _library_of(own_store, user.pk, clock.now)
    response = client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"] == 'attachment; filename="papertide-2026-03-02.json"'
    data = response.json()
    assert data["format"] == "papertide-account-export"
    assert data["account"]["email"] == "exporter@example.org"
    assert data["account"]["created_at"] == "2026-03-02T09:00:00+00:00"
    assert [(t["name"], t["scope"]) for t in data["api_tokens"]] == [("cron", "read")]
    assert "pt_" not in response.text and "token_hash" not in response.text
    assert [v["paper_id"] for v in data["votes"]] == sorted(voted)
    assert all(v["title"] for v in data["votes"])
    [collection] = data["collections"]
    assert (collection["name"], collection["is_public"]) == ("Reading group", True)
    assert collection["id"] == f"c0ffee{user.pk}"
    assert [(i["paper_id"], i["note"]) for i in collection["items"]] == [(voted[0], "read §3 first")]
    assert len(data["sessions"]) == 1


def test_delete_my_account(client, own_store, clock, app) -> None:
    user = sign_in(client, "goodbye@example.org")
    elsewhere = TestClient(app)
    elsewhere.cookies.set(SESSION_COOKIE, services_of(elsewhere).sessions.start(user))
    client.post("/account/tokens", data={"name": "gone soon", "csrf_token": csrf_token(client, "/account")})
    _library_of(own_store, user.pk, clock.now)
    survivor = TestClient(app)
    other = sign_in(survivor, "stays@example.org")
    _library_of(own_store, other.pk, clock.now)

    token = csrf_token(client, "/account")
    wrong = client.post("/account/delete", data={"confirm": "someone@else.org", "csrf_token": token})
    assert wrong.status_code == 400 and "type your email address" in wrong.text
    assert services_of(client).accounts.user(user.pk) is not None

    deleted = client.post(
        "/account/delete", data={"confirm": " Goodbye@Example.org ", "csrf_token": csrf_token(client, "/account")}
    )
    assert deleted.status_code == 200
    assert "Your account has been deleted" in deleted.text
    assert 'href="/account"' not in deleted.text  # the page already shows the visitor signed out
    assert cookie_cleared(deleted)
    with own_store.engine.connect() as conn:
        assert conn.execute(select(users.c.email)).scalars().all() == ["stays@example.org"]
        assert conn.execute(select(votes.c.user_pk).distinct()).scalars().all() == [other.pk]
        assert conn.execute(select(collections.c.user_pk)).scalars().all() == [other.pk]
        assert conn.execute(select(collection_items)).all() != []
        assert conn.execute(select(sessions.c.user_pk)).scalars().all() == [other.pk]
    assert elsewhere.get("/account", follow_redirects=False).status_code == 303
    assert survivor.get("/account").status_code == 200


def test_deleting_needs_a_recent_sign_in(client, smtp_server, clock) -> None:
    user = sign_in(client, "stale@example.org")
    assert 'id="delete-sign-in"' not in client.get("/account").text
    clock.advance(minutes=15)  # PAPERTIDE_DELETE_SIGN_IN_MINUTES: a browser left signed in
    page = client.get("/account").text
    assert 'Deleting needs a sign-in within the last 15 minutes: <a href="/signin?next=/account">' in page
    refused = client.post(
        "/account/delete", data={"confirm": "stale@example.org", "csrf_token": csrf_token(client, "/account")}
    )
    assert refused.status_code == 403 and "needs a sign-in within the last 15 minutes" in refused.text
    assert services_of(client).accounts.user(user.pk) is not None and not cookie_cleared(refused)

    follow(client, emailed_link(client, smtp_server, "stale@example.org"))  # a fresh sign-in, by mail
    deleted = client.post(
        "/account/delete", data={"confirm": "stale@example.org", "csrf_token": csrf_token(client, "/account")}
    )
    assert deleted.status_code == 200 and "Your account has been deleted" in deleted.text
    assert services_of(client).accounts.user(user.pk) is None


def test_the_link_page_and_its_post_keep_the_token_out_of_the_access_log(client, smtp_server, caplog) -> None:
    link = emailed_link(client, smtp_server, "private@example.org")
    with caplog.at_level("INFO", logger="papertide.access"):
        client.get(link)
        follow(client, link)
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "/signin/<token>" in logged
    assert urlsplit(link).path.rsplit("/", 1)[1] not in logged


def test_the_nav_sign_in_link_comes_back_to_the_page(client) -> None:
    page = client.get("/search?q=dark+matter&mode=lexical")
    assert 'href="/signin?next=/search%3Fq%3Ddark%2Bmatter%26mode%3Dlexical"' in page.text
    form = client.get("/signin?next=/search%3Fq%3Ddark%2Bmatter%26mode%3Dlexical")
    assert 'name="next" value="/search?q=dark+matter&amp;mode=lexical"' in form.text


def test_without_a_relay_the_inbox_page_says_where_the_mail_went(settings, own_store) -> None:
    client = TestClient(create_app(settings, own_store))
    page = ask_for_link(client, "local@example.org")
    assert page.status_code == 200
    assert str(settings.mail_dir) in page.text and "papertide mail list" in page.text


def test_a_deleted_accounts_upvotes_leave_the_counts(app, own_store) -> None:
    leaving, staying = TestClient(app), TestClient(app)
    services = services_of(leaving)
    paper = own_store.list_papers(limit=1).papers[0]
    for client, email in ((leaving, "voter@example.org"), (staying, "other.voter@example.org")):
        services.library.votes.set(sign_in(client, email), paper, True)
    assert own_store.get(paper.paper_id).votes == 2
    with own_store.engine.connect() as conn:
        noted = conn.execute(select(func.count()).select_from(trending_changes)).scalar_one()
    token = csrf_token(leaving, "/account")
    leaving.post("/account/delete", data={"confirm": "voter@example.org", "csrf_token": token})
    assert own_store.get(paper.paper_id).votes == 1
    with own_store.engine.connect() as conn:  # trending hears of the withdrawn vote as of any other
        changes = conn.execute(select(trending_changes.c.paper_pk).offset(noted)).scalars().all()
    assert changes == [paper.pk]
