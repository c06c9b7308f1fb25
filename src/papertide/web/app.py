"""The application factory: one FastAPI app serving the pages, the JSON API and static files."""

from __future__ import annotations

import gc
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
from papertide.accounts.sessions import Sessions
from papertide.accounts.sign_in import SignInLinks
from papertide.config import Settings, load_settings
from papertide.discussion import Discussion
from papertide.logs import configure_logging
from papertide.metrics.pool import watch_pool
from papertide.search.engine import SearchEngine
from papertide.search.upkeep.follower import IndexFollower
from papertide.services import Services
from papertide.store import PaperStore
from papertide.store.db.base import Clock
from papertide.web import (
    accounts,
    admin,
    authors,
    digest,
    discussion,
    docs,
    feeds,
    health,
    library,
    metrics,
    papers,
    search,
    trending,
)
from papertide.web.kit import dependencies
from papertide.web.kit.auth import CsrfCookieMiddleware
from papertide.web.kit.problems import install_problem_handlers
from papertide.web.kit.site import SiteAddress, SiteMiddleware
from papertide.web.kit.templating import STATIC_DIR
from papertide.web.kit.windows import NewestDays
from papertide.web.server.access_log import AccessLogMiddleware, enable_access_log
from papertide.web.server.options import OptionsMiddleware
from papertide.web.server.security_headers import SecurityHeadersMiddleware

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
    clock: Clock | None = None,
    served: str | None = None,
    freeze_heap: bool = False,
) -> FastAPI:
    """Build the app over ``store`` and ``engine`` (defaults: those ``settings`` names).

    ``clock`` is the stores' "now" (link and session expiry, rate limits; default: the paper
    store's); tests control it. ``served`` is the address ``papertide serve`` listens at: with no
    base URL configured, links point there when a request's host is not trusted (see
    :mod:`papertide.web.kit.site`). ``freeze_heap`` (a server process's app) moves what startup built into
    the garbage collector's permanent generation once the app has started: see :func:`_freeze_heap`.

    The engine searches the indexes as ``papertide index`` last left them; a store without
    indexes still serves every page, and search finds nothing until they are built.
    """
    # Requests already run on a thread each; BLAS and OpenMP pools inside them only oversubscribe
    # the cores (measured: paper pages 84 -> 267 req/s on two cores with one thread per pool).
    threadpool_limits(limits=1)
    services = Services(settings, store, clock=clock, search=engine, background_catch_up=True)
    store, stores = services.papers, services.stores
    watch_pool(store)
    follow_s = settings.index_follow_interval(store.backend)
    follower = IndexFollower(store, settings, follow_s) if follow_s else None

    @asynccontextmanager
    async def lifespan(running: FastAPI) -> AsyncIterator[None]:
        # The event loop's thread pool, which runs the blocking handlers, sized by the settings.
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.web_threads
        running.state.services.trending.warm_up()  # the first page need not wait for the ranking
        if freeze_heap:
            _freeze_heap()
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
        docs_url=None,  # Swagger UI and ReDoc load from CDNs; /docs is served by the docs area instead
        redoc_url=None,
    )
    site = SiteAddress(settings, served)
    discussions = Discussion.over(stores, services.rate_limiter, settings)
    app.state.services = dependencies.Services(
        settings=settings,
        store=store,
        stores=stores,
        engine=services.search,
        newest_days=NewestDays(store),
        accounts=stores.accounts,
        sessions=Sessions(stores.accounts, days=settings.session_days),
        signer=services.signer,
        mailer=services.mailer,
        rate_limiter=services.rate_limiter,
        sign_in=SignInLinks(settings, stores.accounts, services.rate_limiter, services.mailer, site_url=site.current),
        trending=services.trending,
        library=services.library,
        search_texts=stores.search_texts,
        discussion=discussions,
        admin=Administration(stores, discussions.roles, services.rate_limiter, settings.data_dir),
        site=site,
        follower=follower,
    )
    app.state.digest = digest.pages.DigestServices.over(services, site)
    app.state.instance_metrics = metrics.instance_collector(stores, services.search)
    install_problem_handlers(app)
    app.add_middleware(OptionsMiddleware)
    app.add_middleware(CsrfCookieMiddleware, secure=settings.secure_cookies)
    app.add_middleware(SecurityHeadersMiddleware)
    enable_access_log()
    app.add_middleware(AccessLogMiddleware)
    app.add_middleware(SiteMiddleware, site=site)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The areas, the JSON API first; their order is the order routes are tried in (and listed in the docs).
    # The discussion's API before the papers': GET /api/v1/papers/{id:path} would take .../comments as an id.
    app.include_router(health.router)
    app.include_router(metrics.router)
    for area in (discussion, papers, trending, library, accounts):
        app.include_router(area.api.router)
    for area in (trending, papers, library, search, feeds, docs):
        app.include_router(area.pages.router)
    app.include_router(accounts.sign_in.router)
    app.include_router(accounts.pages.router)
    app.include_router(digest.pages.router)
    app.include_router(digest.api.router)
    for area in (discussion, admin, authors):
        app.include_router(area.pages.router)
    app.include_router(discussion.follows.router)
    app.include_router(feeds.discussion.router)
    app.include_router(trending.discussed.router)
    return app


# How `papertide serve --workers` tells its worker processes the address it listens at.
SERVED_VARIABLE = "PAPERTIDE_SERVE_LISTENS_AT"


def _freeze_heap() -> None:
    """Leave what the process built to start (modules, settings, services, the warmed-up ranking) out of the
    cyclic garbage collector's full collections: it lives as long as the process, yet each full collection
    walked all of it again. At 1M papers that took 120-135 ms, six times in 300 signed-in paper pages
    (bench/discussion.py: p99 207-247 ms against a p50 of 30); frozen, the longest took 9 ms. Garbage made
    later is collected as before."""
    gc.collect()
    gc.freeze()


def create_app_from_environment() -> FastAPI:
    """The app of the settings the environment gives: what each process of ``papertide serve --workers`` runs."""
    settings = load_settings()
    configure_logging(settings, logging.INFO)
    return create_app(settings, served=os.environ.get(SERVED_VARIABLE), freeze_heap=True)
