"""The application factory: one FastAPI app serving the pages, the JSON API and static files."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from threadpoolctl import threadpool_limits

from papertide import __version__
from papertide.accounts.administration import Administration
from papertide.accounts.keys import Signer, load_secret_key
from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.sessions import Sessions
from papertide.accounts.sign_in import SignInLinks
from papertide.config import Settings, load_settings
from papertide.discussion import Discussion
from papertide.library import Library
from papertide.logs import configure_logging
from papertide.mail import Mailer
from papertide.metrics.pool import watch_pool
from papertide.search.engine import SearchEngine
from papertide.search.upkeep.follower import IndexFollower
from papertide.store import PaperStore, open_configured_store
from papertide.store.accounts.rate_limits import RateLimitStore
from papertide.store.accounts.store import AccountStore
from papertide.store.db.base import Clock, system_clock
from papertide.store.search_texts import SearchTextStore
from papertide.trending import Trending
from papertide.web import health, metrics
from papertide.web.accounts import api as account_api
from papertide.web.accounts import pages as account_pages
from papertide.web.accounts import sign_in
from papertide.web.admin import pages as admin
from papertide.web.authors import pages as authors
from papertide.web.digest import api as digest_api
from papertide.web.digest import pages as digest
from papertide.web.discussion import api as discussion_api
from papertide.web.discussion import follows
from papertide.web.discussion import pages as discussion
from papertide.web.docs import pages as api_docs
from papertide.web.feeds import discussion as discussion_feed
from papertide.web.feeds import pages as feeds
from papertide.web.kit.auth import CsrfCookieMiddleware
from papertide.web.kit.dependencies import Services
from papertide.web.kit.problems import install_problem_handlers
from papertide.web.kit.site import SiteAddress, SiteMiddleware
from papertide.web.kit.templating import STATIC_DIR
from papertide.web.kit.windows import NewestDays
from papertide.web.library import api as library_api
from papertide.web.library import for_you
from papertide.web.library import pages as library
from papertide.web.library import transfer as library_io
from papertide.web.papers import api, pages
from papertide.web.search import pages as search_page
from papertide.web.server.access_log import AccessLogMiddleware, enable_access_log
from papertide.web.server.options import OptionsMiddleware
from papertide.web.server.security_headers import SecurityHeadersMiddleware
from papertide.web.trending import api as trending_api
from papertide.web.trending import discussed
from papertide.web.trending import pages as trending

DESCRIPTION = """\
Research papers from arXiv and Hugging Face: trending and newest listings, search and similar papers.

Lists are newest first and paginated by an opaque `cursor`. Errors are
[RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) `application/problem+json` documents.
"""


def create_app(
    settings: Settings,
    store: PaperStore | None = None,
    engine: SearchEngine | None = None,
    *,
    clock: Clock = system_clock,
    served: str | None = None,
) -> FastAPI:
    """Build the app over ``store`` and ``engine`` (defaults: those ``settings`` names).

    ``clock`` is the accounts' "now" (link and session expiry, rate limits); tests control it.
    ``served`` is the address ``papertide serve`` listens at: with no base URL configured, links
    point there when a request's host is not trusted (see :mod:`papertide.web.kit.site`).

    The engine searches the indexes as ``papertide index`` last left them; a store without
    indexes still serves every page, and search finds nothing until they are built.
    """
    # Requests already run on a thread each; BLAS and OpenMP pools inside them only oversubscribe
    # the cores (measured: paper pages 84 -> 267 req/s on two cores with one thread per pool).
    threadpool_limits(limits=1)
    store = store or open_configured_store(settings)
    watch_pool(store.engine)
    engine = engine or SearchEngine.open(settings, store)
    follow_s = settings.index_follow_interval(store.engine.dialect.name)
    follower = IndexFollower(store, settings, follow_s) if follow_s else None

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        # The event loop's thread pool, which runs the blocking handlers, sized by the settings.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        running.state.services.trending.warm_up()  # the first page need not wait for the ranking
        if follower is not None:
            follower.start()
        try:
            yield
        finally:
            if follower is not None:
                follower.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="papertide",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # Swagger UI and ReDoc load from CDNs; /docs is served by api_docs instead
        redoc_url=None,
    )
    accounts = AccountStore(store.engine, clock)
    mailer = Mailer.from_settings(settings)
    rate_limiter = RateLimiter(RateLimitStore(store.engine, clock))
    site = SiteAddress(settings, served)
    discussions = Discussion.over(accounts, rate_limiter, settings)
    app.state.services = Services(
        settings=settings,
        store=store,
        engine=engine,
        newest_days=NewestDays(store),
        accounts=accounts,
        sessions=Sessions(accounts, days=settings.session_days),
        signer=Signer(load_secret_key(settings)),
        mailer=mailer,
        rate_limiter=rate_limiter,
        sign_in=SignInLinks(settings, accounts, rate_limiter, mailer, site_url=site.current),
        trending=Trending.from_settings(settings, store, background_catch_up=True),
        library=Library.over(store, engine, settings),
        search_texts=SearchTextStore(store.engine, clock),
        discussion=discussions,
        admin=Administration(accounts, discussions.roles, discussions.moderation, rate_limiter, settings.data_dir),
        site=site,
        follower=follower,
    )
    app.state.digest = digest.DigestServices.over(app.state.services, clock)
    app.state.instance_metrics = metrics.instance_collector(store, engine)
    install_problem_handlers(app)
    app.add_middleware(OptionsMiddleware)
    app.add_middleware(CsrfCookieMiddleware, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware)
    enable_access_log()
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(SiteMiddleware, site=site)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The discussion's API before the papers': GET /api/v1/papers/{id:path} would take .../comments as an id.
    routers = [health.api, metrics.api, discussion_api.api, api.api, trending_api.api, library_api.api]
    routers += [library_io.api, for_you.api, account_api.api, trending.pages]
    # library_io's pages before library's: /c/{id}.bib must not be taken for a collection id
    routers += [pages.pages, library_io.pages, library.pages, for_you.pages, search_page.pages, feeds.pages]
    routers += [api_docs.pages, sign_in.pages, account_pages.pages, digest.pages, digest_api.api]
    routers += [discussion.pages, admin.pages, authors.pages]
    routers += [follows.pages, discussion_feed.pages, discussed.pages, discussed.api]
    for router in routers:
        app.include_router(router)
    return app


# How `papertide serve --workers` tells its worker processes the address it listens at.
SERVED_VARIABLE = "PAPERTIDE_SERVE_LISTENS_AT"


def create_app_from_environment() -> FastAPI:
    """The app of the settings the environment gives: what each process of ``papertide serve --workers`` runs."""
    settings = load_settings()
    configure_logging(settings, logging.INFO)
    return create_app(settings, served=os.environ.get(SERVED_VARIABLE))
