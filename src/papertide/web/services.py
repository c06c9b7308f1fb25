"""What request handlers share: the store, the search engine, caches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from papertide.accounts.keys import Signer
from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.sessions import Sessions
from papertide.accounts.sign_in import SignInLinks
from papertide.config import Settings
from papertide.library import Library
from papertide.mail import Mailer
from papertide.search.engine import SearchEngine
from papertide.search.follower import IndexFollower
from papertide.store.accounts import AccountStore
from papertide.store.papers import PaperStore
from papertide.trending import Trending
from papertide.web.windows import NewestDays


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: PaperStore
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
    follower: IndexFollower | None = None  # this node's index catch-up, when it follows the database


async def _services(request: Request) -> Services:
    # async: FastAPI runs a plain function dependency in the thread pool, a thread hop per request.
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(_services)]
