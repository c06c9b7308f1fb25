"""Reading and writing papers: idempotent batched upsert, lookups, checkpoints, statistics."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache, cached_property

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    DateTime,
    Select,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    or_,
    select,
    tuple_,
    type_coerce,
)
from sqlalchemy.exc import SQLAlchemyError

from papertide.errors import StoreError
from papertide.model import Paper, Signal, Version, normalize_doi
from papertide.store.authors.names import AuthorNameStore, add_author_names
from papertide.store.db.base import (
    TableStore,
    hold_transaction_lock,
    keys_in,
    keys_parameter,
    raw_json,
    raw_time,
    utc,
)
from papertide.store.db.cursors import decode_cursor, encode_cursor
from papertide.store.db.schema import checkpoints, paper_categories, paper_signals, papers, votes
from papertide.store.library.votes import vote_counts
from papertide.store.papers.vectors import PaperVectorStore
from papertide.store.papers.writes import paper_writer
from papertide.text import title_key

# Fields a source may leave empty; an empty incoming value keeps what is stored, so a poorer
# source (say, Hugging Face without categories) never erases what a richer one recorded.
_MERGED_FIELDS = (
    "abstract", "authors", "categories", "submitted", "updated", "doi", "journal_ref", "comments",
    "url_abs", "url_pdf", "versions", "license", "ai_summary", "ai_keywords",
)  # fmt: skip
# The code and project links go together with the source that gave them: a source with either replaces
# both, and one with neither keeps them, so a link is never labelled as another source's.
_LINK_FIELDS = ("url_code", "url_project", "links_source")


# Built once: a statement built per call costs more Python than the SQLite query behind it.
_KEYS = bindparam("keys", expanding=True)
# A StoredPaper's columns, in the order _stored_from_row unpacks them.
_STORED_COLUMNS = (
    "pk", "paper_id", "version", "title", "abstract", "authors", "title_raw", "abstract_raw", "authors_raw",
    "categories", "submitted_at", "updated_at", "doi", "journal_ref", "comments", "url_abs", "url_pdf", "url_code",
    "url_project", "links_source", "license", "ai_summary", "ai_keywords", "source", "versions", "change_seq",
    "created_at", "modified_at", "listed_at",
)  # fmt: skip
# JSON and times read raw (see raw_json, raw_time): their types' processors cost more than the rest of a row.
_STORED = [
    type_coerce(column, String) if isinstance(column.type, JSON | DateTime) else column
    for column in (papers.c[name] for name in _STORED_COLUMNS)
]
_PAPERS_BY_ID = select(*_STORED, papers.c.content_hash).where(papers.c.paper_id.in_(_KEYS))
# Only the latest observation of each signal: a popular paper polled for a year has hundreds, and
# hydrating 20 trending papers read all of them (bench/trending.py, 4,212 rows: 16 ms in SQLite
# alone; grouped first: 0.8 ms).
_LATEST = (
    select(paper_signals.c.paper_pk, paper_signals.c.name, func.max(paper_signals.c.observed_at).label("latest"))
    .where(paper_signals.c.paper_pk.in_(_KEYS))
    .group_by(paper_signals.c.paper_pk, paper_signals.c.name)
    .subquery("latest")
)
_SIGNALS_OF = select(paper_signals).join(
    _LATEST,
    (paper_signals.c.paper_pk == _LATEST.c.paper_pk)
    & (paper_signals.c.name == _LATEST.c.name)
    & (paper_signals.c.observed_at == _LATEST.c.latest),
)
_LATER = paper_signals.alias("later")
_VOTE_COUNT = select(func.count()).select_from(votes).where(votes.c.paper_pk == papers.c.pk).scalar_subquery()
_BYLINES = select(papers.c.pk, papers.c.listed_at, papers.c.authors, papers.c.categories).where(
    papers.c.pk.in_(_KEYS)
)
_SUBMITTED_OF = select(papers.c.pk, papers.c.submitted_at).where(papers.c.pk.in_(_KEYS))
_MAX_CHANGE_SEQ = select(func.coalesce(func.max(papers.c.change_seq), 0))


@dataclass(slots=True)
class StoredPaper:
    """A paper as stored: the source record plus its identity, display forms and latest signals."""

    pk: int
    paper: Paper
    title: str
    abstract: str
    authors: list[str]
    change_seq: int
    created_at: datetime
    modified_at: datetime
    listed_at: datetime  # the newest-first sort key: submission time, else when first stored
    signals: dict[str, Signal] = field(default_factory=dict)  # the latest observation of each
    votes: int = 0  # upvotes by papertide's own accounts

    @property
    def paper_id(self) -> str:
        return self.paper.id


@dataclass(frozen=True, slots=True)
class Byline:
    """Who signed a paper, where it is listed, when, and its upvotes here: what an author page counts over."""

    pk: int
    listed_at: datetime
    authors: list[str]
    categories: list[str]
    votes: int


@dataclass(frozen=True, slots=True)
class PaperFilter:
    """Which papers a listing shows. Category patterns are ids (``cs.LG``) or archives (``cs.*``)."""

    categories: tuple[str, ...] = ()
    exclude_categories: tuple[str, ...] = ()
    submitted_from: datetime | None = None
    submitted_to: datetime | None = None  # exclusive
    listed_from: datetime | None = None  # listed (announced, or first stored when undated) from then on


@dataclass(slots=True)
class Page:
    """One page of a newest-first listing; ``next_cursor`` is None on the last page."""

    papers: list[StoredPaper]
    next_cursor: str | None


@dataclass(slots=True)
class BatchResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0


# The Paper record is declared once, in papertide.model; content_hash, _MERGED_FIELDS, _row and _stored_from_row
# spell its fields out for speed and clarity, and tests/store/test_paper_record.py checks each against the
# dataclass (every field stored, read back, hashed and merged; every column accounted for).


def content_hash(paper: Paper) -> str:
    """A digest of everything a source says about a paper except signals (they have their own history)."""
    parts = [
        paper.id, str(paper.version), paper.title, paper.abstract, "\x1f".join(paper.authors),
        " ".join(paper.categories), _iso(paper.submitted), _iso(paper.updated), paper.doi or "",
        paper.journal_ref or "", paper.comments or "", paper.url_abs or "", paper.url_pdf or "",
        paper.url_code or "", ";".join(f"{v.number}@{_iso(v.created)}" for v in paper.versions),
    ]  # fmt: skip
    details = [
        paper.url_project or "", paper.links_source or "", paper.license or "", paper.ai_summary or "",
        "\x1f".join(paper.ai_keywords),
    ]  # fmt: skip
    if any(details):  # hashes of papers without them stay as they were before these fields existed
        parts.extend(details)
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=16).hexdigest()


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _merge(incoming: Paper, stored: Paper) -> Paper:
    kept = {name: getattr(stored, name) for name in _MERGED_FIELDS if getattr(incoming, name) in (None, "", [])}
    if not (incoming.url_code or incoming.url_project):
        kept.update({name: getattr(stored, name) for name in _LINK_FIELDS})
    return replace(incoming, **kept)


def _with_links_source(paper: Paper) -> Paper:
    """``paper`` with ``links_source`` naming the source of its links (its own by default), None without links."""
    has_links = bool(paper.url_code or paper.url_project)
    links_source = (paper.links_source or paper.source) if has_links else None
    return paper if links_source == paper.links_source else replace(paper, links_source=links_source)


def _row(paper: Paper, digest: str, seq: int, now: datetime) -> dict:
    row = {
        "paper_id": paper.id,
        "version": paper.version,
        "title": paper.display_title,
        "abstract": paper.display_abstract,
        "authors": paper.display_authors,
        "title_raw": paper.title,
        "abstract_raw": paper.abstract,
        "authors_raw": paper.authors,
        "categories": paper.categories,
        "primary_category": paper.primary_category,
        "submitted_at": paper.submitted,
        "updated_at": paper.updated,
        "doi": paper.doi,
        "journal_ref": paper.journal_ref,
        "comments": paper.comments,
        "url_abs": paper.url_abs,
        "url_pdf": paper.url_pdf,
        "url_code": paper.url_code,
        "url_project": paper.url_project,
        "links_source": paper.links_source,
        "license": paper.license,
        "ai_summary": paper.ai_summary,
        "ai_keywords": paper.ai_keywords or None,
        "source": paper.source,
        "versions": [{"version": v.number, "created": _iso(v.created) or None} for v in paper.versions],
        "content_hash": digest,
        "change_seq": seq,
        "modified_at": now,
        "title_key": title_key(paper.display_title),
        "doi_key": normalize_doi(paper.doi),
    }
    if paper.submitted is not None:  # undated papers keep the time they were first stored
        row["listed_at"] = paper.submitted
    return row


def _stored_from_row(row) -> StoredPaper:
    """The StoredPaper of a row that starts with :data:`_STORED`, without its signals and votes.

    Unpacked by position: reading the row's 29 columns by name cost three times as much as making the objects.
    """
    (
        pk, paper_id, version, title, abstract, authors, title_raw, abstract_raw, authors_raw, categories,
        submitted_at, updated_at, doi, journal_ref, comments, url_abs, url_pdf, url_code, url_project,
        links_source, license, ai_summary, ai_keywords, source, versions, change_seq, created_at, modified_at,
        listed_at,
    ) = row[: len(_STORED_COLUMNS)]  # fmt: skip
    paper = Paper(
        id=paper_id,
        title=title_raw,
        abstract=abstract_raw,
        version=version,
        authors=raw_json(authors_raw),
        categories=raw_json(categories),
        submitted=raw_time(submitted_at),
        updated=raw_time(updated_at),
        doi=doi,
        journal_ref=journal_ref,
        comments=comments,
        url_abs=url_abs,
        url_pdf=url_pdf,
        url_code=url_code,
        url_project=url_project,
        links_source=links_source,
        license=license,
        ai_summary=ai_summary,
        ai_keywords=raw_json(ai_keywords) or [],
        source=source,
        versions=[
            Version(v["version"], datetime.fromisoformat(v["created"]) if v.get("created") else None)
            for v in raw_json(versions)
        ],
    )
    return StoredPaper(
        pk=pk,
        paper=paper,
        title=title,
        abstract=abstract,
        authors=raw_json(authors),
        change_seq=change_seq,
        created_at=raw_time(created_at),
        modified_at=raw_time(modified_at),
        listed_at=raw_time(listed_at),
    )


@cache
def _hydration(dialect: str, key: str) -> Select:
    """Papers by ``key`` (a list in one parameter, see keys_in) with their latest signals and vote counts, in
    one statement: a row per paper and latest signal (one without any signal), its signals by name."""
    latest = (
        select(func.max(_LATER.c.observed_at))
        .where(_LATER.c.paper_pk == paper_signals.c.paper_pk, _LATER.c.name == paper_signals.c.name)
        .scalar_subquery()
    )
    signal = (paper_signals.c.paper_pk == papers.c.pk) & (paper_signals.c.observed_at == latest)
    return (
        select(
            *_STORED,
            _VOTE_COUNT.label("votes"),
            paper_signals.c.name.label("signal"),
            paper_signals.c.value.label("signal_value"),
            type_coerce(paper_signals.c.observed_at, String).label("signal_observed_at"),
        )
        .select_from(papers.outerjoin(paper_signals, signal))
        .where(keys_in(papers.c[key], dialect))
        .order_by(paper_signals.c.name)
    )


class PaperStore(TableStore):
    """The papers in one database. Every write is one transaction: all of a batch or none of it."""

    @cached_property
    def vectors(self) -> PaperVectorStore:
        """The papers' embeddings kept in the database, on the same clock: one per store, so that its
        claims resume where the last one reached (see :meth:`PaperVectorStore.claim`)."""
        return PaperVectorStore(self.engine, self._clock)

    @cached_property
    def author_names(self) -> AuthorNameStore:
        """The spellings of the authors' names the papers hold (kept by every paper write)."""
        return AuthorNameStore(self.engine, self._clock)

    # -- writing ---------------------------------------------------------------------------

    def write_batch(self, batch: Sequence[Paper], checkpoint: tuple[str, str | None] | None = None) -> BatchResult:
        """Upsert ``batch`` (ids unique within it) and save ``checkpoint`` in the same transaction."""
        try:
            with self.engine.begin() as conn:
                result = self._upsert(conn, batch) if batch else BatchResult()
                if checkpoint is not None:
                    self._save_checkpoint(conn, *checkpoint)
                return result
        except SQLAlchemyError as exc:
            raise StoreError(f"could not write {len(batch)} papers: {exc.__class__.__name__}: {exc}") from exc

    def _upsert(self, conn: Connection, batch: Sequence[Paper]) -> BatchResult:
        now = self._clock()
        ids = [paper.id for paper in batch]
        # Indexers follow change_seq: numbers must rise in commit order, so writers take turns.
        hold_transaction_lock(conn, "papers.change_seq")
        existing = {row.paper_id: row for row in conn.execute(_PAPERS_BY_ID, {"keys": ids})}
        seq = conn.execute(_MAX_CHANGE_SEQ).scalar_one() + 1
        result = BatchResult()
        inserts: list[dict] = []
        updates: list[tuple[int, dict]] = []
        pk_by_id = {paper_id: row.pk for paper_id, row in existing.items()}
        for paper in map(_with_links_source, batch):
            row = existing.get(paper.id)
            if row is None:
                inserts.append({"listed_at": now, **_row(paper, content_hash(paper), seq, now), "created_at": now})
                seq += 1
                continue
            if paper.version < row.version:
                result.unchanged += 1  # an older version: the newer text stays
                continue
            merged = _merge(paper, _stored_from_row(row).paper)
            digest = content_hash(merged)
            if digest == row.content_hash:
                result.unchanged += 1
                continue
            updates.append((row.pk, _row(merged, digest, seq, now)))
            seq += 1
        writer = paper_writer(conn)
        if updates:
            conn.execute(delete(paper_categories).where(paper_categories.c.paper_pk.in_([pk for pk, _ in updates])))
        pk_by_id.update(writer.write_papers(conn, inserts, updates))
        result.added = len(inserts)
        result.updated = len(updates)
        changed_pks = [pk_by_id[r["paper_id"]] for r in inserts] + [pk for pk, _ in updates]
        category_rows = [
            {"paper_pk": pk, "category": category}
            for pk, values in zip(changed_pks, [*inserts, *(v for _, v in updates)], strict=True)
            for category in dict.fromkeys(values["categories"])
        ]
        writer.add(conn, paper_categories, category_rows)
        add_author_names(conn, (name for values in (*inserts, *(v for _, v in updates)) for name in values["authors"]))
        signal_changed = self._add_signals(conn, [(pk_by_id[p.id], p.signals) for p in batch if p.signals])
        # A paper whose text is unchanged but whose signals moved was still updated.
        moved = signal_changed - set(changed_pks)
        result.unchanged -= len(moved)
        result.updated += len(moved)
        return result

    def _add_signals(self, conn: Connection, items: list[tuple[int, list[Signal]]]) -> set[int]:
        """Record observations whose value differs from the latest one seen; return the pks that changed."""
        if not items:
            return set()
        latest: dict[tuple[int, str], tuple[datetime, float]] = {}
        for row in conn.execute(_SIGNALS_OF, {"keys": [pk for pk, _ in items]}):
            latest[(row.paper_pk, row.name)] = (utc(row.observed_at), row.value)
        new_rows = []
        for pk, signals in items:
            for signal in signals:
                seen = latest.get((pk, signal.name))
                if seen is not None and (seen[1] == signal.value or seen[0] == utc(signal.observed_at)):
                    continue
                latest[(pk, signal.name)] = (utc(signal.observed_at), signal.value)
                new_rows.append(
                    {"paper_pk": pk, "name": signal.name, "observed_at": signal.observed_at, "value": signal.value}
                )
        paper_writer(conn).add(conn, paper_signals, new_rows)
        return {row["paper_pk"] for row in new_rows}

    # -- checkpoints -----------------------------------------------------------------------

    def _save_checkpoint(self, conn: Connection, key: str, value: str | None) -> None:
        conn.execute(delete(checkpoints).where(checkpoints.c.key == key))
        if value is not None:
            conn.execute(insert(checkpoints).values(key=key, value=value, updated_at=self._clock()))

    def get_checkpoint(self, key: str) -> str | None:
        with self._reading() as conn:
            return conn.execute(select(checkpoints.c.value).where(checkpoints.c.key == key)).scalar_one_or_none()

    def checkpoint_times(self) -> dict[str, datetime]:
        """When each ingest checkpoint (one per source and feed) last moved: the admin page's 'last ingest'."""
        with self._reading() as conn:
            rows = conn.execute(select(checkpoints.c.key, checkpoints.c.updated_at).order_by(checkpoints.c.key))
            return {row.key: utc(row.updated_at) for row in rows}

    # -- reading ---------------------------------------------------------------------------

    def get(self, paper_id: str) -> StoredPaper | None:
        found = self.get_many_by_id([paper_id])
        return found[0] if found else None

    def get_many_by_id(self, paper_ids: Iterable[str]) -> list[StoredPaper]:
        """Papers by public id, in the order asked (missing ids are left out)."""
        return self._hydrate("paper_id", list(paper_ids))

    def get_many(self, pks: Sequence[int]) -> list[StoredPaper]:
        """Papers by store key, in the order asked (missing keys are left out): search hydration."""
        return self._hydrate("pk", list(pks))

    def _hydrate(self, key: str, wanted: list) -> list[StoredPaper]:
        """One statement for the papers, their signals and votes (a search page's 20 papers: ~0.25 ms of
        CPU on SQLite, against ~0.9 ms for the papers, then the signals, then the votes)."""
        if not wanted:
            return []
        found: dict = {}
        with self._reading() as conn:
            dialect = conn.dialect.name
            rows = conn.execute(_hydration(dialect, key), {"keys": keys_parameter(wanted, dialect)})
            at, width = _STORED_COLUMNS.index(key), len(_STORED_COLUMNS)
            for row in rows:
                votes, signal, value, observed = row[width:]
                stored = found.get(row[at])
                if stored is None:
                    stored = found[row[at]] = _stored_from_row(row)
                    stored.votes = votes
                if signal is not None:
                    stored.signals[signal] = Signal(signal, value, raw_time(observed))
        return [found[k] for k in wanted if k in found]

    def _attach_activity(self, conn: Connection, stored: list[StoredPaper]) -> None:
        """Each paper's latest signals and its local vote count, in two queries for all of them."""
        by_pk = {p.pk: p for p in stored}
        if not by_pk:
            return
        for row in conn.execute(_SIGNALS_OF, {"keys": list(by_pk)}):
            by_pk[row.paper_pk].signals[row.name] = Signal(row.name, row.value, utc(row.observed_at))
        for pk, count in vote_counts(conn, list(by_pk)).items():
            by_pk[pk].votes = count

    def bylines(self, pks: Sequence[int]) -> list[Byline]:
        """The bylines of papers by store key, in the order asked (missing keys left out).

        Two narrow queries: hydrating whole papers parses every JSON column, and a collaboration's
        paper carries its thousands of names twice (as given and for display).
        """
        if not pks:
            return []
        with self._reading() as conn:
            rows = {row.pk: row for row in conn.execute(_BYLINES, {"keys": list(pks)})}
            votes = vote_counts(conn, list(rows))
        return [
            Byline(pk, utc(row.listed_at), list(row.authors), list(row.categories), votes.get(pk, 0))
            for pk in pks
            if (row := rows.get(pk)) is not None
        ]

    def votes_of(self, pks: Sequence[int]) -> dict[int, int]:
        """Upvotes here of those of ``pks`` that have any: one indexed query."""
        with self._reading() as conn:
            return vote_counts(conn, list(pks))

    def newest_submitted(self) -> datetime | None:
        """The latest submission time in the library (an index lookup); None when no paper is dated."""
        with self._reading() as conn:
            return utc(conn.execute(select(func.max(papers.c.submitted_at))).scalar())

    def submitted_dates(self, pks: Sequence[int]) -> dict[int, datetime | None]:
        """Submission time by store key: enough to order a result pool without loading the papers."""
        if not pks:
            return {}
        with self._reading() as conn:
            return {pk: utc(submitted) for pk, submitted in conn.execute(_SUBMITTED_OF, {"keys": list(pks)})}

    def iter_papers(self, after_seq: int = 0, chunk: int = 1000, *, activity: bool = True) -> Iterator[StoredPaper]:
        """Every paper changed after ``after_seq``, in change order (indexers and export).

        Without ``activity`` the papers come without their signals and votes: the indexes keep
        neither, and reading them is two more queries a chunk.
        """
        last = after_seq
        while True:
            with self._reading() as conn:
                rows = conn.execute(
                    select(*_STORED).where(papers.c.change_seq > last).order_by(papers.c.change_seq).limit(chunk)
                ).all()
                stored = [_stored_from_row(row) for row in rows]
                if activity:
                    self._attach_activity(conn, stored)
            if not stored:
                return
            yield from stored
            last = stored[-1].change_seq

    def list_papers(self, where: PaperFilter = PaperFilter(), *, cursor: str | None = None, limit: int = 20) -> Page:
        """Newest papers first, keyset-paginated: ``cursor`` is the opaque ``next_cursor`` of a page."""
        conditions = _filter_conditions(where)
        if cursor:
            listed, pk = decode_cursor(cursor)
            conditions.append(tuple_(papers.c.listed_at, papers.c.pk) < tuple_(listed, pk))
        query = (
            select(*_STORED).where(*conditions).order_by(papers.c.listed_at.desc(), papers.c.pk.desc()).limit(limit + 1)
        )
        with self._reading() as conn:
            rows = conn.execute(query).all()
            stored = [_stored_from_row(row) for row in rows[:limit]]
            self._attach_activity(conn, stored)
        more = len(rows) > limit
        next_cursor = encode_cursor(stored[-1].listed_at, stored[-1].pk) if more else None
        return Page(stored, next_cursor)

    def arrived(self, start: datetime, end: datetime, listed_from: datetime) -> list[int]:
        """Store keys of the papers first stored in ``[start, end)`` and listed (submitted) since ``listed_from``.

        Newest first. Digests take their new papers from here: arrival in the store, not the
        submission date, so a paper announced a day after it was submitted is not missed, and
        ``listed_from`` keeps a backfill of old papers out of "new".
        """
        query = (
            select(papers.c.pk)
            .where(papers.c.created_at >= start, papers.c.created_at < end, papers.c.listed_at >= listed_from)
            .order_by(papers.c.listed_at.desc(), papers.c.pk.desc())
        )
        with self._reading() as conn:
            return list(conn.execute(query).scalars())

    def uncategorised(self, paper_ids: Sequence[str]) -> list[str]:
        """Which of ``paper_ids`` are stored without any category (as Hugging Face lists papers), in the given order."""
        if not paper_ids:
            return []
        has_category = select(paper_categories.c.paper_pk).where(paper_categories.c.paper_pk == papers.c.pk)
        query = select(papers.c.paper_id).where(papers.c.paper_id.in_(list(paper_ids)), ~has_category.exists())
        with self._reading() as conn:
            found = set(conn.execute(query).scalars())
        return [paper_id for paper_id in dict.fromkeys(paper_ids) if paper_id in found]

    def count_backfills(self, start: datetime, end: datetime, listed_before: datetime) -> int:
        """How many papers first stored in ``[start, end)`` were listed before ``listed_before``: the
        late backfills :meth:`arrived` leaves out, counted to say why a digest is empty."""
        query = select(func.count()).select_from(papers).where(
            papers.c.created_at >= start, papers.c.created_at < end, papers.c.listed_at < listed_before
        )
        with self._reading() as conn:
            return conn.execute(query).scalar_one()

    def count(self) -> int:
        with self._reading() as conn:
            return conn.execute(select(func.count()).select_from(papers)).scalar_one()

    def count_changed(self, after_seq: int) -> int:
        """How many papers :meth:`iter_papers` would yield after ``after_seq`` (progress totals)."""
        with self._reading() as conn:
            query = select(func.count()).select_from(papers).where(papers.c.change_seq > after_seq)
            return conn.execute(query).scalar_one()

    def max_change_seq(self) -> int:
        with self._reading() as conn:
            return conn.execute(_MAX_CHANGE_SEQ).scalar_one()

    def stats(self) -> dict:
        """Counts for ``papertide stats`` and the API: papers by source and category, date range, signals."""
        with self._reading() as conn:
            by_source = dict(conn.execute(select(papers.c.source, func.count()).group_by(papers.c.source)).all())
            top = conn.execute(
                select(paper_categories.c.category, func.count().label("n"))
                .group_by(paper_categories.c.category)
                .order_by(func.count().desc(), paper_categories.c.category)
                .limit(15)
            ).all()
            first, last = conn.execute(select(func.min(papers.c.submitted_at), func.max(papers.c.submitted_at))).one()
            signal_count = conn.execute(select(func.count()).select_from(paper_signals)).scalar_one()
        return {
            "papers": sum(by_source.values()),
            "by_source": by_source,
            "top_categories": dict(top),
            "first_submitted": utc(first),
            "last_submitted": utc(last),
            "signal_observations": signal_count,
        }


def _category_match(patterns: tuple[str, ...]) -> ColumnElement[bool]:
    clauses = []
    for pattern in patterns:
        if pattern.endswith("*"):
            archive = pattern.rstrip("*").rstrip(".")
            clauses.append(
                or_(paper_categories.c.category == archive, paper_categories.c.category.like(f"{archive}.%"))
            )
        else:
            clauses.append(paper_categories.c.category == pattern)
    return exists().where(paper_categories.c.paper_pk == papers.c.pk, or_(*clauses))


def _filter_conditions(where: PaperFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.categories:
        conditions.append(_category_match(where.categories))
    if where.exclude_categories:
        conditions.append(~_category_match(where.exclude_categories))
    if where.submitted_from:
        conditions.append(papers.c.submitted_at >= where.submitted_from)
    if where.submitted_to:
        conditions.append(papers.c.submitted_at < where.submitted_to)
    if where.listed_from:
        conditions.append(papers.c.listed_at >= where.listed_from)
    return conditions
