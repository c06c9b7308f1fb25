"""The trending home page in headless Chromium, over the demo corpus with a few votes cast."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright import sync_api

from papertide.web.app import create_app
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, new_tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve
from tests.web.test_browser import card_categories, card_ids
from tests.web.voting import add_voter, vote

pytestmark = BROWSER_TESTS

VOTES = {"0704.0506": 4, "0704.0386": 3, "0704.0266": 2, "0704.0546": 1}


@pytest.fixture(scope="module")
def voted_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo library served with votes on four papers, the trending attention refreshed."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    app = create_app(demo_library(tmp_path_factory.mktemp("demo"), cache))
    services = app.state.services
    voters = [add_voter(services.store, f"reader{n}@example.org", timedelta(days=60)) for n in range(4)]
    for paper_id, count in VOTES.items():
        for voter in voters[:count]:
            vote(services.store, voter, paper_id)
    services.trending.refresh()
    with serve(app) as url:
        yield url


def test_home_shows_what_trends_and_filters_it(browser: sync_api.Browser, voted_url: str) -> None:
    tab = new_tab(browser, voted_url, viewport=DESKTOP)
    try:
        page = tab.open("/")
        assert page.locator("h1").inner_text() == "Trending papers"
        assert card_ids(page) == list(VOTES)
        assert page.locator(".trend-reason").all_inner_texts() == [
            "+4 upvotes this week", "+3 upvotes this week", "+2 upvotes this week", "+1 upvote this week",
        ]  # fmt: skip
        tab.screenshot("trending-light")
        page.get_by_role("link", name="This month").click()
        page.wait_for_url("**/?window=month")
        assert card_ids(page) == list(VOTES)
        page.get_by_text("Filter by category").click()
        page.get_by_label("Quantum Physics").check()
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/?window=month&category=quant-ph*")
        assert card_ids(page) == ["0704.0386"]
        page.get_by_text("How is this ranked?").click()
        assert "younger than 24 hours" in page.locator(".how-ranked-body").inner_text()
        page.get_by_role("navigation", name="Listing").get_by_role("link", name="New").click()
        page.wait_for_url("**/new?category=quant-ph*")
        assert all("quant-ph" in categories for categories in card_categories(page))
    finally:
        tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


def test_home_on_a_phone_in_dark_mode(browser: sync_api.Browser, voted_url: str) -> None:
    tab = new_tab(browser, voted_url, viewport=PHONE, color_scheme="dark", is_mobile=True, has_touch=True)
    try:
        page = tab.open("/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.locator(".trend-reason").count() == len(VOTES)
        tab.screenshot("trending-phone-dark")
    finally:
        tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []
