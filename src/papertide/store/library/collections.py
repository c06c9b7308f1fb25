"""Collections of saved papers in the database: who owns them, what they hold, notes, order saved.

Adding a paper inserts a row and ignores one that is there, so saving twice (two tabs, a retried
request, an import of papers already saved) keeps one entry with its first date and note.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from papertide.errors import Conflict, StoreError
from papertide.store.db.base import TableStore, insert_ignoring_duplicates, utc
from papertide.store.db.schema import collection_items, collections

_SIZE = (
    select(func.count())
    .select_from(collection_items)
    .where(collection_items.c.collection_pk == collections.c.pk)
    .scalar_subquery()
    .label("size")
)


@dataclass(frozen=True, slots=True)
class Collection:
    pk: int
    user_pk: int
    public_id: str  # random and stable: the collection's URL
    name: str
    is_default: bool
    is_public: bool
    created_at: datetime
    updated_at: datetime
    size: int  # how many papers it holds


@dataclass(frozen=True, slots=True)
class Item:
    """A paper in a collection: its store key, when it was saved there, and the owner's note."""

    paper_pk: int
    added_at: datetime
    note: str


def _collection(row) -> Collection:
    return Collection(
        pk=row.pk,
        user_pk=row.user_pk,
        public_id=row.public_id,
        name=row.name,
        is_default=row.is_default,
        is_public=row.is_public,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        size=row.size,
    )


@contextmanager
def _unique_name(name: str) -> Iterator[None]:
    """Turn a violation of the unique (user, name) key into a :class:`Conflict` naming the name."""
    try:
        yield
    except StoreError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            raise Conflict(f"you already have a collection named {name!r}; choose another name") from exc
        raise


def new_public_id() -> str:
    """72 random bits, URL-safe: unguessable, so a private collection's address reveals nothing."""
    return secrets.token_urlsafe(9)


