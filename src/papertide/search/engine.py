"""The search facade the web app and the CLI call: one query in, one page of hydrated results out.

It parses the search box, runs the lexical and/or semantic retriever with the filters inside
them, fuses, pages, hydrates from the store and highlights. Without a usable vector index (never
built, another embedder) semantic and hybrid searches degrade to lexical with a warning, so a
fresh install searches from its first import.

A query whose phrases or exclusions leave nothing is relaxed rather than answered with an empty
page: phrases are searched as words first, then exclusions dropped, each step saying so in the
response's warnings. Prose quotes a phrase no paper holds word for word far more often than a
user means "this exact phrase or nothing".
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from papertide.config import Settings
from papertide.errors import NotFound, PapertideError, QueryError
from papertide.metrics.search import record_search, stage, timed_search
from papertide.search import recommend as neighbours
from papertide.search.author_terms import with_author_spellings
from papertide.search.highlight import highlight, query_terms, snippet
from papertide.search.hybrid import Candidates, fuse
from papertide.search.lexical.index import LexicalHits, LexicalIndex, LexicalView
from papertide.search.query import Filters, ParsedQuery, Term, merge_filters, parse_query
from papertide.search.semantic.embed import Embedder, load_embedder, model_key
from papertide.search.semantic.index import VectorHit, VectorIndex, vectors_dir
from papertide.search.semantic.query_cache import QueryEmbeddingCache
from papertide.store.papers.store import PaperStore, StoredPaper

Mode = Literal["hybrid", "lexical", "semantic"]
Sort = Literal["relevance", "newest"]
MAX_LIMIT = 100
MAX_OFFSET = 10_000
# Candidates each retriever hands to fusion (at least offset + limit); see bench/quality.py.
POOL_DEPTH = 100
# A paper's authors whose other papers "From the same authors" looks for: the first ones sign most papers
# of a group, and a 5,000-name collaboration's list would be 5,000 clauses.
AUTHORS_COMPARED = 10
# Semantic candidates fetched per wanted result when lexical constraints (phrases, field terms,
# exclusions) must be checked on them afterwards.
_CONSTRAINED_OVERFETCH = 4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NO_VECTORS = "semantic search is unavailable ({reason}); showing keyword matches"
_NOTHING_TO_EMBED = "the query has no topic words to compare by meaning; showing keyword matches"
_NO_PHRASE = "no paper contains the exact phrase {phrases}; showing papers with its words"
_NO_PHRASES = "no paper contains the exact phrases {phrases} together; showing papers with their words"
_NO_EXCLUSION = "no paper is left without {terms}; showing papers that contain it"
_NO_EXCLUSIONS = "no paper is left without {terms}; showing papers that contain them"
# Threads embedding queries beside the lexical work of their search (see SearchEngine._embedding_of):
# one per search in flight on a few cores; more would only queue for the same cores.
EMBEDDING_THREADS = 4
# Seconds between background reloads of a vector index with a graph: while `papertide index`
# commits a batch every few seconds, reloading after each would keep a core busy loading graphs.
RELOAD_INTERVAL_S = 30.0

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One hit: the paper, its score in the ranking that placed it, and escaped HTML with ``<mark>``s."""

    paper: StoredPaper
    score: float
    title_html: str
    snippet_html: str


@dataclass(frozen=True, slots=True)
class Recommended:
    """A recommendation and the liked paper (store key) it is closest to, which says why it was chosen."""

    result: SearchResult
    nearest_liked: int


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """A page of results; ``total`` counts every result there is to page through, or at least that many
    where ``total_exact`` is False (a lexical ranking that skipped papers which could not reach it)."""

    results: list[SearchResult]
    total: int
    took_ms: float
    warnings: tuple[str, ...]
    paper_id: str | None
    mode: str
    query: ParsedQuery
    total_exact: bool = True


