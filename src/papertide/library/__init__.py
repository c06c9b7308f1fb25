"""The reader's library: upvotes, collections of saved papers with notes, BibTeX/RIS import and
export, and recommendations from what was saved. Rules only; the web app and CLI translate.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertide.config import Settings
from papertide.library.collections import Collections
from papertide.library.for_you import ForYou
from papertide.library.imports import Importer, ImportLimits
from papertide.library.votes import Votes
from papertide.search.engine import SearchEngine
from papertide.store import Stores


@dataclass(frozen=True, slots=True)
class Library:
    votes: Votes
    collections: Collections
    importer: Importer
    for_you: ForYou

    @classmethod
    def over(cls, stores: Stores, engine: SearchEngine, settings: Settings) -> Library:
        """The library of the accounts in ``stores``' database, recommending through ``engine``."""
        collections = Collections(stores.collections, stores.papers)
        limits = ImportLimits(max_bytes=settings.import_max_bytes, max_entries=settings.import_max_entries)
        return cls(
            votes=Votes(stores.votes, stores.papers),
            collections=collections,
            importer=Importer(stores.paper_keys, collections, limits),
            for_you=ForYou(stores.votes, stores.collections, stores.papers, engine),
        )
