"""The composition root: every store and service of one process, built once from the settings.

The web app, the worker and the CLI each open one :class:`Services` and take what they need from
it. Nothing below imports this module: the store and the domain packages (search, library,
trending, digest, accounts, mail, ingest) receive their stores and collaborators as arguments,
so a test builds any of them over its own.

The stores are built at once (each is an engine and a clock, nothing is read); the search engine,
trending, the library and the digest composer at first use, because a CLI command or the worker
needs only some of them and opening the indexes or ranking trending costs time.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from papertide.accounts.keys import Signer, load_secret_key
from papertide.accounts.rate_limits import RateLimiter
from papertide.config import Settings
from papertide.mail import Mailer
from papertide.store import PaperStore, Stores, open_configured_store
from papertide.store.db.base import Clock

if TYPE_CHECKING:  # imported where first used: a CLI command that only reads the store never loads them
    from papertide.digest.compose import Composer
    from papertide.digest.due import DigestComposer
    from papertide.library import Library
    from papertide.search.engine import SearchEngine
    from papertide.trending import Trending


class Services:
    """The stores of the configured database and the services over them, for one process.

    ``papers`` defaults to the store ``settings`` name (opened and migrated); ``clock`` (default:
    the paper store's) is every store's "now", which tests control. ``search`` is an already open
    engine to use; ``background_catch_up`` is the web app's trending (see :class:`Trending`).
    """

    def __init__(
        self,
        settings: Settings,
        papers: PaperStore | None = None,
        *,
        clock: Clock | None = None,
        search: SearchEngine | None = None,
        background_catch_up: bool = False,
    ) -> None:
        papers = papers or open_configured_store(settings)
        self.settings = settings
        self.clock: Clock = clock or papers.now
        self.stores = Stores.beside(papers, settings, self.clock)
        self._search = search
        self._background_catch_up = background_catch_up

    @property
    def papers(self) -> PaperStore:
        return self.stores.papers

    @cached_property
    def search(self) -> SearchEngine:
        """The search engine over the indexes ``settings`` name, as ``papertide index`` last left them."""
        from papertide.search.engine import SearchEngine

        return self._search or SearchEngine.open(self.settings, self.papers)

    @cached_property
    def trending(self) -> Trending:
        from papertide.trending import Trending

        return Trending.from_settings(
            self.settings, self.papers, self.stores.trending, background_catch_up=self._background_catch_up
        )

    @cached_property
    def library(self) -> Library:
        from papertide.library import Library

        return Library.over(self.stores, self.search, self.settings)

    @cached_property
    def rate_limiter(self) -> RateLimiter:
        """Limits on everything that sends mail: see :func:`papertide.accounts.rate_limits.mail_limits`."""
        return RateLimiter(self.stores.rate_limits)

    @cached_property
    def mailer(self) -> Mailer:
        return Mailer.from_settings(self.settings)

    @cached_property
    def signer(self) -> Signer:
        """Signs and checks links and cookies with the key ``settings`` name (created on first use)."""
        return Signer(load_secret_key(self.settings))

    @cached_property
    def composer(self) -> Composer:
        """What a digest holds, for the worker, the CLI's preview and the web's manage page alike."""
        from papertide.digest.compose import Composer

        stores = self.stores
        return Composer(
            self.settings, self.papers, self.search, stores.subscriptions, stores.accounts, self.trending,
            self.library.for_you,
        )  # fmt: skip

    @cached_property
    def digests(self) -> DigestComposer:
        """The worker's digests (who is due, each rendered for the outbox); ``digest preview`` shows the same."""
        from papertide.digest.due import DigestComposer
        from papertide.digest.render import DigestMail

        mail = DigestMail(self.settings, self.signer)
        return DigestComposer(self.stores.subscriptions, self.composer, mail, self.clock)
