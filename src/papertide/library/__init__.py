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
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from papertide.store.papers.keys import PaperKeyStore
from papertide.store.papers.store import PaperStore


@dataclass(frozen=True, slots=True)
class Library:
    votes: Votes
    collections: Collections
    importer: Importer
    for_you: ForYou

    @classmethod
    def over(cls, store: PaperStore, engine: SearchEngine, settings: Settings) -> Library:
        """The library of the accounts in ``store``'s database, on the store's clock."""
        vote_store = VoteStore(store.engine, store.now)
        collection_store = CollectionStore(store.engine, store.now)
        collections = Collections(collection_store, store)
        limits = ImportLimits(max_bytes=settings.import_max_bytes, max_entries=settings.import_max_entries)
        return cls(
            votes=Votes(vote_store),
            collections=collections,
            importer=Importer(PaperKeyStore(store.engine, store.now), collections, limits),
            for_you=ForYou(vote_store, collection_store, store, engine),
        )
