"""Trending's tables: the change log the triggers fill, attention per paper and window, refresh state.

The rows are derived state (see :mod:`papertide.trending`): everything here can be rebuilt from
votes, users, paper_signals and papers. Times cross this border as POSIX seconds for the
arithmetic above it, except the refresh's own ``as_of``.

A refresh writes with compare-and-set on ``trending_state.generation`` (:meth:`TrendingStore.commit`):
of two processes refreshing at once one wins and the other's work is dropped, never merged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from papertide.store.db.base import TableStore, utc
from papertide.store.db.schema import (
    TRENDING_PARTS,
    TRENDING_WINDOWS,
    paper_categories,
    paper_signals,
    papers,
    trending_changes,
    trending_papers,
    trending_removed,
    trending_state,
    users,
    votes,
)

CHUNK = 5000  # keys per IN (...) list, well under SQLite's 32766 parameters
NEVER = datetime(1970, 1, 1, tzinfo=UTC)
ACTIVITY_COLUMNS = tuple(f"{window}_{part}" for window in TRENDING_WINDOWS for part, _, _ in TRENDING_PARTS)
_EPOCH_NAIVE = datetime(1970, 1, 1)
_KEYS = bindparam("keys", expanding=True)


def seconds(moment: datetime) -> float:
    """POSIX seconds of a stored time (SQLite gives naive UTC back)."""
    return (moment - _EPOCH_NAIVE).total_seconds() if moment.tzinfo is None else moment.timestamp()


def moment(posix_s: float) -> datetime:
    return datetime.fromtimestamp(posix_s, UTC)


@dataclass(frozen=True, slots=True)
class TrendingState:
    generation: int  # 0: never refreshed
    as_of: datetime
    papers_seq: int
    purged_generation: int
    vote_rules: str


@dataclass(frozen=True, slots=True)
class AttentionRow:
    """One paper's row as a refresh writes it: its listing time and the values of :data:`ACTIVITY_COLUMNS`."""

    paper_pk: int
    listed_at: float
    values: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class RowsRead:
    """What a reader needs to catch up, as columns: rows written and papers removed after its generation."""

    state: TrendingState
    pks: np.ndarray  # int64, one per row
    generations: np.ndarray  # int64
    listed: np.ndarray  # float64, POSIX seconds
    values: np.ndarray  # float64, one row of ACTIVITY_COLUMNS per paper
    categories: dict[int, list[str]]
    removed: list[tuple[int, int]]  # (paper_pk, generation)
    complete: bool  # the rows are every row: start over from them


_VOTES_OF = (
    select(votes.c.paper_pk, votes.c.user_pk, votes.c.created_at, users.c.created_at.label("account_created_at"))
    .join(users, users.c.pk == votes.c.user_pk)
    .where(votes.c.paper_pk.in_(_KEYS), votes.c.created_at > bindparam("since"))
)
_SIGNALS_OF = (
    select(paper_signals.c.paper_pk, paper_signals.c.name, paper_signals.c.observed_at, paper_signals.c.value)
    .where(paper_signals.c.paper_pk.in_(_KEYS), paper_signals.c.name.in_(bindparam("names", expanding=True)))
    .order_by(paper_signals.c.paper_pk, paper_signals.c.name, paper_signals.c.observed_at)
)
_LISTED_OF = select(papers.c.pk, papers.c.listed_at).where(papers.c.pk.in_(_KEYS))
_ROW_COLUMNS = (
    trending_papers.c.paper_pk,
    trending_papers.c.generation,
    trending_papers.c.listed_at,
    *(trending_papers.c[name] for name in ACTIVITY_COLUMNS),
)


