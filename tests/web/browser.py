"""The browser harness: headless Chromium (Playwright) over a real server, for the end-to-end tests.

Registered as a pytest plugin in ``tests/conftest.py``: ``browser``, ``base_url`` (the demo corpus
served by uvicorn), ``site`` (the same with its mail going to the test's SMTP server) and ``tab`` are
fixtures of every test module. A ``tab`` fails its test if the
page loaded anything from another host or logged an error (a CSP violation is a console error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI

from papertide.web.app import create_app
from papertide.web.kit.auth import SESSION_COOKIE
from tests.postgres import database_url_for_shared_fixture
from tests.web.corpus import demo_library
from tests.web.live_server import serve

try:
    from playwright import sync_api
except ImportError:  # the modules using the fixtures skip; see BROWSER_TESTS
    sync_api = None

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Browser test modules set ``pytestmark = BROWSER_TESTS``: skipped with a reason where Chromium is absent.
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM} (install Debian's chromium)"),
]


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real server over the bundled demo corpus, indexed for search."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    data_dir = tmp_path_factory.mktemp("demo")
    settings = demo_library(data_dir, cache, database_url_for_shared_fixture(request, data_dir))
    with serve(create_app(settings)) as url:
        yield url


@dataclass
class Site:
    """A served app, with the app at hand to make accounts and sessions."""

    url: str
    app: FastAPI


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path, smtp_server) -> Iterator[Site]:
    """The demo library served with its mail going to the test's SMTP server."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    settings = demo_library(tmp_path / "demo", cache).model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port, "smtp_security": "none"}
    )
    app = create_app(settings)
    with serve(app) as url:
        yield Site(url, app)


@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    """One Chromium per module, not per test process: Playwright's sync API keeps an asyncio loop running
    in the thread while it lives, and later tests' ``anyio.run`` then fail ("Already running asyncio")."""
    if sync_api is None or not CHROMIUM.exists():
        pytest.skip("browser tests need the playwright package and Chromium")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@dataclass
class Tab:
    """A browser tab that records every request it makes and every error it logs."""

    page: sync_api.Page
    base_url: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> sync_api.Page:
        self.page.goto(self.base_url + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)

    def foreign_requests(self) -> list[str]:
        here = urlsplit(self.base_url).netloc
        return [url for url in self.requests if urlsplit(url).netloc != here]


def new_tab(browser: sync_api.Browser, base_url: str, **context_options) -> Tab:
    page = browser.new_context(**context_options).new_page()
    tab = Tab(page, base_url)
    page.on("request", lambda request: tab.requests.append(request.url))
    page.on("console", lambda message: tab.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: tab.errors.append(str(error)))
    return tab


@pytest.fixture
def tab(browser: sync_api.Browser, base_url: str) -> Iterator[Tab]:
    tab = new_tab(browser, base_url, viewport=DESKTOP)
    yield tab
    tab.page.context.close()
    assert tab.foreign_requests() == []
    assert tab.errors == []


@pytest.fixture
def tabs(browser: sync_api.Browser, site: Site) -> Iterator[list[Tab]]:
    """Tabs a test opens with :func:`open_tab`; closed and checked for foreign requests and errors."""
    opened: list[Tab] = []
    yield opened
    for tab in opened:
        tab.page.context.close()
    for tab in opened:
        assert tab.foreign_requests() == []
        assert tab.errors == []


def open_tab(tabs: list[Tab], browser: sync_api.Browser, site: Site, email: str | None = None, **options) -> Tab:
    """A tab of a fresh browser context on ``site``, signed in as ``email`` (None: signed out), kept in ``tabs``."""
    tab = new_tab(browser, site.url, **({"viewport": DESKTOP} | options))
    if email:
        services = site.app.state.services
        user, _ = services.accounts.get_or_create_user(email)
        cookie = {"name": SESSION_COOKIE, "value": services.sessions.start(user), "url": site.url}
        tab.page.context.add_cookies([cookie])
    tabs.append(tab)
    return tab
