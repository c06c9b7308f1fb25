"""Search end to end in headless Chromium: pasted text finds related papers, prose questions are read as prose.

The pasted text travels in the URL of a GET form (searches change nothing), so these tests also
check that the real server takes a query string of many thousand characters.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from playwright import sync_api

from tests.web.browser import BROWSER_TESTS, Tab
from tests.web.test_browser import card_ids, text_outside_math

pytestmark = BROWSER_TESTS

PAPER = "0704.0506"  # a demo paper with a long LaTeX abstract


def abstract_of(tab: Tab, paper_id: str) -> str:
    return text_outside_math(tab.open(f"/paper/{paper_id}").locator(".abstract p"))


def test_a_pasted_abstract_finds_its_paper_and_related_ones(tab: Tab) -> None:
    pasted = f'Draft -- "see below: {abstract_of(tab, PAPER)}\n\n' * 6  # quotes, dashes, colons: all prose
    assert len(pasted) > 2500
    page = tab.open("/search")
    page.get_by_text("Find related papers", exact=True).first.click()
    page.get_by_label("Paste an abstract").fill(pasted)
    page.get_by_role("button", name="Find related papers").click()
    page.wait_for_url("**/search?*find=related*")
    assert card_ids(page)[0] == PAPER
    assert "related to the text you pasted" in page.locator(".result-summary").inner_text()
    assert page.locator(".notice").count() == 0  # nothing was read as syntax, so nothing to warn about
    assert page.get_by_label("Paste an abstract").input_value() == pasted.replace("\r\n", "\n")
    sent = parse_qs(urlsplit(page.url).query)["related"][0]
    assert len(sent) > 2500
    tab.screenshot("search-related-light")


def test_a_prose_question_with_a_misremembered_quote_is_relaxed_with_a_note(tab: Tab) -> None:
    page = tab.open("/search")
    box = page.locator("#q")
    box.fill('what is known about dark energy - the "universe accelerating expansion of" idea?')
    box.press("Enter")
    page.wait_for_url("**/search?q=*")
    assert card_ids(page)
    notice = page.locator(".notice").inner_text()
    assert 'no paper contains the exact phrase "universe accelerating expansion of"' in notice
    tab.screenshot("search-relaxed-light")


def test_enter_in_the_query_box_ignores_text_left_in_the_related_box(tab: Tab) -> None:
    page: sync_api.Page = tab.open("/search")
    page.get_by_text("Find related papers", exact=True).first.click()
    page.get_by_label("Paste an abstract").fill("superconductivity in layered cuprates")
    page.locator("#q").fill("dark matter")
    page.locator("#q").press("Enter")
    page.wait_for_url("**/search?q=dark+matter*")
    assert "related to the text you pasted" not in page.locator(".result-summary").inner_text()
