"""Result pages of a fixed set of searches over the demo corpus, as recorded for the page-identity test.

Shared by tests/search/test_result_pages.py (which compares the pages of the code under test with
the recorded ones) and scripts/record_search_pages.py (which records them): a change to the work
around the retrievers (hydration, snippets, caches) must leave every page as it was: the same
papers in the same order, the same totals, scores and highlighted HTML.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from papertide.config import Settings
from papertide.ingest.demo import load_demo
from papertide.search.engine import SearchEngine, SearchResponse
from papertide.search.lexical.index import LexicalIndex
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.index import vectors_dir
from papertide.search.upkeep.embedding_job import index_vectors
from papertide.store import PaperStore

FIXTURE = Path(__file__).parents[1] / "fixtures" / "search-pages" / "pages.json"
# Each query is searched in every mode, on two pages, and once newest first.
SEARCHES = (
    {"mode": "lexical", "offset": 0, "limit": 20, "sort": "relevance"},
    {"mode": "semantic", "offset": 0, "limit": 20, "sort": "relevance"},
    {"mode": "hybrid", "offset": 0, "limit": 20, "sort": "relevance"},
    {"mode": "hybrid", "offset": 20, "limit": 10, "sort": "relevance"},
    {"mode": "hybrid", "offset": 0, "limit": 10, "sort": "newest"},
)


def demo_engine(store: PaperStore, settings: Settings) -> SearchEngine:
    """The demo corpus indexed with its shipped vectors (seconds, no embedding of papers).

    The lexical index is written by one thread: with several, papers of equal score come in an
    order the threads decide, and one of them may or may not make the fusion pool's depth.
    """
    load_demo(store)
    index_vectors(store, settings)
    lexical = LexicalIndex.of_papers(store.iter_papers(activity=False))
    return SearchEngine(store, lexical, load_embedder(), vectors_dir(settings))


def pages(engine: SearchEngine, queries: list[str]) -> list[dict]:
    """Every recorded search's page: the papers' ids, the total, and a digest of scores and HTML."""
    return [
        {"query": number, **search, **page_of(engine.search(text, **search))}
        for number, text in enumerate(queries)
        for search in SEARCHES
    ]


def page_of(response: SearchResponse) -> dict:
    """The page's total, mode and warnings, and each result as "id score digest-of-its-HTML"."""
    results = response.results
    return {
        "total": response.total,
        "served_mode": response.mode,
        "warnings": list(response.warnings),
        "results": [f"{r.paper.paper_id} {r.score:.6g} {_digest(r.title_html + r.snippet_html)}" for r in results],
    }


def _digest(html: str) -> str:
    return hashlib.sha1(html.encode()).hexdigest()[:8]


def differences(recorded: dict, now: dict) -> list[str]:
    """How page ``now`` differs from ``recorded``, papers of equal score taken in any order.

    An index built anew may order papers of exactly equal score differently (tantivy's segments), so
    within a run of equal scores the papers may come in another order, and where the run reaches the
    page's edge, other papers of that same score may stand in for them.
    """
    notes = [f"{key}: {recorded[key]!r} -> {now[key]!r}" for key in ("total", "served_mode", "warnings")
             if recorded[key] != now[key]]  # fmt: skip
    old, new = _runs(recorded["results"]), _runs(now["results"])
    if [(score, len(run)) for score, run in old] != [(score, len(run)) for score, run in new]:
        return [*notes, f"scores {recorded['results']} -> {now['results']}"]
    edges = {len(old) - 1} | ({0} if recorded["offset"] else set())
    for position, ((score, old_run), (_, new_run)) in enumerate(zip(old, new, strict=True)):
        if position not in edges and sorted(old_run) != sorted(new_run):
            notes.append(f"papers of score {score}: {sorted(old_run)} -> {sorted(new_run)}")
    return notes


def _runs(results: list[str]) -> list[tuple[str, list[str]]]:
    """Results grouped into runs of equal score: (score, ["id digest", ...])."""
    runs: list[tuple[str, list[str]]] = []
    for result in results:
        paper, score, digest = result.split(" ")
        if runs and runs[-1][0] == score:
            runs[-1][1].append(f"{paper} {digest}")
        else:
            runs.append((score, [f"{paper} {digest}"]))
    return runs