class SearchEngine:
    """Searches one store through its lexical index and, when usable, its vector index."""

    def __init__(
        self,
        store: PaperStore,
        lexical: LexicalIndex,
        embedder: Embedder | None,
        vectors_directory: Path | None,
        *,
        unusable: str = "the embedder cannot be loaded",
        map_graph: bool = False,
        query_embeddings: int = 1024,
    ) -> None:
        self.store = store
        self.author_names = store.author_names
        self.lexical = lexical
        self.embedder = embedder
        self._vectors_directory = vectors_directory
        self._map_graph = map_graph  # see Settings.map_vector_graph
        self._unusable = unusable
        self._opened: VectorIndex | None = None
        self._reopening = threading.Lock()
        self.reload_interval_s = RELOAD_INTERVAL_S
        self._reloaded_at = -float("inf")  # time.monotonic() of the last background reload
        self._embedding = ThreadPoolExecutor(EMBEDDING_THREADS, thread_name_prefix="papertide-embed-query")
        self.query_embeddings = QueryEmbeddingCache(query_embeddings)  # see Settings.query_embedding_cache
        if embedder is not None and vectors_directory is not None:
            self._open_vectors()

    @classmethod
    def open(cls, settings: Settings, store: PaperStore) -> SearchEngine:
        """Load the indexes of ``settings.index_dir``; a missing or unusable vector index only disables semantics."""
        lexical = LexicalIndex.open(settings.index_dir / "lexical")
        try:
            # Every core, for the windows of a long query (a pasted abstract) to run at once; a
            # short query is one window, one pass on the calling thread.
            embedder = load_embedder(settings.embedder, settings.embed_max_tokens)
        except PapertideError as exc:
            return cls(store, lexical, None, None, unusable=exc.message)
        return cls(
            store, lexical, embedder, vectors_dir(settings), map_graph=settings.map_vector_graph,
            query_embeddings=settings.query_embedding_cache,
        )  # fmt: skip

    @property
    def vectors(self) -> VectorIndex | None:
        """The vector index if it holds any vectors, reopened when the indexer has committed since.

        A small index is reopened at once. One with an HNSW graph takes about a second to load at
        1M papers, so it is reopened on a background thread while searches go on with the snapshot
        they have (holding both in memory meanwhile): a commit never stalls the server. It is
        reopened at most every :attr:`reload_interval_s` seconds.
        """
        opened = self._opened
        if opened is not None and opened.is_stale():
            if opened.uses_ann:
                self._reopen_aside(opened)
            else:
                with self._reopening:  # threads that find it stale wait for one reopen, not load a copy each
                    if self._opened is opened:
                        self._open_vectors()
        return self._opened if self._opened is not None and len(self._opened) else None

    def _reopen_aside(self, opened: VectorIndex) -> None:
        if time.monotonic() - self._reloaded_at < self.reload_interval_s:
            return
        if not self._reopening.acquire(blocking=False):
            return  # being reopened already
        self._reloaded_at = time.monotonic()

        def reopen() -> None:
            try:
                if self._opened is opened:
                    self._open_vectors()
            finally:
                self._reopening.release()

        threading.Thread(target=reopen, name="papertide-reopen-vectors", daemon=True).start()

    def _open_vectors(self) -> None:
        assert self.embedder is not None and self._vectors_directory is not None
        try:
            self._opened = VectorIndex.open(self._vectors_directory, self.embedder, map_graph=self._map_graph)
        except PapertideError as exc:  # vectors of another embedder: usable again once rebuilt and reopened
            self._opened, self._unusable = None, exc.message

    # -- searching -------------------------------------------------------------------------

    def search(
        self,
        text: str,
        *,
        mode: Mode = "hybrid",
        filters: Filters | None = None,
        sort: Sort = "relevance",
        limit: int = 20,
        offset: int = 0,
        operators: bool = True,
    ) -> SearchResponse:
        """Search the box's ``text`` narrowed by form ``filters``; bad input raises :class:`QueryError` only.

        ``operators=False`` reads ``text`` as prose to find related papers by (a pasted abstract):
        quotes, dashes and field names are ordinary characters there.
        """
        started = time.perf_counter()
        _check_arguments(mode, sort, limit, offset)
        with timed_search() as stages:
            response = self._search(text, mode, filters, sort, limit, offset, operators, started)
        record_search(response.mode, stages, response.took_ms / 1000)
        log.info(
            "search: mode %s, %d characters, %d of %d results in %.1f ms",
            response.mode, len(text), len(response.results), response.total, response.took_ms,
        )  # fmt: skip
        return response

    def _search(
        self,
        text: str,
        mode: Mode,
        filters: Filters | None,
        sort: Sort,
        limit: int,
        offset: int,
        operators: bool,
        started: float,
    ) -> SearchResponse:
        lexical = self.lexical.view()  # one commit for the whole search, taken before the embedding's thread starts
        with stage("parse"):
            parsed = parse_query(text, operators=operators)
            if filters is not None:
                parsed = merge_filters(parsed, filters)
            parsed = with_author_spellings(parsed, self.author_names)
        warnings = list(parsed.warnings)
        exact = True
        if not parsed.positive_terms:
            # Nothing to rank by: the pasted paper, or the newest papers passing the filters.
            mode = "lexical"
            if parsed.paper_id:
                ranked, total = self._paper(parsed.paper_id)
            else:
                with stage("lexical"):
                    hits = lexical.search(parsed, limit=limit, offset=offset, newest=True)
                ranked, total = hits.hits, hits.total
        else:
            vectors = self.vectors  # one snapshot for the whole search
            mode = self._usable_mode(mode, parsed, vectors, warnings)
            embedding = None if mode == "lexical" else self._embedding_of(parsed, mode)
            # A lexical page needs no deeper pool, and the fewer hits are kept, the higher the last one
            # scores and the more common words maxscore can leave out of what tantivy scores.
            depth = offset + limit if mode == "lexical" else max(POOL_DEPTH, offset + limit)
            evaluated = _Evaluated(lexical, depth)
            parsed = self._relaxed(parsed, warnings, evaluated)  # the text embedded stays as typed
            ranked, total, exact = self._ranked(parsed, vectors, mode, sort, limit, offset, evaluated, embedding)
        with stage("hydrate"):
            results = self._results(ranked, query_terms(parsed, lexical.stats))
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResponse(results, total, took_ms, tuple(warnings), parsed.paper_id, mode, parsed, exact)

    def _relaxed(self, parsed: ParsedQuery, warnings: list[str], evaluated: _Evaluated) -> ParsedQuery:
        """``parsed``, or the first of its relaxations that some paper matches (noted in ``warnings``).

        Matching is lexical in every mode: a semantic search always finds neighbours, but beside
        phrases and exclusions that no paper satisfies they are papers about something else.
        """
        if not (parsed.phrases or parsed.negative_terms) or evaluated.search(parsed).total:
            return parsed
        for relaxed, notes in _relaxations(parsed):
            if evaluated.search(relaxed).total:
                warnings.extend(notes)
                return relaxed
        return parsed

    def _ranked(
        self,
        parsed: ParsedQuery,
        vectors: VectorIndex | None,
        mode: Mode,
        sort: Sort,
        limit: int,
        offset: int,
        evaluated: _Evaluated,
        embedding: Future[np.ndarray] | None,
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """One page of ``parsed``'s ranking in a usable ``mode``, the total to page through and whether it is exact."""
        if vectors is None or embedding is None:
            if sort == "newest":
                with stage("lexical"):
                    hits = evaluated.lexical.search(parsed, limit=limit, offset=offset, newest=True)
                return hits.hits, hits.total, hits.total_exact
            hits = evaluated.search(parsed)  # to this page's depth, shared with the relaxation check
            return hits.hits[offset : offset + limit], hits.total, hits.total_exact
        ranked, total, exact = self._pooled(parsed, vectors, mode, sort, evaluated, embedding)
        return ranked[offset : offset + limit], total, exact

    def _embedding_of(self, parsed: ParsedQuery, mode: Mode) -> Future[np.ndarray]:
        """The query's vector, made on a thread where lexical work comes first or beside it: a hybrid
        search's lexical leg, and in either mode the check of a phrase, field term or exclusion.
        onnxruntime runs outside the GIL, so the two overlap (bench/search_speed.py at 1M: ~2 ms
        off a topic's hybrid search, ~12 ms off a pasted abstract's). Alone it is made here; a
        query embedded lately is not embedded again.
        """
        assert self.embedder is not None
        key = self.query_embeddings.key(model_key(self.embedder), parsed.text_for_embedding())
        if (kept := self.query_embeddings.get(key)) is not None:
            made: Future[np.ndarray] = Future()
            made.set_result(kept)
            return made
        if mode == "hybrid" or _constraints(parsed) is not None:
            # with this context: the embedding's time counts as this search's stage
            return self._embedding.submit(contextvars.copy_context().run, self._embed, parsed, key)
        made = Future()
        made.set_result(self._embed(parsed, key))
        return made

    def _usable_mode(self, mode: Mode, parsed: ParsedQuery, vectors: VectorIndex | None, warnings: list[str]) -> Mode:
        if mode == "lexical":
            return mode
        if vectors is None:
            reason = "no vector index has been built" if self._opened is not None else self._unusable
            warnings.append(_NO_VECTORS.format(reason=reason))
            return "lexical"
        if not parsed.text_for_embedding():
            warnings.append(_NOTHING_TO_EMBED)
            return "lexical"
        return mode

    def _paper(self, paper_id: str) -> tuple[list[tuple[int, float]], int]:
        stored = self.store.get(paper_id)
        return ([(stored.pk, 1.0)], 1) if stored else ([], 0)

    def _pooled(
        self,
        parsed: ParsedQuery,
        vectors: VectorIndex,
        mode: Mode,
        sort: Sort,
        evaluated: _Evaluated,
        embedding: Future[np.ndarray],
    ) -> tuple[list[tuple[int, float]], int, bool]:
        """The ranked pool of a semantic or hybrid search, the total to page through and whether it is exact."""
        if mode == "semantic":
            ranked = self._semantic(parsed, vectors, embedding.result(), evaluated)
            total, exact = len(ranked), True
        else:
            pool = self.candidates(parsed, vectors, evaluated=evaluated, embedding=embedding)
            with stage("fuse"):
                ranked, total, exact = fuse(pool), pool.total, pool.total_exact
        if sort == "newest":
            with stage("fuse"):
                ranked = self._newest_first(ranked)
        return ranked, total, exact

    def candidates(
        self,
        parsed: ParsedQuery,
        vectors: VectorIndex,
        depth: int = POOL_DEPTH,
        *,
        evaluated: _Evaluated | None = None,
        embedding: Future[np.ndarray] | None = None,
    ) -> Candidates:
        """A hybrid search's pool: each retriever's top ``depth``, every paper scored by both.

        Both scores for every candidate, so fusion never guesses a missing one, and what fusion
        weighs them by: the query's word count, its vector and the candidates' vectors
        (bench/fusion.py scores other fusions on exactly these pools). ``evaluated`` holds the
        lexical evaluations this search has made already (its depth then replaces ``depth``), and
        ``embedding`` the query's vector once made (by default it is made beside the lexical leg).
        """
        evaluated = evaluated or _Evaluated(self.lexical.view(), depth)
        if embedding is None:
            embedding = self._embedding_of(parsed, "hybrid")
        lexical = evaluated.search(parsed)
        query = embedding.result()
        semantic = self._semantic(parsed, vectors, query, evaluated)
        bm25, cosine = dict(lexical.hits), dict(semantic)
        with stage("lexical"):
            bm25.update(evaluated.lexical.scores(parsed, [pk for pk, _ in semantic if pk not in bm25]))
        with stage("semantic"):
            pool = vectors.subset(list(dict.fromkeys([*cosine, *bm25])))  # gathered once, for fusion's feedback too
            gathered = zip(pool.pks, pool.vectors, strict=True)
            cosine.update(_dots(query, [(pk, paper) for pk, paper in gathered if pk not in cosine]))
        total = max(lexical.total, len(cosine))
        return Candidates(bm25, cosine, total, lexical.words, query, pool, lexical.total_exact)

    def _embed(self, parsed: ParsedQuery, key: tuple[str, str]) -> np.ndarray:
        assert self.embedder is not None
        with stage("embed"):
            return self.query_embeddings.put(key, self.embedder.embed_query(parsed.text_for_embedding()))

    def _semantic(
        self, parsed: ParsedQuery, vectors: VectorIndex, query: np.ndarray, evaluated: _Evaluated
    ) -> list[tuple[int, float]]:
        """The pool's depth of papers nearest the query's topic that pass its filters and lexical constraints.

        When too few of the nearest papers hold a required phrase or field term, the papers that do
        hold it (the best by the query's BM25) are ranked by meaning too: a phrase narrows a
        semantic search, it does not empty it. A query with a required term matches exactly the
        papers passing its constraints and filters, so that is the lexical leg's own evaluation;
        when it holds no more than the depth, they are all the answer, ranked by meaning without a
        walk (most phrases: at 1M papers, 58% of search_speed.py's are held by at most 100 papers,
        and of the 400 nearest papers a median of none holds the phrase).
        """
        k = evaluated.depth
        constraints = _constraints(parsed)
        if constraints is None:
            with stage("semantic"):
                return _pairs(vectors.search(query, k, parsed.filters))
        required = any(term.required for term in constraints.terms)
        if required and (holding := evaluated.search(parsed)).total <= k:
            with stage("semantic"):
                return _by_meaning(_similarities(vectors, query, [pk for pk, _ in holding.hits]))
        with stage("semantic"):
            hits = _pairs(vectors.search(query, k * _CONSTRAINED_OVERFETCH, parsed.filters))
        with stage("lexical"):
            passing = evaluated.lexical.scores(constraints, [pk for pk, _ in hits])
        hits = [hit for hit in hits if hit[0] in passing][:k]
        if len(hits) < k and required:
            seen = {pk for pk, _ in hits}
            holders = [pk for pk, _ in evaluated.search(parsed).hits if pk not in seen]
            with stage("semantic"):
                hits = _by_meaning({**dict(hits), **_similarities(vectors, query, holders)})
        return hits[:k]

    def _newest_first(self, ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The pool by submission date, newest first, undated last."""
        dates = self.store.submitted_dates([pk for pk, _ in ranked])
        kept = [(pk, score) for pk, score in ranked if pk in dates]
        return sorted(kept, key=lambda hit: (dates[hit[0]] is not None, dates[hit[0]] or _EPOCH, hit[0]), reverse=True)

    # -- neighbours --------------------------------------------------------------------------

    def similar(self, paper_id: str, limit: int = 10, filters: Filters | None = None) -> list[SearchResult]:
        """Papers nearest ``paper_id`` in meaning (by its title words while it has no vector); NotFound if unknown."""
        stored = self.store.get(paper_id)
        if stored is None:
            raise NotFound(f"no paper {paper_id!r} in this collection")
        return self.similar_to(stored, limit, filters)

    def similar_to(self, stored: StoredPaper, limit: int = 10, filters: Filters | None = None) -> list[SearchResult]:
        """:meth:`similar` for a paper the caller has already fetched, sparing a second store lookup."""
        _check_arguments("semantic", "relevance", limit, 0)
        filters = filters or Filters()
        vectors = self.vectors
        if vectors is not None:
            try:
                return self._results(_pairs(neighbours.similar(vectors, stored.pk, limit, filters)))
            except NotFound:  # not embedded yet
                pass
        parsed = ParsedQuery(terms=(Term(stored.title),), filters=filters)
        hits = self.lexical.search(parsed, limit=limit + 1).hits
        return self._results([hit for hit in hits if hit[0] != stored.pk][:limit])

    def by_same_authors(self, stored: StoredPaper, limit: int = 5) -> list[SearchResult]:
        """The newest other papers by an author of ``stored`` (among its first :data:`AUTHORS_COMPARED`), as
        ``author:"name"`` finds them: one index query, however large the library or the collaboration."""
        _check_arguments("lexical", "newest", limit, 0)
        pks = self.lexical.newest_by_authors(stored.authors[:AUTHORS_COMPARED], limit, exclude=stored.pk)
        return self._results([(pk, 0.0) for pk in pks])

    def recommend(
        self, liked: Sequence[int], limit: int = 10, filters: Filters | None = None, exclude: Sequence[int] = ()
    ) -> list[Recommended]:
        """Papers near the liked ones (store keys) taken together, each with the liked paper nearest it;
        the liked papers and ``exclude`` are left out. Empty while none of them has a vector.
        """
        _check_arguments("semantic", "relevance", limit, 0)
        vectors = self.vectors
        if not liked or vectors is None:
            return []
        try:
            hits = neighbours.recommend(vectors, liked, limit, filters or Filters(), exclude)
        except NotFound:  # none of them has a vector yet
            return []
        reasons = neighbours.nearest_liked(vectors, [hit.pk for hit in hits], liked)
        return [Recommended(result, reasons[result.paper.pk]) for result in self._results(_pairs(hits))]

    # -- presenting ------------------------------------------------------------------------

    def _results(self, ranked: list[tuple[int, float]], terms: frozenset[str] = frozenset()) -> list[SearchResult]:
        """The ranked papers hydrated, their titles and abstracts marked for ``terms`` (see query_terms)."""
        scores = dict(ranked)
        return [
            SearchResult(paper, scores[paper.pk], highlight(paper.title, terms), snippet(paper.abstract, terms))
            for paper in self.store.get_many([pk for pk, _ in ranked])
        ]


class _Evaluated:
    """One search's lexical evaluations, each query evaluated once, to the pool's depth.

    A required phrase is checked against word positions in every paper holding its words: ~40 ms
    at 2.7M papers for a common phrase. The relaxation check, the semantic leg's fallback and the
    lexical leg all need the same query's matches, so they share one evaluation.
    """

    def __init__(self, lexical: LexicalView, depth: int) -> None:
        self.depth = depth
        self.lexical = lexical  # the search's view of the index, for its other lexical work too
        self._done: dict[ParsedQuery, LexicalHits] = {}

    def search(self, parsed: ParsedQuery) -> LexicalHits:
        """The best :attr:`depth` matches of ``parsed`` by BM25, and how many match in all."""
        hits = self._done.get(parsed)
        if hits is None:
            with stage("lexical"):
                hits = self._done[parsed] = self.lexical.search(parsed, limit=self.depth)
        return hits


def _check_arguments(mode: str, sort: str, limit: int, offset: int) -> None:
    if mode not in get_args(Mode):
        raise QueryError(f"unknown search mode {mode!r}; use one of {', '.join(get_args(Mode))}")
    if sort not in get_args(Sort):
        raise QueryError(f"unknown sort {sort!r}; use one of {', '.join(get_args(Sort))}")
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    if not 0 <= offset <= MAX_OFFSET:
        raise QueryError(f"offset must be between 0 and {MAX_OFFSET}, got {offset}")


def _similarities(vectors: VectorIndex, query: np.ndarray, pks: list[int]) -> dict[int, float]:
    """Cosine similarities of the query to those of ``pks`` that have a vector."""
    found, papers = vectors.with_vectors(pks)
    return _dots(query, zip(found, papers, strict=True))


def _by_meaning(similarities: dict[int, float]) -> list[tuple[int, float]]:
    """Papers by similarity, most similar first (ties in the order given)."""
    return sorted(similarities.items(), key=lambda hit: -hit[1])


def _dots(query: np.ndarray, papers: Iterable[tuple[int, np.ndarray]]) -> dict[int, float]:
    # A dot per row: a matrix product would sum in another order, moving the scores' last bits.
    return {pk: float(paper @ query) for pk, paper in papers}


def _pairs(hits: list[VectorHit]) -> list[tuple[int, float]]:
    return [(hit.pk, hit.score) for hit in hits]


def _relaxations(parsed: ParsedQuery) -> Iterator[tuple[ParsedQuery, list[str]]]:
    """Ever looser versions of a query that found nothing, each with the notes that say how it was loosened."""
    notes: list[str] = []
    if phrases := parsed.phrases:
        quoted = " and ".join(f'"{term.text}"' for term in phrases)
        notes.append((_NO_PHRASE if len(phrases) == 1 else _NO_PHRASES).format(phrases=quoted))
        parsed = parsed.phrases_as_words()
        yield parsed, list(notes)
    if excluded := parsed.negative_terms:
        named = " or ".join(f'"{term.text}"' for term in excluded)
        notes.append((_NO_EXCLUSION if len(excluded) == 1 else _NO_EXCLUSIONS).format(terms=named))
        yield parsed.without_exclusions(), list(notes)


def _constraints(parsed: ParsedQuery) -> ParsedQuery | None:
    """The part of ``parsed`` a semantic hit must also satisfy lexically: phrases, field terms, exclusions."""
    kept = tuple(term for term in parsed.terms if term.required or term.negated)
    return replace(parsed, terms=kept, filters=Filters()) if kept else None
