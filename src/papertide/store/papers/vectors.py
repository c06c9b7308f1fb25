"""Embeddings kept in the database: claimed, computed once, read by every node.

On PostgreSQL a deployment embeds each paper once: any number of worker processes, on any number
of machines, claim batches of papers whose vector is missing or older than the paper with
``FOR UPDATE SKIP LOCKED``, so no two embed the same paper, and write the vectors back in the
same transaction. A worker that dies mid-batch rolls back and releases its claim. Web nodes read
the vectors to build their local index (see :mod:`papertide.search.upkeep.embedding_job`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import Connection, Engine, bindparam, case, func, or_, select

from papertide.store.db.base import Clock, TableStore, system_clock, upsert, utc
from papertide.store.db.schema import paper_vectors, papers
from papertide.store.db.vector_column import vector_bytes, vector_from_bytes

_SIGN = 1 << 63
# A stored vector checked before the paper's last change: its text may have changed since.
_OLDER_THAN_PAPER = paper_vectors.c.paper_seq < papers.c.change_seq


def signed_digest(digest: int) -> int:
    """A 64-bit unsigned digest as the signed integer a BIGINT column holds."""
    return digest - (1 << 64) if digest >= _SIGN else digest


def unsigned_digest(digest: int) -> int:
    """The 64-bit unsigned digest a BIGINT column's signed value stands for."""
    return digest + (1 << 64) if digest < 0 else digest


@dataclass(frozen=True, slots=True)
class PendingPaper:
    pk: int
    change_seq: int
    title: str
    abstract: str
    stored_digest: int | None  # of the text last embedded, if any (signed)


@dataclass(frozen=True, slots=True)
class StoredVector:
    text_digest: int  # signed
    vector: np.ndarray


@dataclass(frozen=True, slots=True)
class ChangedPaper:
    """A paper changed after some change number, with what a node's vector index needs of it."""

    pk: int
    change_seq: int
    submitted: datetime | None
    categories: list[str]
    stored: StoredVector | None  # the vector of ``model``, if one was stored
    text: tuple[str, str] | None  # (title, abstract): only where the vector was stored before the paper changed


class Claim:
    """Papers claimed for embedding, inside the transaction that holds them."""

    def __init__(self, conn: Connection, model: str, pending: list[PendingPaper], now) -> None:
        self._conn = conn
        self.model = model
        self.papers = pending
        self._now = now

    def save(self, results: Sequence[tuple[PendingPaper, int, np.ndarray | None]]) -> None:
        """Record ``(paper, text digest, vector)``; a None vector keeps the stored one (same text)."""
        fresh = [
            {"paper_pk": p.pk, "model": self.model, "paper_seq": p.change_seq, "text_digest": d, "vector": v,
             "embedded_at": self._now}
            for p, d, v in results if v is not None
        ]  # fmt: skip
        upsert(self._conn, paper_vectors, fresh, ["paper_pk", "model"])
        kept = [{"pk": p.pk, "seq": p.change_seq} for p, _, v in results if v is None]
        if kept:
            self._conn.execute(
                paper_vectors.update()
                .where(paper_vectors.c.paper_pk == bindparam("pk"), paper_vectors.c.model == self.model)
                .values(paper_seq=bindparam("seq")),
                kept,
            )