class CollectionStore(TableStore):
    # -- collections ---------------------------------------------------------------------------

    def of_user(self, user_pk: int) -> list[Collection]:
        """The user's collections, the default first, then by name."""
        query = (
            select(collections, _SIZE)
            .where(collections.c.user_pk == user_pk)
            .order_by(collections.c.is_default.desc(), func.lower(collections.c.name), collections.c.pk)
        )
        with self._reading() as conn:
            return [_collection(row) for row in conn.execute(query)]

    def by_public_id(self, public_id: str) -> Collection | None:
        with self._reading() as conn:
            row = conn.execute(select(collections, _SIZE).where(collections.c.public_id == public_id)).one_or_none()
        return _collection(row) if row else None

    def default_of(self, user_pk: int) -> Collection | None:
        condition = (collections.c.user_pk == user_pk) & collections.c.is_default
        with self._reading() as conn:
            row = conn.execute(select(collections, _SIZE).where(condition)).one_or_none()
        return _collection(row) if row else None

    def ensure_default(self, user_pk: int, name: str) -> Collection:
        """The user's default collection, created as ``name`` on first need (once, however many ask at once)."""
        existing = self.default_of(user_pk)
        if existing:
            return existing
        row = self._new_row(user_pk, name, True, False)
        with self._writing() as conn:  # two first saves at once: the unique (user, name) key lets one through
            conn.execute(insert_ignoring_duplicates(conn, collections).values(row))
        created = self.default_of(user_pk)
        if created is None:
            raise StoreError(f"user {user_pk} has a collection named {name!r} that is not the default")
        return created

    def create(self, user_pk: int, name: str, *, is_public: bool = False) -> Collection:
        """A new named collection; :class:`Conflict` if the user already has one of that name."""
        row = self._new_row(user_pk, name, False, is_public)
        with _unique_name(name), self._writing() as conn:
            conn.execute(insert(collections).values(row))
        created = self.by_public_id(row["public_id"])
        assert created is not None
        return created

    def update(self, pk: int, *, name: str | None = None, is_public: bool | None = None) -> None:
        values: dict = {"updated_at": self._clock()}
        if name is not None:
            values["name"] = name
        if is_public is not None:
            values["is_public"] = is_public
        with _unique_name(name or ""), self._writing() as conn:
            conn.execute(update(collections).where(collections.c.pk == pk).values(values))

    def delete(self, pk: int) -> None:
        """Remove the collection and, by cascade, its entries (the papers stay in the library)."""
        with self._writing() as conn:
            conn.execute(delete(collections).where(collections.c.pk == pk))

    def _new_row(self, user_pk: int, name: str, is_default: bool, is_public: bool) -> dict:
        now = self._clock()
        return {
            "user_pk": user_pk,
            "public_id": new_public_id(),
            "name": name,
            "is_default": is_default,
            "is_public": is_public,
            "created_at": now,
            "updated_at": now,
        }

    # -- entries -------------------------------------------------------------------------------

    def add(self, collection_pk: int, paper_pks: Sequence[int], note: str = "") -> int:
        """Save papers into the collection in one transaction; returns how many were not there yet."""
        if not paper_pks:
            return 0
        now = self._clock()
        rows = [{"collection_pk": collection_pk, "paper_pk": pk, "added_at": now, "note": note} for pk in paper_pks]
        with self._writing() as conn:
            # Writing first: a transaction that read before writing could find its snapshot stale
            # under a concurrent writer (SQLite's WAL answers that with an immediate "busy").
            statement = insert_ignoring_duplicates(conn, collection_items).returning(collection_items.c.paper_pk)
            added = len(conn.execute(statement, rows).all())
            if added:
                self._touch(conn, collection_pk)
        return added

    def remove(self, collection_pk: int, paper_pk: int) -> bool:
        with self._writing() as conn:
            removed = conn.execute(delete(collection_items).where(self._entry(collection_pk, paper_pk))).rowcount > 0
            if removed:
                self._touch(conn, collection_pk)
        return removed

    def set_note(self, collection_pk: int, paper_pk: int, note: str) -> bool:
        """Replace the note of a saved paper; False if the paper is not in the collection."""
        with self._writing() as conn:
            statement = update(collection_items).where(self._entry(collection_pk, paper_pk)).values(note=note)
            changed = conn.execute(statement).rowcount > 0
            if changed:
                self._touch(conn, collection_pk)
        return changed

    def item(self, collection_pk: int, paper_pk: int) -> Item | None:
        with self._reading() as conn:
            row = conn.execute(select(collection_items).where(self._entry(collection_pk, paper_pk))).one_or_none()
        return Item(row.paper_pk, utc(row.added_at), row.note) if row else None

    def items(
        self,
        collection_pk: int,
        *,
        newest_first: bool = True,
        after: tuple[datetime, int] | None = None,
        limit: int = 50,
    ) -> list[Item]:
        """Entries in the order saved, keyset-paginated: ``after`` is the (added_at, paper_pk) of the last one seen."""
        order = (collection_items.c.added_at, collection_items.c.paper_pk)
        conditions = [collection_items.c.collection_pk == collection_pk]
        if after is not None:
            key = tuple_(*order)
            conditions.append(key < tuple_(*after) if newest_first else key > tuple_(*after))
        query = (
            select(collection_items)
            .where(*conditions)
            .order_by(*(column.desc() if newest_first else column.asc() for column in order))
            .limit(limit)
        )
        with self._reading() as conn:
            return [Item(row.paper_pk, utc(row.added_at), row.note) for row in conn.execute(query)]

    def memberships(self, user_pk: int, limit: int | None = None) -> list[tuple[int, str]]:
        """(paper key, collection public id) of what the user saved (up to ``limit``, in no order): which save
        buttons a page shows pressed. Covering index scans only, never the papers table.
        """
        query = (
            select(collection_items.c.paper_pk, collections.c.public_id)
            .join(collections, collections.c.pk == collection_items.c.collection_pk)
            .where(collections.c.user_pk == user_pk)
            .limit(limit)
        )
        with self._reading() as conn:
            return [(row.paper_pk, row.public_id) for row in conn.execute(query)]

    def memberships_among(self, user_pk: int, paper_pks: Sequence[int]) -> list[tuple[int, str]]:
        """:meth:`memberships` restricted to ``paper_pks`` (the papers a page shows)."""
        if not paper_pks:
            return []
        query = (
            select(collection_items.c.paper_pk, collections.c.public_id)
            .join(collections, collections.c.pk == collection_items.c.collection_pk)
            .where(collections.c.user_pk == user_pk, collection_items.c.paper_pk.in_(list(paper_pks)))
        )
        with self._reading() as conn:
            return [(row.paper_pk, row.public_id) for row in conn.execute(query)]

    def saved_pks(self, user_pk: int) -> list[int]:
        """Every paper the user saved in any collection, most recently saved first, each once."""
        query = (
            select(collection_items.c.paper_pk, func.max(collection_items.c.added_at).label("last"))
            .join(collections, collections.c.pk == collection_items.c.collection_pk)
            .where(collections.c.user_pk == user_pk)
            .group_by(collection_items.c.paper_pk)
            .order_by(func.max(collection_items.c.added_at).desc(), collection_items.c.paper_pk.desc())
        )
        with self._reading() as conn:
            return list(conn.execute(query).scalars())

    @staticmethod
    def _entry(collection_pk: int, paper_pk: int):
        return and_(collection_items.c.collection_pk == collection_pk, collection_items.c.paper_pk == paper_pk)

    def _touch(self, conn: Connection, collection_pk: int) -> None:
        conn.execute(update(collections).where(collections.c.pk == collection_pk).values(updated_at=self._clock()))
