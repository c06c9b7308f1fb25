"""The lexical index: BM25 over titles, abstracts and authors in a tantivy index beside the database.

tantivy was chosen over SQLite FTS5 by measurement (bench/README.md): FTS5's ``bm25()`` scores
every row that matches, which for a word such as "learning" is over 400,000 rows at 1M papers
(p50 231 ms), while tantivy scores the same rows in 2 ms, and fewer once
:mod:`papertide.search.lexical.maxscore` leaves the commonest words out of what it scores. The index is
derived data: it follows the store's change sequence, replacing a changed paper by its store key,
and is rebuilt from scratch when its format or analyzers change.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import tantivy

from papertide.errors import StoreError
from papertide.search.lexical import maxscore
from papertide.search.lexical.analysis import ANALYSIS_VERSION, NAMES, TEXT
from papertide.search.lexical.compile import (
    RESCORED,
    TermStats,
    among_papers,
    any_author,
    compile_query,
    extra_words,
    free_words,
)
from papertide.search.lexical.documents import COMBINED, PK, SEQ, SUBMITTED, TITLE_WEIGHT, build_schema, to_document
from papertide.search.query import ParsedQuery
from papertide.store.papers.store import PaperStore, StoredPaper

# Bump when the schema or document mapping changes.
_FORMAT = f"3.{ANALYSIS_VERSION}.{TITLE_WEIGHT}"
_META = "papertide.json"
_WRITER_HEAP = 256 * 1024 * 1024
_SMALL_WRITER_HEAP = 16 * 1024 * 1024  # tantivy's floor for one indexing thread
_COMMIT_EVERY = 100_000
_PK_UNION_MAX = 4000  # keys looked up one by one below this; measured at 1M: equal cost at 4000
_KNOWN_FREQUENCIES = 65_536  # document frequencies kept per index generation


@dataclass(frozen=True, slots=True)
class LexicalHits:
    """One page of matches as ``(pk, score)``, how many papers match in all, and how many words scored them."""

    hits: list[tuple[int, float]]
    total: int
    words: int = 0  # the query's free words as scored (stop words aside, each as often as it occurs)
    total_exact: bool = True  # False: ``total`` is a lower bound (a pruned search, see maxscore)


@dataclass(frozen=True, slots=True)
class LexicalView:
    """One commit's view of the index, with what searches keep learning about its words.

    A search takes one (:meth:`LexicalIndex.view`) for all of its lexical work: its legs then read
    the same commit, and the index is checked for a newer commit once per search, not per call.
    """

    searcher: tantivy.Searcher
    schema: tantivy.Schema
    stats: TermStats
    reach: maxscore.WordReach

    def search(self, query: ParsedQuery, *, limit: int, offset: int = 0, newest: bool = False) -> LexicalHits:
        """Papers matching ``query``, best first (or newest first, undated last), with the match count
        (a lower bound where the best first page was found without scoring every match)."""
        if limit < 1:  # tantivy panics on an empty page
            raise ValueError(f"limit must be positive, got {limit}")
        searcher, words = self.searcher, free_words(query, self.stats)
        extra = {} if newest else extra_words(query, self.stats, words)
        pruned = None
        if not (newest or offset or extra) and maxscore.prunable(query):
            pruned = maxscore.search(self.reach, self.stats, words, limit)
        if pruned is not None:
            found, total = pruned.hits, pruned.at_least
        else:
            compiled = compile_query(query, self.schema, self.stats, words)
            order = {"order_by_field": SUBMITTED} if newest else {}
            # A long query's page is cut from its rescored best matches, the same whatever the page's size.
            depth, skip = (max(RESCORED, offset + limit), 0) if extra else (limit, offset)
            result = searcher.search(compiled, depth, count=True, offset=skip, **order)
            found, total = result.hits, result.count
        pks = searcher.fast_field_values(PK, [address for _, address in found])
        hits = list(zip(pks, [0.0 if newest else float(key) for key, _ in found], strict=True))
        if not newest:  # equal scores in key order: tantivy orders them by segment, which indexing threads decide
            hits.sort(key=_best_first)
        if extra and hits:
            hits = self._rescored(hits, extra)[offset : offset + limit]
        return LexicalHits(hits, total, round(sum(words.values())), total_exact=pruned is None)

    def _rescored(self, hits: list[tuple[int, float]], extra: dict[str, float]) -> list[tuple[int, float]]:
        """``hits`` (best first), the first :data:`RESCORED` scored by the ``extra`` words too.

        Scoring the extra words of a pasted abstract over every paper holding one costs as much as
        scoring them in these few: tantivy's union of optional words reads each word's postings in
        blocks of 4096 papers around every paper it is asked about (bench/README.md, issue 25). The
        extra words only add to a score, so the rescored papers stay above the rest.
        """
        best = [pk for pk, _ in hits[:RESCORED]]
        added = self._scores(among_papers(self.schema, extra, self._any_pk(best)), len(best))
        rescored = sorted(((pk, score + added.get(pk, 0.0)) for pk, score in hits[:RESCORED]), key=_best_first)
        return rescored + hits[RESCORED:]

    def newest_by_authors(self, names: list[str], limit: int, exclude: int) -> list[int]:
        """Keys of the newest papers (undated last) with an author among ``names``, but not paper ``exclude``:
        one query whose cost grows with those authors' papers, not the library."""
        query = any_author(names, self.schema)
        if query is None:
            return []
        itself = tantivy.Query.term_query(self.schema, PK, exclude)
        compiled = tantivy.Query.boolean_query([(tantivy.Occur.Must, query), (tantivy.Occur.MustNot, itself)])
        result = self.searcher.search(compiled, limit, count=False, order_by_field=SUBMITTED)
        return self.searcher.fast_field_values(PK, [address for _, address in result.hits])

    def scores(self, query: ParsedQuery, pks: list[int]) -> dict[int, float]:
        """The BM25 scores of those of ``pks`` that match ``query``: scores another retriever's candidates,
        or checks them against lexical constraints."""
        if not pks:
            return {}
        among = tantivy.Query.const_score_query(self._any_pk(pks), 0.0)
        compiled = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, compile_query(query, self.schema, self.stats)), (tantivy.Occur.Must, among)]
        )
        return self._scores(compiled, len(pks))

    def _scores(self, compiled: tantivy.Query, limit: int) -> dict[int, float]:
        """The scores of the best ``limit`` papers ``compiled`` matches, by key."""
        result = self.searcher.search(compiled, limit, count=False)
        matched = self.searcher.fast_field_values(PK, [address for _, address in result.hits])
        return {pk: float(score) for pk, (score, _) in zip(matched, result.hits, strict=True)}

    def _any_pk(self, pks: list[int]) -> tantivy.Query:
        """The papers with these keys. Measured at 1M papers, a term set query costs 1 ms for 100 keys (as
        much as the BM25 scoring it restricts), a union of term queries 0.25 ms, and no more up to ~4000 keys."""
        if len(pks) > _PK_UNION_MAX:
            return tantivy.Query.term_set_query(self.schema, PK, pks)
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, PK, pk)) for pk in pks]
        )


