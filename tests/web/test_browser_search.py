"""Search end to end in headless Chromium: pasted text finds related papers, prose questions are read as prose.

The search form is sent as a POST and redirected to its result page; a pasted text too long for
that page's URL is kept by the server and the URL carries its id, so these tests also check that
the result page of the longest paste (20,000 characters, any script) reloads and goes back and
forth like any other.
"""

from __future__ import annotations

from urllib.parse import quote

from playwright import sync_api

from papertide.search.query import MAX_QUERY_CHARS
from papertide.web.server.http_protocol import MAX_URL_BYTES
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
    page.wait_for_url("**/search?text_id=*&find=related*")
    assert card_ids(page)[0] == PAPER
    assert "related to the text you pasted" in page.locator(".result-summary").inner_text()
    assert page.locator(".notice").count() == 0  # nothing was read as syntax, so nothing to warn about
    assert page.get_by_label("Paste an abstract").input_value() == pasted.replace("\r\n", "\n")
    assert len(page.url) < 200  # the text is kept by the server, not carried in the URL
    tab.screenshot("search-related-light")


def test_a_20000_character_paste_in_any_script_gets_a_result_page_that_reloads_and_goes_back(tab: Tab) -> None:
    abstract = abstract_of(tab, PAPER)
    chinese = "低温下热膨胀与磁致伸缩测量揭示了量子临界行为。" * 30
    turn = f"{abstract}\n\n{chinese}\n\nRésumé : la criticité quantique à très basse température.\n\n"
    pasted = (turn * (MAX_QUERY_CHARS // len(turn) + 1))[:MAX_QUERY_CHARS]
    assert len(quote(pasted)) > MAX_URL_BYTES  # it could not travel in a URL
    page = tab.open("/search")
    page.get_by_text("Keywords", exact=True).click()  # the quickest mode: each visit below searches again
    page.get_by_text("Find related papers", exact=True).first.click()
    page.get_by_label("Paste an abstract").fill(pasted)
    page.get_by_role("button", name="Find related papers").click()
    page.wait_for_url("**/search?text_id=*&find=related&mode=lexical*")
    found, address = card_ids(page), page.url
    assert found[0] == PAPER
    assert page.get_by_label("Paste an abstract").input_value() == pasted
    page.reload()
    assert card_ids(page) == found
    page.go_back()
    page.wait_for_url("**/search")
    page.go_forward()
    page.wait_for_url(address)
    assert card_ids(page) == found


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
