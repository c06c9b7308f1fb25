"""Accounts end to end in headless Chromium: sign in with the link the SMTP server received, the
account page, an API token, signing out; and the new pages on a phone, in light and dark."""

from __future__ import annotations

import re

import httpx
import pytest

from papertide.web.kit.auth import SESSION_COOKIE
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, Site, Tab, new_tab

pytestmark = BROWSER_TESTS

LINK_PATH = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")


def received_link(smtp_server, count: int) -> str:
    message = smtp_server.wait_for(count)[count - 1]
    match = LINK_PATH.search(message.get_body(preferencelist=("plain",)).get_content())
    assert match
    return match.group(1)


def finish(tab: Tab) -> None:
    tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


def test_sign_in_with_the_mailed_link_make_a_token_and_sign_out(browser, site: Site, smtp_server) -> None:
    tab = new_tab(browser, site.url, viewport=DESKTOP)
    try:
        page = tab.open("/paper/0704.0506")
        page.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in").click()
        page.wait_for_url(lambda url: "/signin?next=" in url and url.endswith("0704.0506"))
        tab.screenshot("signin-light")
        page.get_by_label("Email address").fill("browser.reader@example.org")
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Check your inbox"
        tab.screenshot("signin-sent-light")

        link = received_link(smtp_server, 1)
        page = tab.open(link)
        assert "browser.reader@example.org" in page.locator(".lede").inner_text()
        tab.screenshot("signin-link-light")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/paper/0704.0506")  # back where the visitor was
        page.get_by_role("link", name="Account").click()
        page.wait_for_url("**/account")
        assert "browser.reader@example.org" in page.locator(".lede").inner_text()
        assert page.locator(".facts").inner_text().count("1 browser") == 1

        page.get_by_label("New token's name").fill("notebook")
        page.get_by_role("button", name="Create token").click()
        page.wait_for_load_state()
        token = page.locator("#new-token").inner_text()
        assert token.startswith("pt_")
        assert page.locator("table.tokens").inner_text().count("notebook") == 1
        tab.screenshot("account-light")
        answer = httpx.get(f"{site.url}/api/v1/account", headers={"Authorization": f"Bearer {token}"})
        assert answer.json()["email"] == "browser.reader@example.org"

        page.get_by_role("button", name="Sign out", exact=True).click()
        page.wait_for_url(site.url + "/")
        assert page.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in").is_visible()
        assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
        page = tab.open("/account")
        assert "/signin?next=%2Faccount" in page.url
    finally:
        finish(tab)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_account_pages_fit_a_phone(browser, site: Site, smtp_server, scheme: str) -> None:
    tab = new_tab(browser, site.url, viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    try:
        page = tab.open("/signin")
        page.get_by_label("Email address").fill("phone@example.org")
        page.get_by_role("button", name="Email me a sign-in link").click()
        page.wait_for_load_state()
        link = received_link(smtp_server, 1)
        tab.open(link)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(site.url + "/")
        page = tab.open("/account")
        page.get_by_label("New token's name").fill("a token with a rather long name for a phone")
        page.get_by_role("button", name="Create token").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "/account scrolls sideways"
        tab.screenshot(f"account-phone-{scheme}")
        response = page.goto(site.url + link)  # used already: the page says so and offers a new link
        assert response.status == 410
        assert page.locator("h1").inner_text() == "This link has already been used"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        tab.screenshot(f"signin-link-used-phone-{scheme}")
    finally:
        page.context.close()
    assert tab.foreign_requests() == []
    # A page answered with 410 is logged by Chromium as a failed load; nothing else may be.
    assert [e for e in tab.errors if "status of 410" not in e] == []


def test_deleting_the_account_in_the_browser(browser, site: Site) -> None:
    tab = new_tab(browser, site.url, viewport=DESKTOP)
    services = site.app.state.services
    user, _ = services.accounts.get_or_create_user("leaving@example.org")
    host = site.url.removeprefix("http://").split(":")[0]
    tab.page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": services.sessions.start(user), "domain": host, "path": "/"}]
    )
    try:
        page = tab.open("/account")
        page.get_by_label("to confirm").fill("leaving@example.org")
        page.get_by_role("button", name="Delete my account").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Your account has been deleted"
        assert page.get_by_role("navigation", name="Site").get_by_role("link", name="Sign in").is_visible()
        tab.screenshot("account-deleted-light")
        assert services.accounts.user_by_email("leaving@example.org") is None
    finally:
        finish(tab)
