"""End to end in headless Chromium against the real server: what a reader sees, clicks and types.

Every test also checks that the page loaded nothing from another host and logged no errors
(a Content-Security-Policy violation is a console error). Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import pytest
from playwright import sync_api

from tests.web.browser import BROWSER_TESTS, DESKTOP, PHONE, Tab, new_tab

pytestmark = BROWSER_TESTS


def card_ids(page: sync_api.Page) -> list[str]:
    links = page.locator(".card-title a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href.removeprefix("/paper/") for href in links]


def card_categories(page: sync_api.Page) -> list[list[str]]:
    return [card.locator(".chip").all_inner_texts() for card in page.locator(".card").all()]


def text_outside_math(element: sync_api.Locator) -> str:
    return element.evaluate(
        "el => { const copy = el.cloneNode(true); copy.querySelectorAll('.katex').forEach(k => k.remove());"
        " return copy.textContent; }"
    )


def test_new_papers_filter_by_category(tab: Tab) -> None:
    page = tab.open("/new")
    assert card_ids(page)  # the past week up to the newest paper is never empty
    assert "ends at the newest listing" in page.locator(".lede").inner_text()
    page.get_by_role("link", name="All time").click()
    page.wait_for_url("**/new?window=all")
    assert len(card_ids(page)) == 20
    page.get_by_text("Filter by category").click()
    page.get_by_label("Quantum Physics").check()
    page.get_by_label("Exclude").fill("cond-mat.*")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url("**/new?window=all&category=quant-ph*")
    categories = card_categories(page)
    assert len(categories) == 20
    assert all("quant-ph" in cats and not any(c.startswith("cond-mat") for c in cats) for cats in categories)
    assert page.locator(".active-filters").inner_text().startswith("In Quantum Physics (quant-ph).")
    page.get_by_role("link", name="Older papers →").click()
    page.wait_for_url("**cursor=*")
    assert all("quant-ph" in cats for cats in card_categories(page))
    tab.screenshot("new-filtered-light")


def test_paper_page_renders_latex_and_leads_to_similar_papers(tab: Tab) -> None:
    page = tab.open("/paper/0704.0506")
    title, abstract = page.locator("h1"), page.locator(".abstract p")
    assert title.locator(".katex").count() == 1  # CeCoIn$_5$
    assert abstract.locator(".katex").count() >= 5
    assert "$" not in text_outside_math(title) + text_outside_math(abstract)
    assert any("/static/katex/fonts/" in url for url in tab.requests)  # KaTeX's own fonts, served here
    tab.screenshot("paper-light")
    similar = page.locator(".similar .card-title a")
    assert similar.count() == 5
    first_title = text_outside_math(similar.first)
    similar.first.click()
    page.wait_for_url(lambda url: "/paper/" in url and not url.endswith("/paper/0704.0506"))
    assert text_outside_math(page.locator("h1")) == first_title


def test_keyboard_alone_searches_and_opens_a_result(tab: Tab) -> None:
    page = tab.open("/")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    assert skip.evaluate("el => el.getBoundingClientRect().top") >= 0  # shown while focused
    page.keyboard.press("Tab")  # the logo
    page.keyboard.press("Tab")
    search_box = page.locator(":focus")
    assert search_box.get_attribute("id") == "header-q"
    assert search_box.evaluate("el => getComputedStyle(el).outlineStyle") == "solid"  # focus is visible
    page.keyboard.type("quantum entanglement of photons")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=quantum+entanglement+of+photons")
    assert page.locator(".result-summary").inner_text().split()[1] in ("result", "results")
    assert page.locator(".card mark").count() > 0
    tab.screenshot("search-light")
    for _ in range(40):
        page.keyboard.press("Tab")
        if (page.locator(":focus").get_attribute("href") or "").startswith("/paper/"):
            break
    first_result = page.locator(":focus").get_attribute("href")
    assert first_result == f"/paper/{card_ids(page)[0]}"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{first_result}")
    assert page.locator("h1").is_visible()


def test_a_full_search_page_stays_small(tab: Tab) -> None:
    response = tab.page.goto(f"{tab.base_url}/search?q=model+of+the+universe+dark+energy")
    assert tab.page.locator(".card").count() == 20
    assert len(response.body()) < 50_000


def test_skip_link_moves_focus_to_the_content(tab: Tab) -> None:
    page = tab.open("/search?q=dark+matter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.locator(":focus").get_attribute("id") == "q"  # the first control inside <main>


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_fit_a_phone_in_light_and_dark(browser: sync_api.Browser, base_url: str, scheme: str) -> None:
    tab = new_tab(browser, base_url, viewport=PHONE, color_scheme=scheme, is_mobile=True, has_touch=True)
    pages = {
        "home": "/?window=month",
        "new": "/new?window=month",
        "paper": "/paper/0704.0506",
        "search": "/search?q=superconductivity",
        "api": "/docs",
    }
    try:
        for name, path in pages.items():
            page = tab.open(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{path} scrolls sideways"
            if name in ("home", "new"):
                box = page.get_by_role("link", name="This month" if name == "home" else "All time").bounding_box()
                assert box["x"] + box["width"] <= PHONE["width"], "the time-window tabs do not fit"
            tab.screenshot(f"{name}-phone-{scheme}")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red = int(background.split("(")[1].split(",")[0])
        assert (red < 64) == (scheme == "dark")
    finally:
        tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


# Demo papers: categories, versions and a GitHub link in the comments; DOI, journal reference and
# versions; a Hugging Face paper with only the dataset links in its abstract; one with nothing to detail.
DETAILED = {"1706.00679": ["Categories", "Versions", "Comments", "Code and data"],
            "0704.0001": ["Categories", "Versions", "DOI", "Journal reference", "Comments"],
            "2410.18505": ["Code and data"], "2410.17243": []}  # fmt: skip


@pytest.mark.parametrize("paper_id", DETAILED)
def test_paper_details_on_a_phone_hold_no_empty_box(browser: sync_api.Browser, base_url: str, paper_id: str) -> None:
    """Issue 22: the Details box holds what is stored, or is left out; at 390 px nothing scrolls sideways."""
    tab = new_tab(browser, base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = tab.open(f"/paper/{paper_id}")
        tab.screenshot(f"paper-details-phone-{paper_id.replace('/', '-')}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the paper scrolls sideways"
        details = page.locator("aside.details")
        assert details.locator("dt").all_inner_texts() == DETAILED[paper_id]
        assert details.count() == (1 if DETAILED[paper_id] else 0)
        for value in details.locator("dd").all():
            assert value.inner_text().strip(), "an empty detail"
        if paper_id == "1706.00679":
            code = details.get_by_role("link", name="github.com/ydecastro/super-resolution-testing")
            assert code.get_attribute("href") == "https://github.com/ydecastro/super-resolution-testing"
            assert "Statistics Theory" in details.locator(".category-list").inner_text()
    finally:
        tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


def test_desktop_dark_mode(browser: sync_api.Browser, base_url: str) -> None:
    tab = new_tab(browser, base_url, viewport=DESKTOP, color_scheme="dark")
    try:
        tab.open("/")
        tab.screenshot("home-desktop-dark")
        tab.open("/search?q=black+hole+entropy&mode=hybrid")
        tab.screenshot("search-desktop-dark")
        tab.open("/paper/0704.0506")
        assert tab.page.locator(".abstract .katex").count() >= 5
        tab.screenshot("paper-desktop-dark")
    finally:
        tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []
