"""The paper page in headless Chromium (issue 24): one page for a phone at 390 px and for a desktop, its details,
Hugging Face's notes and the Trending, From-the-same-authors and Similar sections, none of them empty.

Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api

from papertide.web.app import create_app
from tests.postgres import database_url_for_shared_fixture
from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, Tab, new_tab
from tests.web.live_server import serve
from tests.web.paper_page_library import HF_PAPER, HOSTILE, build_library

pytestmark = BROWSER_TESTS
SECTIONS = ("#details-heading", "#hf-notes-heading", "#trending-heading", "#by-authors-heading", "#similar-heading")
# What each paper's page holds: the Hugging Face paper its links and notes; Inf-CLIP trending beside it;
# Mixtral its co-authors' Mistral 7B and Movie Gen trending in cs.LG; the hostile paper its text, shown inert.
PAGES = {
    HF_PAPER: {"#details-heading", "#hf-notes-heading", "#similar-heading"},
    "2410.17243": {"#details-heading", "#trending-heading", "#similar-heading"},
    "2401.04088": {"#details-heading", "#trending-heading", "#by-authors-heading", "#similar-heading"},
    HOSTILE: {"#details-heading", "#hf-notes-heading", "#similar-heading"},
}


@pytest.fixture(scope="module")
def site_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("paper-page")
    settings = build_library(data_dir, database_url_for_shared_fixture(request, data_dir))
    with serve(create_app(settings)) as url:
        yield url


def shown_sections(page: sync_api.Page) -> set[str]:
    return {selector for selector in SECTIONS if page.locator(selector).count()}


def box(page: sync_api.Page, selector: str) -> dict:
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def check(tab: Tab) -> None:
    tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []  # a script the page was tricked into running would break the CSP: an error


@pytest.mark.parametrize("paper_id", PAGES)
def test_the_paper_page_fits_a_phone(browser: sync_api.Browser, site_url: str, paper_id: str) -> None:
    tab = new_tab(browser, site_url, viewport=PHONE, is_mobile=True, has_touch=True)
    dialogs: list[str] = []
    tab.page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        page = tab.open(f"/paper/{paper_id}")
        tab.screenshot(f"paper-page-phone-{paper_id}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
        assert shown_sections(page) == PAGES[paper_id]
        # One column: the abstract first, then what lies beside it on a desktop, each as wide as the screen allows.
        abstract, details = box(page, ".abstract"), box(page, "aside.details")
        assert details["y"] > abstract["y"] and details["x"] + details["width"] <= PHONE["width"]
        for selector in PAGES[paper_id]:
            heading = box(page, selector)
            assert heading["x"] >= 0 and heading["x"] + heading["width"] <= PHONE["width"], f"{selector} is cut"
        size = page.locator(".abstract p").evaluate("p => parseFloat(getComputedStyle(p).fontSize)")
        assert size >= 16, "the abstract is too small to read"
        for element in page.locator(".paper-body section, .paper-body aside").all():
            assert element.inner_text().strip(), "an empty box"
        assert dialogs == []
    finally:
        check(tab)


def test_on_a_desktop_the_details_and_lists_stand_beside_the_abstract(browser: sync_api.Browser, site_url: str) -> None:
    tab = new_tab(browser, site_url, viewport=DESKTOP)
    try:
        page = tab.open("/paper/2410.17243")
        tab.screenshot("paper-page-desktop-trending")
        abstract, details, trending = box(page, ".abstract"), box(page, "aside.details"), box(page, ".trending-beside")
        assert details["x"] > abstract["x"] + abstract["width"], "the details are not beside the abstract"
        assert trending["x"] == details["x"] and trending["y"] > details["y"]
        assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
        page.locator(".trending-beside .compact-title").first.click()
        page.wait_for_load_state("networkidle")
        assert page.url.endswith("/paper/1512.03385")

        page = tab.open(f"/paper/{HF_PAPER}")
        tab.screenshot("paper-page-desktop-hugging-face")
        stars = page.locator("aside.details .stars")
        assert stars.inner_text() == "★ 9"
        repository = page.get_by_role("link", name="github.com/marco-garosi/CIRCLE")
        assert repository.get_attribute("href") == "https://github.com/marco-garosi/CIRCLE"
        keywords = page.get_by_role("list", name="Hugging Face's keywords").get_by_role("link").all_inner_texts()
        assert keywords[0] == "Vision-Language Models" and len(keywords) == 9
    finally:
        check(tab)
