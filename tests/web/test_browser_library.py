"""The library end to end in headless Chromium: upvotes with and without JavaScript, saving to a
collection, BibTeX export and import, and "For you", against the real server over the demo corpus.

Readers are signed in by handing the browser a session cookie (the accounts tests follow the
emailed link itself). Every tab fails its test on a request to another host or a console error.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from playwright import sync_api

from papertide.web.app import create_app
from papertide.web.auth import SESSION_COOKIE
from tests.web.browser import BROWSER_TESTS, DESKTOP, Tab, new_tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve

pytestmark = BROWSER_TESTS

PAPER = "0704.0001"  # in the demo corpus, with a DOI and a journal reference


@dataclass
class Site:
    app: FastAPI
    url: str


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo corpus served by uvicorn, with the app at hand to make accounts and sessions."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    app = create_app(demo_library(tmp_path_factory.mktemp("demo"), cache))
    with serve(app) as url:
        yield Site(app, url)


def reader_tab(browser: sync_api.Browser, site: Site, email: str | None, **options) -> Tab:
    """A tab of a fresh browser context, signed in as ``email`` (None: signed out)."""
    tab = new_tab(browser, site.url, viewport=DESKTOP, **options)
    if email:
        services = site.app.state.services
        user, _ = services.accounts.get_or_create_user(email)
        cookie = {"name": SESSION_COOKIE, "value": services.sessions.start(user), "url": site.url}
        tab.page.context.add_cookies([cookie])
    return tab


@pytest.fixture
def tabs(browser: sync_api.Browser, site: Site) -> Iterator[list[Tab]]:
    """Tabs a test opens with :func:`reader_tab`; closed and checked for foreign requests and errors."""
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.page.context.close()
    for tab in opened:
        assert tab.foreign_requests() == []
        assert tab.errors == []


def open_tab(tabs: list[Tab], browser: sync_api.Browser, site: Site, email: str | None, **options) -> Tab:
    tab = reader_tab(browser, site, email, **options)
    tabs.append(tab)
    return tab


def vote_button(page: sync_api.Page) -> sync_api.Locator:
    return page.locator(".paper-actions form.vote button")


def test_voting_with_javascript_changes_no_page(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "js-voter@example.org")
    page = tab.open(f"/paper/{PAPER}")
    button = vote_button(page)
    assert button.get_attribute("aria-pressed") == "false"
    before = int(button.locator(".vote-count").inner_text())
    page.evaluate("window.stillTheSamePage = true")
    button.click()
    sync_api.expect(button).to_have_attribute("aria-pressed", "true")
    sync_api.expect(button.locator(".vote-count")).to_have_text(str(before + 1))
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    tab.screenshot("library-paper-voted")
    button.click()
    sync_api.expect(button).to_have_attribute("aria-pressed", "false")
    sync_api.expect(button.locator(".vote-count")).to_have_text(str(before))
    button.click()
    page.wait_for_function("document.querySelector('.paper-actions form.vote button').ariaPressed === 'true'")
    page.reload()
    assert vote_button(page).get_attribute("aria-pressed") == "true"  # stored, not just drawn


def test_voting_without_javascript_posts_the_form_and_comes_back(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "no-js-voter@example.org", java_script_enabled=False)
    page = tab.open("/?window=all")
    card = page.locator(".card").first
    button = card.locator("form.vote button")
    before = int(button.locator(".vote-count").inner_text())
    button.click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site.url}/?window=all"  # back on the page the vote came from
    button = page.locator(".card").first.locator("form.vote button")
    assert button.get_attribute("aria-pressed") == "true"
    assert int(button.locator(".vote-count").inner_text()) == before + 1
    tab.screenshot("library-cards-voted-without-js")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signed_out_voters_are_sent_to_sign_in_and_back(browser, site: Site, tabs: list[Tab], javascript) -> None:
    tab = open_tab(tabs, browser, site, None, java_script_enabled=javascript)
    page = tab.open(f"/paper/{PAPER}")
    with page.expect_navigation():
        vote_button(page).click()
    assert page.url == f"{site.url}/signin?next=%2Fpaper%2F{PAPER}"
