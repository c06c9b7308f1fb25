"""Following a page's feed link in headless Chromium: the link is there, and what it leads to is a feed."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import pytest
from fastapi import FastAPI
from playwright import sync_api

from papertide.web.app import create_app
from tests.web.browser import BROWSER_TESTS, Tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve

pytestmark = BROWSER_TESTS


@pytest.fixture(scope="module")
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    return create_app(demo_library(tmp_path_factory.mktemp("demo"), cache))


@pytest.fixture(scope="module")
def base_url(app: FastAPI) -> Iterator[str]:
    """The demo corpus served by uvicorn, as the harness's, with the app at hand to share a collection."""
    with serve(app) as url:
        yield url


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
    page = tab.open("/new?window=all&category=quant-ph")
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


def test_public_collection_leads_to_its_feed(app: FastAPI, tab: Tab) -> None:
    services = app.state.services
    owner, _ = services.accounts.get_or_create_user("curator@example.org")
    shared = services.library.collections.create(owner, "Quantum reading", public=True)
    for paper_id in ("0704.0001", "0704.0002"):
        services.library.collections.save(owner, services.store.get(paper_id), shared.public_id, f"on {paper_id}")
    page = tab.open(f"/c/{shared.public_id}")
    head = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert head.get_attribute("href") == f"/feeds/c/{shared.public_id}.atom"
    shown = card_ids(page)
    parsed = follow(page, "Atom feed")
    assert parsed.feed.title == "Quantum reading · papertide"
    assert [entry.link.split("/paper/", 1)[1] for entry in parsed.entries] == shown == ["0704.0002", "0704.0001"]


def test_trending_home_page_leads_to_the_trending_feed(app: FastAPI, tab: Tab) -> None:
    services = app.state.services
    for n, paper_id in enumerate(("0704.0001", "0704.0002", "0704.0002")):
        voter, _ = services.accounts.get_or_create_user(f"voter{n}@example.org")
        services.library.votes.set(voter, services.store.get(paper_id), True)
    services.trending.refresh()  # the page and the feed then read the same attention
    page = tab.open("/?window=month")
    head = page.locator('head link[rel="alternate"][type="application/rss+xml"]')
    assert head.get_attribute("href") == "/feeds/trending.rss?window=month"
    shown = card_ids(page)
    assert shown[:2] == ["0704.0002", "0704.0001"]
    parsed = follow(page, "RSS feed")
    assert parsed.feed.title == "Trending this month · papertide"
    assert [entry.link.split("/paper/", 1)[1] for entry in parsed.entries][: len(shown)] == shown
