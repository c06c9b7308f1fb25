"""The spellings of author names the library holds, kept by every paper write (and migration 0014)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Table, insert, select

from papertide.author_names import initials_key, is_abbreviated, name_key
from papertide.model import MAX_AUTHOR_LENGTH
from papertide.store.db.base import TableStore
from papertide.store.db.schema import author_names

# Keys looked up per query: well under SQLite's and PostgreSQL's limits on bound parameters.
_CHUNK = 1000


def add_author_names(conn: Connection, names: Iterable[str], table: Table = author_names) -> None:
    """Record the keys of ``names`` not recorded yet.

    Paper writes call this under their change-sequence lock, so no two writers add the same key at once.
    """
    # A key longer than any stored name (NFKD expands some characters) would not fit its column.
    keys = sorted({key for key in map(name_key, names) if key and len(key) <= MAX_AUTHOR_LENGTH})
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        known = set(conn.execute(select(table.c.name_key).where(table.c.name_key.in_(chunk))).scalars())
        rows = [
            {"name_key": key, "initials_key": None if is_abbreviated(key) or " " not in key else initials_key(key)}
            for key in chunk
            if key not in known
        ]
        if rows:
            conn.execute(insert(table), rows)


class AuthorNameStore(TableStore):
    """Reads the spellings: which full names share initials."""

    def full_names(self, initials: str, limit: int = 2) -> list[str]:
        """Up to ``limit`` unabbreviated keys whose initials form is ``initials`` (two tell it is ambiguous)."""
        query = select(author_names.c.name_key).where(author_names.c.initials_key == initials).limit(limit)
        with self._reading() as conn:
            return list(conn.execute(query).scalars())
