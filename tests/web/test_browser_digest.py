"""The digest end to end in headless Chromium: subscribe, follow the confirmation link the SMTP server
received, change the preferences and alerts on the manage page, preview, and unsubscribe."""

from __future__ import annotations

import re

from papertide.digest.preferences import Preferences
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, Site, Tab, new_tab

pytestmark = BROWSER_TESTS

CONFIRM_PATH = re.compile(r"https?://[^/\s]+(/digest/confirm/[A-Za-z0-9_-]+)")


def finish(tab: Tab) -> None:
    tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


def stored_preferences(site: Site, email: str) -> Preferences:
    subscription = site.app.state.digest.subscriptions.store.by_email(email)
    assert subscription is not None
    return Preferences.from_dict(subscription.preferences)


def test_subscribe_confirm_in_the_browser_and_manage(browser, site: Site, smtp_server) -> None:
    tab = new_tab(browser, site.url, viewport=DESKTOP, timezone_id="Europe/Berlin")
    try:
        page = tab.open("/digest")
        tab.screenshot("digest-signup")
        page.get_by_label("Email address").fill("browser.subscriber@example.org")
        page.get_by_label("Categories").fill("cs.LG, cs.CL")
        page.get_by_role("button", name="Send me the digest").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "Check your inbox"

        message = smtp_server.wait_for(1)[0]
        link = CONFIRM_PATH.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)
        page = tab.open(link)
        assert "browser.subscriber@example.org" in page.locator(".lede").inner_text()
        tab.screenshot("digest-confirm")
        page.get_by_role("button", name="Confirm my subscription").click()
        page.wait_for_url("**/digest/manage/**")
        assert "Your subscription is confirmed" in page.locator(".notice-ok").inner_text()
        # The browser's zone came with the form; the categories as typed.
        chosen = stored_preferences(site, "browser.subscriber@example.org")
        assert chosen.timezone == "Europe/Berlin" and chosen.categories == ("cs.LG", "cs.CL")
        assert "every weekday at 08:00 (Europe/Berlin)" in page.locator(".lede").inner_text()

        page.get_by_label("Once a week, on").check()
        page.get_by_label("Day of the weekly digest").select_option("Friday")
        page.get_by_label("Hour").select_option("07:00")
        page.get_by_label("Papers per digest (1–50)").fill("15")
        page.get_by_label("For you: like the papers you saved or upvoted (with an account)").uncheck()
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_url("**?done=saved")
        assert "every Friday at 07:00 (Europe/Berlin)" in page.locator(".lede").inner_text()
        saved = stored_preferences(site, "browser.subscriber@example.org")
        assert (saved.frequency.value, saved.weekday, saved.hour, saved.max_papers) == ("weekly", 4, 7, 15)
        assert {section.value for section in saved.sections} == {"trending", "alerts"}

        page.get_by_label("Time zone").fill("Mars/Olympus_Mons")
        page.get_by_role("button", name="Save preferences").click()
        page.wait_for_load_state()
        assert "timezone: 'Mars/Olympus_Mons' is not an IANA time zone" in page.get_by_role("alert").inner_text()
        assert stored_preferences(site, "browser.subscriber@example.org").timezone == "Europe/Berlin"
        assert [error for error in tab.errors if "400 (Bad Request)" not in error] == []
        tab.errors.clear()  # the refused form answered 400 on purpose; the browser logs that as an error
        manage = page.url.split("?")[0]

        page = tab.open(manage.removeprefix(site.url))
        page.get_by_label("Save a search").fill('"graph neural" -survey')
        page.get_by_role("button", name="Add search").click()
        page.wait_for_url("**?done=alert-added*")
        page.get_by_label("Follow an author").fill("Yoshua Bengio")
        page.get_by_role("button", name="Follow").click()
        page.wait_for_url("**?done=alert-added*")
        alerts = page.locator(".alert-list li")
        assert alerts.count() == 2 and "Yoshua Bengio" in alerts.nth(1).inner_text()
        assert alerts.nth(0).get_by_role("link", name="Atom").get_attribute("href").startswith("/feeds/search.atom?q=")
        tab.screenshot("digest-manage")

        page.get_by_role("link", name="Preview the next digest").click()
        page.wait_for_load_state()
        assert "preview" in page.locator(".eyebrow").inner_text()  # "Nothing new", or the digest: the demo is old
        tab.screenshot("digest-preview")

        page = tab.open(manage.removeprefix(site.url))
        page.get_by_role("button", name="Unsubscribe").click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == "You are unsubscribed"
        assert site.app.state.digest.subscriptions.store.by_email("browser.subscriber@example.org").status == (
            "unsubscribed"
        )
        assert len(smtp_server.messages) == 1  # the confirmation, and nothing else
    finally:
        finish(tab)


def test_the_digest_pages_on_a_phone_in_dark_mode(browser, site: Site, smtp_server) -> None:
    tab = new_tab(browser, site.url, viewport=PHONE, color_scheme="dark")
    try:
        page = tab.open("/digest")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        tab.screenshot("digest-signup-phone-dark")
    finally:
        finish(tab)
