"""Writing a classified batch of paper rows: the one dialect-specific step of an ingest batch.

:class:`~papertide.store.papers.store.PaperStore` decides, under its change-sequence lock, which papers
are new, which changed and which stay as they are; a writer only puts those rows in the database.
SQLite takes them by executemany. PostgreSQL takes them by COPY, which took its bulk load from
about 0.6x SQLite's rate to about 0.9x (bench/README.md): paper rows go into a temporary staging
table, then one INSERT ... SELECT adds the new ones and one UPDATE ... FROM changes the others;
categories and signals are copied straight into their tables.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import JSON, Column, Connection, MetaData, Table, func, insert, select, text, update

from papertide.errors import StoreError
from papertide.store.db.engine import dump_json
from papertide.store.db.schema import papers

# A batch's paper rows carry every column but these: created_at is set for new papers only, and
# listed_at follows the submission date, or else keeps what is stored (an update) or is now (new).
_WRITTEN = tuple(c.name for c in papers.columns if c.name not in ("pk", "created_at", "listed_at"))
# Where PostgreSQL's COPY puts them first: the stored pk of a changed paper, none for a new one.
_STAGED = Table("paper_rows", MetaData(), *(Column(n, papers.c[n].type) for n in ("pk", *_WRITTEN)))
_CREATE_STAGING = text(
    f"CREATE TEMPORARY TABLE {_STAGED.name} ON COMMIT DROP AS "
    f"SELECT {', '.join(_STAGED.columns.keys())} FROM {papers.name} WITH NO DATA"
)


class PaperWriter:
    """Executemany: every dialect can; SQLite needs nothing faster (a local file, no round trips)."""

    def add(self, conn: Connection, table: Table, rows: list[dict]) -> None:
        """Insert ``rows`` (all of one shape) into ``table``."""
        if rows:
            conn.execute(insert(table), rows)

    def write_papers(self, conn: Connection, new: list[dict], changed: list[tuple[int, dict]]) -> dict[str, int]:
        """Insert the ``new`` paper rows and apply ``changed`` (pk, values); return the new papers' pks by id."""
        pks: dict[str, int] = {}
        if new:
            # A plain executemany and one lookup of the new keys beats RETURNING row by row.
            conn.execute(insert(papers), new)
            ids = [row["paper_id"] for row in new]
            found = conn.execute(select(papers.c.paper_id, papers.c.pk).where(papers.c.paper_id.in_(ids)))
            pks.update((paper_id, pk) for paper_id, pk in found)
        for pk, values in changed:
            conn.execute(update(papers).where(papers.c.pk == pk).values(values))
        return pks


class CopyPaperWriter(PaperWriter):
    """PostgreSQL's COPY (psycopg 3), through a staging table for the paper rows themselves.

    New and changed papers are told apart by the caller (it read the stored rows under the
    lock), so the staging table carries the stored ``pk`` of a changed paper and none for a new
    one. An ``INSERT ... ON CONFLICT DO UPDATE`` would also work, but it draws a sequence number
    for every updated row too: keys would get gaps that the SQLite store does not have.
    """

    def add(self, conn: Connection, table: Table, rows: list[dict]) -> None:
        if rows:
            _copy(conn, table, rows)

    def write_papers(self, conn: Connection, new: list[dict], changed: list[tuple[int, dict]]) -> dict[str, int]:
        staged, written = _STAGED.c, _WRITTEN
        conn.execute(_CREATE_STAGING)
        _copy(conn, _STAGED, [*({**row, "pk": None} for row in new), *({**row, "pk": pk} for pk, row in changed)])
        pks: dict[str, int] = {}
        if new:
            created = staged.modified_at.label("created_at")
            listed = func.coalesce(staged.submitted_at, staged.modified_at).label("listed_at")
            adding = select(*(staged[n] for n in written), created, listed).where(staged.pk.is_(None))
            adding = adding.order_by(staged.change_seq)  # keys are handed out in change order, as in SQLite
            statement = insert(papers).from_select([*written, "created_at", "listed_at"], adding)
            added = conn.execute(statement.returning(papers.c.paper_id, papers.c.pk))
            pks.update((paper_id, pk) for paper_id, pk in added)
        if changed:
            values = {name: staged[name] for name in written}
            values["listed_at"] = func.coalesce(staged.submitted_at, papers.c.listed_at)
            conn.execute(update(papers).where(papers.c.pk == staged.pk).values(values))
        return pks


def _copy(conn: Connection, table: Table, rows: list[dict]) -> None:
    """COPY ``rows`` into ``table`` within the connection's transaction; JSON columns go as JSON text."""
    names = table.columns.keys()
    as_json = {c.name for c in table.columns if isinstance(c.type, JSON)}
    statement = f"COPY {table.name} ({', '.join(names)}) FROM STDIN"
    try:
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([dump_json(row[n]) if n in as_json else row[n] for n in names])
    except psycopg.Error as exc:
        raise StoreError(f"could not copy {len(rows)} rows into {table.name}: {exc.__class__.__name__}: {exc}") from exc


_WRITERS = {"postgresql": CopyPaperWriter()}
_DEFAULT = PaperWriter()


def paper_writer(conn: Connection) -> PaperWriter:
    """The writer for ``conn``'s database."""
    return _WRITERS.get(conn.dialect.name, _DEFAULT)
