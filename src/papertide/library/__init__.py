"""The reader's library: upvotes, collections of saved papers with notes, BibTeX/RIS import and
export, and recommendations from what was saved. Rules only; the web app and CLI translate.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertide.library.collections import Collections
from papertide.library.votes import Votes
from papertide.store.collections import CollectionStore
from papertide.store.papers import PaperStore
from papertide.store.votes import VoteStore


@dataclass(frozen=True, slots=True)
class Library:
    votes: Votes
    collections: Collections

    @classmethod
    def over(cls, store: PaperStore) -> Library:
        """The library of the accounts in ``store``'s database, on the store's clock."""
        return cls(
            votes=Votes(VoteStore(store.engine, store.now)),
            collections=Collections(CollectionStore(store.engine, store.now), store),
        )
