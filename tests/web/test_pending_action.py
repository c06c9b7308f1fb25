"""A vote or save pressed while signed out is done once the reader signs in with the mailed link (read
from a real SMTP server), exactly once; a forged, copied, replayed or expired one is refused."""

from __future__ import annotations

import base64
import json
import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.store import PaperStore
from papertide.web.app import create_app
from papertide.web.library.pending import PENDING_COOKIE
from tests.clock import ControlledClock
from tests.web.library_helpers import post_form
from tests.web.signin import csrf_token, services_of

PAPER = "1706.03762"
LINK_PATH = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture
def app(mail_settings: Settings, own_store: PaperStore, clock: ControlledClock) -> FastAPI:
    return create_app(mail_settings, own_store, clock=clock)


# What a browser sends with a form posted from one of this site's pages (and a page's script cannot set).
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://testserver"}


def press(client: TestClient, action: str, data: dict | None = None, headers: dict = SAME_ORIGIN):
    """A signed-out press of a paper page's vote or save button (a bare form: visitors' carry no token)."""
    client.get(f"/paper/{PAPER}")  # the page gives the browser its CSRF cookie
    response = client.post(f"/paper/{PAPER}/{action}", data=data, headers=headers, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/signin?next=%2Fpaper%2F{PAPER}"
    return response


def sign_in_by_mail(client: TestClient, smtp_server, email: str):
    """Ask for a link as the sign-in page does, read it from the SMTP server and press "Sign in"."""
    before = len(smtp_server.messages)
    asked = post_form(client, "/signin", {"email": email, "next": f"/paper/{PAPER}"}, page="/signin")
    assert asked.status_code == 200
    message = smtp_server.wait_for(before + 1)[before]
    link = LINK_PATH.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)
    signed_in = client.post(link, data={"csrf_token": csrf_token(client, link)}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == f"/paper/{PAPER}"
    return signed_in


def votes(client: TestClient) -> int:
    return services_of(client).store.get(PAPER).votes


def saved_by(client: TestClient, email: str) -> list[str]:
    services = services_of(client)
    user = services.accounts.user_by_email(email)
    if user is None:
        return []
    return [c.name for c in services.library.collections.mine(user) if c.size]


def pending_cookie_cleared(response) -> bool:
    return any(
        header.startswith(f'{PENDING_COOKIE}=""') and "Max-Age=0" in header
        for header in response.headers.get_list("set-cookie")
    )


def test_a_vote_pressed_signed_out_is_counted_once_after_sign_in(app, smtp_server) -> None:
    client = TestClient(app)
    pressed = press(client, "vote")
    cookie = next(h for h in pressed.headers.get_list("set-cookie") if h.startswith(f"{PENDING_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert votes(client) == 0  # nothing before signing in

    signed_in = sign_in_by_mail(client, smtp_server, "voter@example.org")
    assert pending_cookie_cleared(signed_in)
    assert votes(client) == 1
    page = client.get(f"/paper/{PAPER}").text
    pressed_button = r'aria-pressed="true" title="Upvote on papertide">.*?<span class="vote-count">1</span>'
    assert re.search(pressed_button, page, re.S)

    # Withdrawn, then signed in again in this browser: the press was used up, nothing is done twice.
    post_form(client, f"/paper/{PAPER}/vote", {"voted": "false"}, page=f"/paper/{PAPER}")
    assert votes(client) == 0
    post_form(client, "/signout", page="/")
    sign_in_by_mail(client, smtp_server, "voter@example.org")
    assert votes(client) == 0


def test_a_save_pressed_signed_out_lands_in_saved_after_sign_in(app, smtp_server) -> None:
    client = TestClient(app)
    press(client, "save")
    assert saved_by(client, "saver@example.org") == []
    sign_in_by_mail(client, smtp_server, "saver@example.org")
    assert saved_by(client, "saver@example.org") == ["Saved"]
    assert '<span class="save-label">Saved</span>' in client.get(f"/paper/{PAPER}").text


def test_withdrawing_or_removing_while_signed_out_is_not_remembered(app, smtp_server) -> None:
    """A form whose session ended meanwhile (app.js then posts it) may ask to withdraw: nothing to finish."""
    client = TestClient(app)
    for action, data in (("vote", {"voted": "false"}), ("save", {"change": "remove:abc"})):
        assert PENDING_COOKIE not in press(client, action, data).headers.get("set-cookie", "")
    bad = client.post(f"/paper/{PAPER}/save", data={"change": "move:x"}, headers=SAME_ORIGIN)
    assert bad.status_code == 400 and "change must be" in bad.text


@pytest.mark.parametrize(
    "headers",
    [{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, {"Sec-Fetch-Site": "same-site"},
     {"Origin": "https://evil.example"}, {"Origin": "null"}, {}],
    ids=["cross-site", "same-site", "other-origin", "null-origin", "no-headers"],
)  # fmt: skip
def test_a_press_from_another_site_is_sent_to_sign_in_but_never_done(app, smtp_server, headers) -> None:
    """A form on another page makes a signed-out visitor's browser post: nothing is remembered."""
    client = TestClient(app)
    assert PENDING_COOKIE not in press(client, "vote", headers=headers).headers.get("set-cookie", "")
    sign_in_by_mail(client, smtp_server, "victim@example.org")
    assert votes(client) == 0


def test_a_browser_without_fetch_metadata_is_known_by_its_origin(app, smtp_server) -> None:
    client = TestClient(app)
    press(client, "vote", headers={"Origin": "http://testserver"})
    sign_in_by_mail(client, smtp_server, "older-browser@example.org")
    assert votes(client) == 1


def test_a_press_before_any_page_was_seen_is_not_remembered(app, smtp_server) -> None:
    """No CSRF cookie to bind it to (the browser never loaded a page of ours)."""
    client = TestClient(app)
    response = client.post(f"/paper/{PAPER}/vote", headers=SAME_ORIGIN, follow_redirects=False)
    assert response.status_code == 303 and PENDING_COOKIE not in response.headers.get("set-cookie", "")


def _tampered(value: str) -> str:
    payload, _, signature = value.rpartition(".")
    fields = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    fields[1] = "2106.09685"  # another paper, same signature
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    return f"{forged}.{signature}"


@pytest.mark.parametrize(
    "forge",
    [_tampered, lambda value: value.rpartition(".")[0] + ".AAAA", lambda value: "garbage", lambda value: "."],
    ids=["other-paper", "bad-signature", "garbage", "empty"],
)
def test_a_forged_pending_action_is_refused(app, smtp_server, forge) -> None:
    client = TestClient(app)
    value = press(client, "vote").cookies[PENDING_COOKIE]
    client.cookies.delete(PENDING_COOKIE)  # the browser's own, replaced by the forgery
    client.cookies.set(PENDING_COOKIE, forge(value))
    signed_in = sign_in_by_mail(client, smtp_server, "forger@example.org")
    assert pending_cookie_cleared(signed_in)
    assert votes(client) == 0
    assert services_of(client).store.get("2106.09685").votes == 0


def test_a_pending_action_copied_to_another_browser_is_refused(app, smtp_server) -> None:
    """An attacker who pressed the button (or stole the cookie) cannot make someone else's browser do it."""
    attacker = TestClient(app)
    value = press(attacker, "vote").cookies[PENDING_COOKIE]
    victim = TestClient(app)
    csrf_token(victim, "/")
    victim.cookies.set(PENDING_COOKIE, value)
    sign_in_by_mail(victim, smtp_server, "victim@example.org")
    assert votes(victim) == 0


def test_a_replayed_pending_action_is_refused(app, smtp_server) -> None:
    """The same cookie put back after it was used (even in the browser that pressed) does nothing."""
    client = TestClient(app)
    value = press(client, "vote").cookies[PENDING_COOKIE]
    sign_in_by_mail(client, smtp_server, "replayer@example.org")
    assert votes(client) == 1
    post_form(client, f"/paper/{PAPER}/vote", {"voted": "false"}, page=f"/paper/{PAPER}")
    post_form(client, "/signout", page="/")
    client.cookies.set(PENDING_COOKIE, value)
    sign_in_by_mail(client, smtp_server, "replayer@example.org")
    assert votes(client) == 0


def test_an_expired_pending_action_is_refused(app, smtp_server, clock: ControlledClock) -> None:
    """It lives as long as a sign-in link plus a quarter of an hour to ask for one (here 15 + 15 minutes)."""
    client = TestClient(app)
    press(client, "vote")
    clock.advance(minutes=31)
    sign_in_by_mail(client, smtp_server, "slow@example.org")
    assert votes(client) == 0


def test_a_pending_save_into_someone_elses_collection_is_not_done(app, smtp_server) -> None:
    """A press from a page whose session ended names that account's collection; another account signs in."""
    client = TestClient(app)
    services = services_of(client)
    owner, _ = services.accounts.get_or_create_user("owner@example.org")
    theirs = services.library.collections.create(owner, "Theirs")
    press(client, "save", {"change": f"add:{theirs.public_id}"})
    sign_in_by_mail(client, smtp_server, "other@example.org")
    assert saved_by(client, "other@example.org") == []
    assert services.library.collections.owned(owner, theirs.public_id).size == 0
