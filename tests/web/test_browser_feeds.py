"""Following a page's feed link in headless Chromium: the link is there, and what it leads to is a feed."""

from __future__ import annotations

import feedparser
from playwright import sync_api

from tests.web.browser import BROWSER_TESTS, Tab

pytestmark = BROWSER_TESTS


def card_ids(page: sync_api.Page) -> list[str]:
    links = page.locator(".card-title a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href.removeprefix("/paper/") for href in links]


def follow(page: sync_api.Page, name: str) -> feedparser.FeedParserDict:
    """Click a page's visible feed link as a reader would, and parse what the browser received."""
    link = page.locator(".feed-links").get_by_role("link", name=name)
    with page.expect_response(lambda response: "/feeds/" in response.url) as answer:
        link.click()
    response = answer.value
    assert response.status == 200
    parsed = feedparser.parse(response.body())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_home_page_links_and_leads_to_the_feed_of_its_papers(tab: Tab) -> None:
    page = tab.open("/?window=all&category=quant-ph")
    atom = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    rss = page.locator('head link[rel="alternate"][type="application/rss+xml"]')
    assert atom.get_attribute("href") == "/feeds/new.atom?category=quant-ph"
    assert rss.get_attribute("href") == "/feeds/new.rss?category=quant-ph"
    assert page.locator(".feed-links").is_visible()
    tab.screenshot("home-feed-link")
    shown = card_ids(page)
    parsed = follow(page, "Atom feed")
    assert parsed.version == "atom10"
    ids = [entry.link.split("/paper/", 1)[1] for entry in parsed.entries]
    assert ids[: len(shown)] == shown  # the same papers, newest first
    assert all("quant-ph" in [tag.term for tag in entry.tags] for entry in parsed.entries)


def test_search_results_lead_to_the_feed_of_the_search(tab: Tab) -> None:
    page = tab.open("/search?q=quantum&mode=lexical&sort=newest")
    shown = card_ids(page)
    assert shown
    parsed = follow(page, "RSS feed")
    assert parsed.version == "rss20"
    ids = [entry.link.split("/paper/", 1)[1] for entry in parsed.entries]
    assert ids[: len(shown)] == shown
