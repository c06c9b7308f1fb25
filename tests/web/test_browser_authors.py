"""Author pages in headless Chromium over the demo corpus: at desktop and phone widths, the co-author
links, and the follow button, one click for a reader (with and without JavaScript) and via sign-in for a visitor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from papertide.author_names import author_path
from papertide.web.app import create_app
from tests.postgres import database_url_for_shared_fixture
from tests.web.browser import BROWSER_TESTS, PHONE, Site, Tab, open_tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve

pytestmark = BROWSER_TESTS

AUTHOR = "Maxim A. Yurkin"  # four papers in the demo corpus, with Alfons G. Hoekstra on them
COAUTHOR = "Alfons G. Hoekstra"


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    data_dir = tmp_path_factory.mktemp("demo")
    app = create_app(demo_library(data_dir, cache, database_url_for_shared_fixture(request, data_dir)))
    with serve(app) as url:
        yield Site(url, app)


def followed(site: Site, email: str) -> list[str]:
    user = site.app.state.services.accounts.user_by_email(email)
    digest = site.app.state.digest.subscriptions
    mine = digest.of_user(user)
    return [alert.value for alert in digest.alerts(mine) if alert.kind == "author"] if mine else []


def test_the_page_lists_papers_coauthors_and_categories_and_links_on(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site)
    page = tab.open(author_path(AUTHOR.upper()))  # any case finds the same name
    assert page.locator("h1").inner_text() == AUTHOR
    assert page.locator(".author-papers .card").count() >= 4
    assert "not by a verified identity" in page.locator(".lede").inner_text()
    assert page.locator(".category-list .category-name").count() >= 1
    tab.screenshot("author-desktop")
    page.locator(".author-papers").get_by_role("link", name="Most upvoted").click()
    page.wait_for_load_state("networkidle")
    assert "order=upvoted" in page.url and page.locator(".author-papers .card").count() >= 4
    page.locator(".coauthors").get_by_role("link", name=COAUTHOR).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == COAUTHOR
    # A card's author name leads to that author's page too.
    page.locator(".card .author-link", has_text=AUTHOR).first.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == AUTHOR


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_fits_a_phone(browser, site: Site, tabs: list[Tab], scheme: str) -> None:
    tab = open_tab(tabs, browser, site, viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    page = tab.open(author_path(AUTHOR))
    assert page.locator(".coauthors").is_visible()
    tab.screenshot(f"author-phone-{scheme}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the author page scrolls sideways"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_following_is_one_click(browser, site: Site, tabs: list[Tab], javascript: bool) -> None:
    email = f"follower-{javascript}@example.org"
    tab = open_tab(tabs, browser, site, email, java_script_enabled=javascript)
    page = tab.open(author_path(AUTHOR))
    page.get_by_role("button", name="Follow in your digest").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(author_path(AUTHOR))
    assert page.get_by_role("button", name="Following in your digest").get_attribute("aria-pressed") == "true"
    assert followed(site, email) == [AUTHOR]
    page.get_by_role("button", name="Following in your digest").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("button", name="Follow in your digest").is_visible()
    assert followed(site, email) == []


def test_a_visitor_is_sent_to_sign_in_and_back(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site)
    page = tab.open(author_path(AUTHOR))
    page.get_by_role("button", name="Follow in your digest").click()
    page.wait_for_load_state("networkidle")
    assert "/signin?next=" in page.url
    assert page.locator('input[name="next"]').first.get_attribute("value") == author_path(AUTHOR)
