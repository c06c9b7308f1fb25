"""Collections: every reader's default "Saved" plus named ones, private unless made public.

Ownership is checked here, and a collection its caller may not see is :class:`NotFound`, never
"forbidden": a private collection's address must not even confirm that it exists. The default
collection is created on first need (a first save, a first named collection), never by a read.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from papertide.errors import Conflict, InvalidInput, NotFound
from papertide.store.accounts.store import User
from papertide.store.db.cursors import decode_cursor, encode_cursor
from papertide.store.library.collections import Collection, CollectionStore
from papertide.store.papers.store import PaperStore, StoredPaper

DEFAULT_NAME = "Saved"
MAX_NAME_CHARS = 100
MAX_NOTE_CHARS = 5000
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class Order(StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"


@dataclass(frozen=True, slots=True)
class SavedPaper:
    paper: StoredPaper
    added_at: datetime
    note: str


@dataclass(frozen=True, slots=True)
class CollectionPage:
    """Part of a collection in the order saved; ``next_cursor`` continues it (None on the last part)."""

    collection: Collection
    papers: list[SavedPaper]
    order: Order
    next_cursor: str | None


def clean_name(name: str) -> str:
    """A collection name as stored: whitespace folded, no control characters, 1 to 100 characters."""
    cleaned = " ".join("".join(ch for ch in name if unicodedata.category(ch)[0] != "C").split())
    if not 1 <= len(cleaned) <= MAX_NAME_CHARS:
        raise InvalidInput(f"a collection name needs 1 to {MAX_NAME_CHARS} characters, got {len(cleaned)}")
    return cleaned


def clean_note(note: str) -> str:
    note = note.replace("\r\n", "\n").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"a note may have at most {MAX_NOTE_CHARS} characters, this one has {len(note)}")
    return note


class Collections:
    def __init__(self, store: CollectionStore, papers: PaperStore) -> None:
        self._store = store
        self._papers = papers

    # -- which collections -------------------------------------------------------------------

    def mine(self, user: User) -> list[Collection]:
        """The reader's collections, default first; empty until the first save or named collection."""
        return self._store.of_user(user.pk)

    def default(self, user: User) -> Collection:
        """The reader's "Saved" collection, created now if this is the first time it is needed."""
        return self._store.ensure_default(user.pk, DEFAULT_NAME)

    def owned(self, user: User, public_id: str) -> Collection:
        """The reader's own collection ``public_id``; anyone else's, or none, is NotFound."""
        found = self._store.by_public_id(public_id)
        if found is None or found.user_pk != user.pk:
            raise NotFound(_missing(public_id))
        return found

    def visible(self, user: User | None, public_id: str) -> Collection:
        """A collection the caller may read: a public one, or their own."""
        found = self._store.by_public_id(public_id)
        if found is None or not (found.is_public or (user is not None and found.user_pk == user.pk)):
            raise NotFound(_missing(public_id))
        return found

    def target(self, user: User, public_id: str | None) -> Collection:
        """Where a save goes: the named collection of the reader's, or (None or empty) the default."""
        return self.owned(user, public_id) if public_id else self.default(user)

    # -- changing collections ----------------------------------------------------------------

    def create(self, user: User, name: str, *, public: bool = False) -> Collection:
        """A new named collection; Conflict if the reader already has one of that name."""
        name = clean_name(name)
        self.default(user)  # the default exists before any other, so it can always be called "Saved"
        return self._store.create(user.pk, name, is_public=public)

    def update(self, user: User, public_id: str, *, name: str | None = None, public: bool | None = None) -> Collection:
        collection = self.owned(user, public_id)
        self._store.update(collection.pk, name=clean_name(name) if name is not None else None, is_public=public)
        return self.owned(user, public_id)

    def delete(self, user: User, public_id: str) -> Collection:
        collection = self.owned(user, public_id)
        if collection.is_default:
            raise Conflict(
                f"{collection.name!r} is where saved papers go and cannot be deleted; remove its papers instead"
            )
        self._store.delete(collection.pk)
        return collection

    # -- saved papers ------------------------------------------------------------------------

    def save(self, user: User, paper: StoredPaper, public_id: str | None = None, note: str = "") -> Collection:
        """Save ``paper`` into the reader's collection ``public_id`` (default: "Saved"); saving twice keeps one."""
        collection = self.target(user, public_id)
        self._store.add(collection.pk, [paper.pk], clean_note(note))
        return collection

    def add_many(self, collection: Collection, paper_pks: list[int]) -> int:
        """Save many papers in one transaction (an import); returns how many were new to the collection."""
        return self._store.add(collection.pk, paper_pks)

    def remove(self, user: User, public_id: str, paper: StoredPaper) -> Collection:
        collection = self.owned(user, public_id)
        self._store.remove(collection.pk, paper.pk)
        return collection

    def set_note(self, user: User, public_id: str, paper: StoredPaper, note: str) -> None:
        collection = self.owned(user, public_id)
        if not self._store.set_note(collection.pk, paper.pk, clean_note(note)):
            raise NotFound(f"{paper.paper_id} is not in the collection {collection.name!r}")

    def page(
        self, collection: Collection, order: Order = Order.NEWEST, cursor: str | None = None, limit: int = PAGE_SIZE
    ) -> CollectionPage:
        """The collection's papers in the order saved, ``limit`` at a time."""
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE_SIZE}, got {limit}")
        after = decode_cursor(cursor) if cursor else None
        items = self._store.items(collection.pk, newest_first=order is Order.NEWEST, after=after, limit=limit + 1)
        shown = items[:limit]
        by_pk = {paper.pk: paper for paper in self._papers.get_many([item.paper_pk for item in shown])}
        saved = [SavedPaper(by_pk[i.paper_pk], i.added_at, i.note) for i in shown if i.paper_pk in by_pk]
        next_cursor = encode_cursor(shown[-1].added_at, shown[-1].paper_pk) if len(items) > limit else None
        return CollectionPage(collection, saved, order, next_cursor)

    def all_papers(self, collection: Collection, order: Order = Order.NEWEST) -> CollectionPage:
        """Every paper of the collection (an export), read a page at a time."""
        saved: list[SavedPaper] = []
        cursor = None
        while True:
            page = self.page(collection, order, cursor, MAX_PAGE_SIZE)
            saved += page.papers
            if page.next_cursor is None:
                return CollectionPage(collection, saved, order, None)
            cursor = page.next_cursor

    def public_papers(self, public_id: str, limit: int = PAGE_SIZE) -> CollectionPage:
        """The most recently saved papers of a public collection (what its feed lists); NotFound otherwise."""
        return self.page(self.visible(None, public_id), Order.NEWEST, limit=limit)

    def saved_pks(self, user: User) -> list[int]:
        """Every paper the reader saved anywhere, most recent first."""
        return self._store.saved_pks(user.pk)

    def memberships(self, user: User, limit: int | None = None, among: list[int] | None = None) -> dict[int, set[str]]:
        """Paper key -> the public ids of the reader's collections holding it: all of them (up to ``limit``
        entries read), or those of the papers ``among``.
        """
        rows = (
            self._store.memberships(user.pk, limit) if among is None else self._store.memberships_among(user.pk, among)
        )
        found: dict[int, set[str]] = {}
        for paper_pk, public_id in rows:
            found.setdefault(paper_pk, set()).add(public_id)
        return found


def _missing(public_id: str) -> str:
    return f"there is no collection {public_id!r}, or it is private"
