"""Finding stored papers by what a reference names: arXiv id, DOI, title key (all indexed).

Lookups go in chunks, so an import of thousands of references costs a few indexed queries,
whatever the size of the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import ColumnElement, select

from papertide.store.db.base import TableStore
from papertide.store.db.schema import papers

_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class PaperKeyStore(TableStore):
    def by_paper_id(self, paper_ids: Iterable[str]) -> dict[str, int]:
        """Store keys by public id (an arXiv id without version), for the ids stored."""
        return {key: pks[0] for key, pks in self._lookup(papers.c.paper_id, paper_ids).items()}

    def by_doi(self, doi_keys: Iterable[str]) -> dict[str, list[int]]:
        """Store keys by lower-cased DOI (a DOI can, rarely, be given to two records)."""
        return self._lookup(papers.c.doi_key, doi_keys)

    def by_title(self, title_keys: Iterable[str]) -> dict[str, list[int]]:
        """Store keys by :func:`~papertide.text.title_key`; several papers may share a title."""
        return self._lookup(papers.c.title_key, title_keys)

    def identities(self, pks: Iterable[int]) -> dict[int, tuple[str, str]]:
        """(public id, display title) by store key: enough to name and link the papers an import found."""
        wanted = sorted(set(pks))
        found: dict[int, tuple[str, str]] = {}
        with self._reading() as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = select(papers.c.pk, papers.c.paper_id, papers.c.title)
                for pk, paper_id, title in conn.execute(query.where(papers.c.pk.in_(wanted[start : start + _CHUNK]))):
                    found[pk] = (paper_id, title)
        return found

    def _lookup(self, column: ColumnElement, keys: Iterable[str]) -> dict[str, list[int]]:
        wanted = sorted({key for key in keys if key})
        found: dict[str, list[int]] = {}
        with self._reading() as conn:
            for chunk in _chunks(wanted):
                query = select(column, papers.c.pk).where(column.in_(chunk)).order_by(papers.c.pk)
                for key, pk in conn.execute(query):
                    found.setdefault(key, []).append(pk)
        return found