def chunks(keys: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for key in keys:
        batch.append(key)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class TrendingStore(TableStore):
    """Reads for computing attention, the compare-and-set write of a refresh, and reads for catching up."""

    # -- state and the change log ------------------------------------------------------------

    def state(self) -> TrendingState:
        """The refresh state; generation 0 (and as_of 1970) until the first refresh."""
        with self._reading() as conn:
            row = conn.execute(select(trending_state).where(trending_state.c.id == 1)).one_or_none()
        if row is None:
            return TrendingState(0, NEVER, 0, 0, "")
        return TrendingState(row.generation, utc(row.as_of), row.papers_seq, row.purged_generation, row.vote_rules)

    def changes(self, limit: int) -> list[tuple[int, int]]:
        """Up to ``limit`` entries (seq, paper_pk) of the change log, oldest first."""
        query = select(trending_changes.c.seq, trending_changes.c.paper_pk).order_by(trending_changes.c.seq)
        with self._reading() as conn:
            return [tuple(row) for row in conn.execute(query.limit(limit))]

    def last_change(self) -> int:
        with self._reading() as conn:
            return conn.execute(select(func.coalesce(func.max(trending_changes.c.seq), 0))).scalar_one()

    def papers_seq(self) -> int:
        with self._reading() as conn:
            return conn.execute(select(func.coalesce(func.max(papers.c.change_seq), 0))).scalar_one()

    # -- what changed with time -----------------------------------------------------------------

    def voted_papers(self, after: datetime, until: datetime | None = None) -> set[int]:
        """Papers with a vote cast in (after, until]."""
        condition = votes.c.created_at > after
        if until is not None:
            condition &= votes.c.created_at <= until
        with self._reading() as conn:
            return set(conn.execute(select(votes.c.paper_pk).where(condition).distinct()).scalars())

    def observed_papers(self, names: Sequence[str], after: datetime, until: datetime | None = None) -> set[int]:
        """Papers with an observation of one of the signals ``names`` in (after, until]."""
        condition = (paper_signals.c.observed_at > after) & paper_signals.c.name.in_(names)
        if until is not None:
            condition &= paper_signals.c.observed_at <= until
        with self._reading() as conn:
            return set(conn.execute(select(paper_signals.c.paper_pk).where(condition).distinct()).scalars())

    def rows_listed(self, after: datetime, until: datetime) -> set[int]:
        """Papers with a row that were listed in (after, until]: they stop being new in some window."""
        condition = (trending_papers.c.listed_at > after) & (trending_papers.c.listed_at <= until)
        with self._reading() as conn:
            return set(conn.execute(select(trending_papers.c.paper_pk).where(condition)).scalars())

    def rows_changed(self, after_seq: int) -> set[int]:
        """Papers with a row whose record changed (categories, dates) after papers' ``after_seq``."""
        query = (
            select(papers.c.pk)
            .join(trending_papers, trending_papers.c.paper_pk == papers.c.pk)
            .where(papers.c.change_seq > after_seq)
        )
        with self._reading() as conn:
            return set(conn.execute(query).scalars())

    # -- what attention is computed from --------------------------------------------------------

    def votes_of(self, pks: Sequence[int], since: datetime) -> dict[int, list[tuple[float, float]]]:
        """Votes cast after ``since`` on each paper: (cast at, account created at), in casting order."""
        found: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
        with self._reading() as conn:
            for chunk in chunks(pks):
                for paper_pk, user_pk, cast_at, created_at in conn.execute(_VOTES_OF, {"keys": chunk, "since": since}):
                    found[paper_pk].append((seconds(cast_at), seconds(created_at), user_pk))
        return _in_casting_order(found)

    def votes_since(self, since: datetime) -> dict[int, list[tuple[float, float]]]:
        """Every vote cast after ``since``, by paper, as :meth:`votes_of` gives them (a full rebuild)."""
        query = (
            select(votes.c.paper_pk, votes.c.user_pk, votes.c.created_at, users.c.created_at)
            .join(users, users.c.pk == votes.c.user_pk)
            .where(votes.c.created_at > since)
        )
        found: dict[int, list[tuple[float, float, int]]] = defaultdict(list)
        with self._reading() as conn:
            for paper_pk, user_pk, cast_at, created_at in conn.execute(query):
                found[paper_pk].append((seconds(cast_at), seconds(created_at), user_pk))
        return _in_casting_order(found)

    def signals_of(self, pks: Sequence[int], names: Sequence[str]) -> dict[int, dict[str, list[tuple[float, float]]]]:
        """Each paper's history of the signals ``names``: (observed at, value), oldest first."""
        found: dict[int, dict[str, list[tuple[float, float]]]] = defaultdict(lambda: defaultdict(list))
        with self._reading() as conn:
            for chunk in chunks(pks):
                for paper_pk, name, observed_at, value in conn.execute(_SIGNALS_OF, {"keys": chunk, "names": names}):
                    found[paper_pk][name].append((seconds(observed_at), value))
        return found

    def listed_at_of(self, pks: Sequence[int]) -> dict[int, float]:
        """When each paper was listed (submitted, else first stored); missing papers are left out."""
        with self._reading() as conn:
            return {
                pk: seconds(listed) for chunk in chunks(pks) for pk, listed in conn.execute(_LISTED_OF, {"keys": chunk})
            }

    # -- the refresh's write --------------------------------------------------------------------

    def commit(
        self,
        expected: TrendingState,
        *,
        as_of: datetime,
        papers_seq: int,
        vote_rules: str,
        rows: Sequence[AttentionRow],
        zero_pks: Iterable[int] = (),
        consumed: Sequence[int] = (),
        consumed_through: int | None = None,
        replace_all: bool = False,
        purge_before: datetime | None = None,
    ) -> tuple[int, int] | None:
        """Write one refresh if nobody refreshed since ``expected``: its generation and the change-log
        entries it consumed, or None if another process refreshed first (nothing is written then).

        ``rows`` replace those papers' rows; papers in ``zero_pks`` lose theirs (a removal readers can
        follow). The change-log entries ``consumed`` (or all through ``consumed_through``) are deleted.
        ``replace_all`` swaps the whole table, making every reader load it afresh; removals older
        than ``purge_before`` are forgotten, and readers that had not seen them load afresh too.
        """
        generation = expected.generation + 1
        values = {"generation": generation, "as_of": as_of, "papers_seq": papers_seq, "vote_rules": vote_rules}
        with self._writing() as conn:
            # The first statement writes: SQLite takes its write lock here, before anything is read.
            won = conn.execute(
                update(trending_state)
                .where(trending_state.c.id == 1, trending_state.c.generation == expected.generation)
                .values(values)
            ).rowcount
            if not won and (expected.generation != 0 or not self._insert_state(conn, values)):
                return None
            written = [row.paper_pk for row in rows]
            if replace_all:
                conn.execute(delete(trending_papers))
                conn.execute(delete(trending_removed))
                conn.execute(update(trending_state).values(purged_generation=generation))
            else:
                self._remove(conn, zero_pks, generation, as_of)
                for chunk in chunks(written):
                    conn.execute(delete(trending_papers).where(trending_papers.c.paper_pk.in_(chunk)))
                    conn.execute(delete(trending_removed).where(trending_removed.c.paper_pk.in_(chunk)))
            if rows:
                conn.execute(insert(trending_papers), [_row_values(row, generation) for row in rows])
            removed = sum(
                conn.execute(delete(trending_changes).where(trending_changes.c.seq.in_(chunk))).rowcount
                for chunk in chunks(consumed)
            )
            if consumed_through is not None:
                condition = trending_changes.c.seq <= consumed_through
                removed += conn.execute(delete(trending_changes).where(condition)).rowcount
            if purge_before is not None and not replace_all:
                self._purge(conn, purge_before)
        return generation, removed

    def _insert_state(self, conn: Connection, values: dict) -> bool:
        """The first refresh's state row; False when another process's first refresh wrote it already."""
        try:
            with conn.begin_nested():  # a savepoint: a lost race must not abort the transaction
                conn.execute(insert(trending_state).values(id=1, purged_generation=0, **values))
        except IntegrityError:
            return False
        return True

    def _remove(self, conn: Connection, pks: Iterable[int], generation: int, at: datetime) -> None:
        for chunk in chunks(pks):
            had_row = conn.execute(
                select(trending_papers.c.paper_pk).where(trending_papers.c.paper_pk.in_(chunk))
            ).scalars()
            gone = list(had_row)
            if not gone:
                continue
            conn.execute(delete(trending_papers).where(trending_papers.c.paper_pk.in_(gone)))
            conn.execute(delete(trending_removed).where(trending_removed.c.paper_pk.in_(gone)))
            conn.execute(
                insert(trending_removed),
                [{"paper_pk": pk, "generation": generation, "removed_at": at} for pk in gone],
            )

    def _purge(self, conn: Connection, before: datetime) -> None:
        old = trending_removed.c.removed_at < before
        newest = conn.execute(select(func.max(trending_removed.c.generation)).where(old)).scalar_one()
        if newest is None:
            return
        conn.execute(delete(trending_removed).where(old))
        conn.execute(
            update(trending_state).where(trending_state.c.purged_generation < newest).values(purged_generation=newest)
        )

    # -- catching up ---------------------------------------------------------------------------

    def read_rows(self, after_generation: int | None) -> RowsRead:
        """Rows and removals written after ``after_generation``; everything when it is None or too old.

        A refresh may commit between the reads; rows and removals carry their generation, so a
        reader keeps the newest entry of each paper, and reads again from ``state.generation``.
        """
        state = self.state()
        complete = after_generation is None or after_generation < state.purged_generation
        since = -1 if complete else after_generation
        newer = trending_papers.c.generation > since
        with self._reading() as conn:
            rows = conn.execute(select(*_ROW_COLUMNS).where(newer)).all()
            removed = []
            if not complete:
                query = select(trending_removed.c.paper_pk, trending_removed.c.generation)
                removed = [tuple(r) for r in conn.execute(query.where(trending_removed.c.generation > since))]
            categories: dict[int, list[str]] = defaultdict(list)
            joined = select(paper_categories.c.paper_pk, paper_categories.c.category).join(
                trending_papers, trending_papers.c.paper_pk == paper_categories.c.paper_pk
            )
            for pk, category in conn.execute(joined.where(newer)).all():
                categories[pk].append(category)
        count = len(rows)
        return RowsRead(
            state,
            pks=np.fromiter((row[0] for row in rows), dtype=np.int64, count=count),
            generations=np.fromiter((row[1] for row in rows), dtype=np.int64, count=count),
            listed=np.fromiter((seconds(row[2]) for row in rows), dtype=np.float64, count=count),
            values=np.array([row[3:] for row in rows], dtype=np.float64).reshape(count, len(ACTIVITY_COLUMNS)),
            categories=categories,
            removed=removed,
            complete=complete,
        )


def _in_casting_order(found: dict[int, list[tuple[float, float, int]]]) -> dict[int, list[tuple[float, float]]]:
    """Votes sorted by time, then account (equal times need one order for the burst rule)."""
    return {pk: [(cast, created) for cast, created, _ in sorted(rows)] for pk, rows in found.items()}


def _row_values(row: AttentionRow, generation: int) -> dict:
    return {
        "paper_pk": row.paper_pk,
        "generation": generation,
        "listed_at": moment(row.listed_at),
        **dict(zip(ACTIVITY_COLUMNS, row.values, strict=True)),
    }