def _best_first(hit: tuple[int, float]) -> tuple[float, int]:
    return -hit[1], hit[0]


class LexicalIndex:
    """A tantivy index of the store's papers; searching is thread-safe, updating takes the writer lock."""

    def __init__(self, directory: Path | None, index: tantivy.Index) -> None:
        self.directory = directory
        self._index = index
        self._schema = index.schema
        self._meta = None if directory is None else os.fspath(directory / "meta.json")
        self._stamp: tuple[int, int, int] | None = None  # of the commit the searchers show
        self._current: LexicalView | None = None
        for analyzer in (TEXT, NAMES):
            analyzer.register(index)

    @classmethod
    def open(cls, directory: Path) -> LexicalIndex:
        """Open the index in ``directory``, creating it, or starting over if it has another format."""
        directory = Path(directory)
        meta = directory / _META
        try:
            directory.parent.mkdir(parents=True, exist_ok=True)
            with open(directory.parent / f"{directory.name}.lock", "a") as turn:
                # Processes starting at once (serve --workers on a fresh data directory) check, reset and
                # create it in turn: one's reset removed files the other was creating.
                fcntl.flock(turn, fcntl.LOCK_EX)
                current = meta.is_file() and json.loads(meta.read_text(encoding="utf-8")).get("format") == _FORMAT
                if not current and directory.exists():
                    shutil.rmtree(directory)
                directory.mkdir(parents=True, exist_ok=True)
                index = tantivy.Index(build_schema(), path=str(directory), reuse=True)
                if not current:
                    meta.write_text(json.dumps({"format": _FORMAT}), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot open the lexical index in {directory}: {exc}") from exc
        return cls(directory, index)

    @classmethod
    def of_papers(cls, papers: Iterable[StoredPaper]) -> LexicalIndex:
        """A throwaway index of a few papers, held in memory: many queries over a small set (a digest's
        new papers, one query per alert) then cost what the set costs, not what the library does."""
        made = cls(None, tantivy.Index(build_schema()))
        writer = made._index.writer(heap_size=_SMALL_WRITER_HEAP, num_threads=1)
        for stored in papers:
            writer.add_document(to_document(stored))
        writer.commit()
        writer.wait_merging_threads()
        made._index.reload()
        return made

    def view(self) -> LexicalView:
        """The latest commit's view, whichever process made it.

        tantivy rewrites ``meta.json`` on every commit; checking it is a stat, while a reload
        costs ~0.2 ms on a million papers even when nothing changed. An index in memory
        (:meth:`of_papers`) has no other writer.
        """
        current, stamp = self._current, None
        if self._meta is not None:
            try:
                stat = os.stat(self._meta)
                stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except OSError:
                pass
        if current is None or stamp != self._stamp:
            self._index.reload()
            searcher = self._index.searcher()
            reach = maxscore.WordReach(searcher, self._schema)
            current = self._current = LexicalView(searcher, self._schema, _stats(searcher), reach)
            self._stamp = stamp
        return current

    @property
    def last_seq(self) -> int:
        """The store change sequence this index is up to date with."""
        found = self.view().searcher.aggregate(tantivy.Query.all_query(), {"seq": {"max": {"field": SEQ}}})
        value = found["seq"]["value"]
        return int(value) if value is not None else 0

    def __len__(self) -> int:
        return self.view().searcher.num_docs

    def update_from(self, store: PaperStore) -> int:
        """Index the papers changed in ``store`` since :attr:`last_seq`; return how many were (re)indexed."""
        after = self.last_seq
        try:
            writer = self._index.writer(heap_size=_WRITER_HEAP)
        except ValueError as exc:  # tantivy's "lock busy"
            raise StoreError(f"cannot update the lexical index in {self.directory}: {exc}") from exc
        count = 0
        try:
            for stored in store.iter_papers(after_seq=after, activity=False):
                if after:  # an index built from scratch has nothing to replace
                    # By query: delete_documents_by_term would look for a signed integer term.
                    writer.delete_documents_by_query(tantivy.Query.term_query(self._schema, PK, stored.pk))
                writer.add_document(to_document(stored))
                count += 1
                if count % _COMMIT_EVERY == 0:
                    writer.commit()
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        writer.wait_merging_threads()
        return count

    def search(self, query: ParsedQuery, *, limit: int, offset: int = 0, newest: bool = False) -> LexicalHits:
        """:meth:`LexicalView.search` in the latest commit."""
        return self.view().search(query, limit=limit, offset=offset, newest=newest)

    def newest_by_authors(self, names: list[str], limit: int, exclude: int) -> list[int]:
        """:meth:`LexicalView.newest_by_authors` in the latest commit."""
        return self.view().newest_by_authors(names, limit, exclude)

    def scores(self, query: ParsedQuery, pks: list[int]) -> dict[int, float]:
        """:meth:`LexicalView.scores` in the latest commit."""
        return self.view().scores(query, pks)

    def stats(self) -> TermStats:
        """How common each term of the combined field is, as of the latest commit."""
        return self.view().stats


def _stats(searcher: tantivy.Searcher) -> TermStats:
    return TermStats(lru_cache(maxsize=_KNOWN_FREQUENCIES)(partial(searcher.doc_freq, COMBINED)), searcher.num_docs)
