"""What request handlers share: the store, the search engine, caches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from papertide.accounts.administration import Administration
from papertide.accounts.keys import Signer
from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.sessions import Sessions
from papertide.accounts.sign_in import SignInLinks
from papertide.config import Settings
from papertide.discussion import Discussion
from papertide.library import Library
from papertide.mail import Mailer
from papertide.search.engine import SearchEngine, SearchResponse
from papertide.search.upkeep.follower import IndexFollower
from papertide.store import Stores
from papertide.store.accounts.store import AccountStore
from papertide.store.papers.store import PaperStore
from papertide.store.search_texts import SearchTextStore
from papertide.trending import Trending
from papertide.web.kit.site import SiteAddress
from papertide.web.kit.windows import NewestDays

T = TypeVar("T")
# The longest search text that may run on the event loop (see Services.search).
INLINE_SEARCH_CHARS = 300


@dataclass(frozen=True, slots=True)
class Services:
    """What request handlers use: the process's services (:mod:`papertide.services`) and the web's own."""

    settings: Settings
    store: PaperStore
    stores: Stores  # every per-concern store of the database (store and accounts among them)
    engine: SearchEngine
    newest_days: NewestDays
    accounts: AccountStore
    sessions: Sessions
    signer: Signer
    mailer: Mailer
    rate_limiter: RateLimiter  # of everything that sends mail: see accounts.rate_limits.mail_limits
    sign_in: SignInLinks
    trending: Trending
    library: Library
    search_texts: SearchTextStore  # long search texts behind short result-page addresses (web.search_page)
    discussion: Discussion  # comments under papers, and their moderation (web.discussion)
    admin: Administration  # the /admin area (web.admin)
    site: SiteAddress  # where links point: see papertide.web.kit.site
    follower: IndexFollower | None = None  # this node's index catch-up, when it follows the database

    async def lookup(self, work: Callable[[], T]) -> T:
        """Run ``work``, a few indexed reads and a narrow vector walk, where it costs least.

        Over SQLite that is the event loop: ~1.5 ms of work is cheaper there than a hop to a worker
        thread and back (bench/web_load.py at 1M papers: paper pages 460 -> 680 req/s). Over a
        database server each read is a round trip that would hold up every request the loop
        serves, so it goes to a worker thread (paper pages on PostgreSQL: 110 req/s on the loop).
        """
        if self.store.backend == "sqlite":
            return work()
        return await run_in_threadpool(work)

    async def search(self, text: str, **options: Any) -> SearchResponse:
        """:meth:`SearchEngine.search` on a worker thread, or where :meth:`lookup` runs its work.

        On a worker thread a process can use more than one core (the search's native parts run
        outside the GIL). Where a process serves each core (``search_on_event_loop``), a typed
        query's search costs less where lookups run: the hop to a thread, and the GIL passing to and
        fro between it and the loop, cost ~1.5 ms of CPU a request and a longer tail
        (bench/web_load.py, search API at 1M papers, alternating 30 s runs, 2 workers: 131-144 ->
        150-171 req/s; 1 worker: 98.6 -> 88.0). A long text's search (a pasted abstract) is mostly
        embedding, outside the GIL: it keeps its thread, and the loop serves other requests meanwhile.
        """
        work = partial(self.engine.search, text, **options)
        if self.settings.search_on_event_loop and len(text) <= INLINE_SEARCH_CHARS:
            return await self.lookup(work)
        return await run_in_threadpool(work)


async def _services(request: Request) -> Services:
    # async: FastAPI runs a plain function dependency in the thread pool, a thread hop per request.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]