class PaperVectorStore(TableStore):
    """The ``paper_vectors`` table.

    A store remembers, per model, the change number its last claim reached and starts its next
    search for pending papers there: walking from the first change over a million papers already
    embedded took the database longer than embedding a batch (bench/postgres_scale.py). Papers
    behind that mark, released by a worker that died or skipped while another held them, are
    found when the search from the mark comes back empty and starts again from the first change.
    """

    def __init__(self, engine: Engine, clock: Clock = system_clock) -> None:
        super().__init__(engine, clock)
        self._reached: dict[str, int] = {}  # model -> change_seq of the last paper claimed

    def _pending(self, model: str):
        return (
            select(papers.c.pk, papers.c.change_seq, papers.c.title, papers.c.abstract, paper_vectors.c.text_digest)
            .outerjoin(paper_vectors, (paper_vectors.c.paper_pk == papers.c.pk) & (paper_vectors.c.model == model))
            .where(or_(paper_vectors.c.paper_pk.is_(None), _OLDER_THAN_PAPER))
        )

    @contextmanager
    def claim(self, model: str, limit: int) -> Iterator[Claim]:
        """Up to ``limit`` papers needing a vector of ``model``, in change order from where this store's last
        claim reached, held until the block ends.

        PostgreSQL skips papers another transaction holds; SQLite admits one writer at a time,
        so there a second process waits (or fails busy) rather than claiming the same papers.
        """
        with self._writing() as conn:
            reached = self._reached.get(model, 0)
            pending = self._lock_pending(conn, model, limit, reached)
            if not pending and reached:  # nothing past the mark: look behind it once before saying none is left
                pending = self._lock_pending(conn, model, limit, 0)
            self._reached[model] = pending[-1].change_seq if pending else 0
            yield Claim(conn, model, pending, self.now())

    def _lock_pending(self, conn: Connection, model: str, limit: int, after_seq: int) -> list[PendingPaper]:
        """Lock up to ``limit`` pending papers after ``after_seq``, those still pending once locked.

        The statement that locks reads the vectors as they were when it started: a paper another
        worker embedded and committed meanwhile is locked as pending (measured at 1M: two workers
        embedded 7,552 papers for 4,000). Read again once the locks are held, it is not.
        """
        while True:
            query = self._pending(model).where(papers.c.change_seq > after_seq).order_by(papers.c.change_seq)
            query = query.limit(limit)
            if conn.dialect.name != "postgresql":  # one writer at a time: what it reads stays true
                return [PendingPaper(*row) for row in conn.execute(query)]
            locked = [PendingPaper(*row) for row in conn.execute(query.with_for_update(of=papers, skip_locked=True))]
            if not locked:
                return []
            still = self._still_pending(conn, model, [paper.pk for paper in locked])
            if still:
                return [paper for paper in locked if paper.pk in still]
            after_seq = locked[-1].change_seq  # all done by others meanwhile: look further on

    def _still_pending(self, conn: Connection, model: str, pks: list[int]) -> set[int]:
        return set(conn.execute(select(self._pending(model).where(papers.c.pk.in_(pks)).subquery().c.pk)).scalars())

    def count_pending(self, model: str) -> int:
        with self._reading() as conn:
            return conn.execute(select(func.count()).select_from(self._pending(model).subquery())).scalar_one()

    def changed_since(self, model: str, after_seq: int, limit: int) -> list[ChangedPaper]:
        """Up to ``limit`` papers changed after ``after_seq``, in change order, with their vectors of ``model``.

        One join in change order: fetching the vectors of a batch by key instead (``IN`` with
        4,096 keys) took PostgreSQL about a second at 1M papers, walking every vector of the model.
        A vector is current when no change came after the one it was checked at; the paper's text
        comes back only where it is not, for the caller to compare with the digest it was made from.
        """
        columns = [papers.c.pk, papers.c.change_seq, papers.c.submitted_at, papers.c.categories]
        columns += [paper_vectors.c.text_digest, vector_bytes(paper_vectors.c.vector)]
        # NULL without a vector, so no text then either
        columns += [case((_OLDER_THAN_PAPER, papers.c.title)), case((_OLDER_THAN_PAPER, papers.c.abstract))]
        query = (
            select(*columns)
            .outerjoin(paper_vectors, (paper_vectors.c.paper_pk == papers.c.pk) & (paper_vectors.c.model == model))
            .where(papers.c.change_seq > after_seq)
            .order_by(papers.c.change_seq)
            .limit(limit)
        )
        with self._reading() as conn:
            return [_changed_paper(row, conn.dialect.name) for row in conn.execute(query)]


def _changed_paper(row, dialect: str) -> ChangedPaper:
    pk, change_seq, submitted, categories, digest, raw, title, abstract = row
    stored = None if raw is None else StoredVector(digest, vector_from_bytes(raw, dialect))
    text = None if title is None else (title, abstract)
    return ChangedPaper(pk, change_seq, utc(submitted), list(categories), stored, text)
