"""The lexical retriever with and without maxscore's pruning of the commonest words: CPU and exactness.

Runs ``LexicalIndex.search`` over distinct title-word queries (bench/web_load.py's: two to four
words of the corpus's own titles) for a page of 20 (lexical mode) and a pool of 100 (hybrid's
lexical leg), once with every match scored and counted (pruning switched off) and once pruned.
Reported per depth: CPU ms per query for the flat search, the pruned one on its first pass (each
common word's best score measured on first use) and warm, the share of queries pruned, whether
every pruned page equals the flat one (up to ties), and how far the pruned match counts (lower bounds) fall
below the true counts::

    .venv/bin/python bench/lexical_pruning.py [--data-dir bench/.cache/digest-1m] [--queries 2000] [--json out.json]

Without ``--data-dir`` it runs over the demo corpus (bench/.cache/web-demo), where no word is
common enough to prune.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import web_load

from papertide.search.lexical import maxscore
from papertide.search.lexical.index import LexicalHits, LexicalIndex
from papertide.search.query import ParsedQuery, parse_query

DEPTHS = (20, 100)


def timed(searches: Callable[[], list[LexicalHits]]) -> tuple[list[LexicalHits], float]:
    """The searches' hits and their CPU ms per query."""
    started = time.process_time()
    hits = searches()
    return hits, 1000 * (time.process_time() - started)


def same_page(pruned: LexicalHits, flat: LexicalHits, tolerance: float = 1e-5) -> bool:
    """Whether the pages hold the same scores rank by rank and the same papers, up to ties.

    A pruned query sums a paper's word scores in another order, so two papers with equal scores
    may come out a last bit apart and swap places, or swap one tied with the page's last paper.
    """
    if len(pruned.hits) != len(flat.hits):
        return False
    if any(abs(a - b) > tolerance * max(1.0, abs(b)) for (_, a), (_, b) in zip(pruned.hits, flat.hits, strict=True)):
        return False
    last = flat.hits[-1][1] if flat.hits else 0.0
    cut = last + tolerance * max(1.0, abs(last))
    return {pk for pk, score in pruned.hits if score > cut} == {pk for pk, score in flat.hits if score > cut}


def measure(directory: Path, queries: list[ParsedQuery], depth: int) -> dict:
    index = LexicalIndex.open(directory)  # a fresh index object: no word's best score measured yet
    prunable = maxscore.prunable

    def run() -> list[LexicalHits]:
        return [index.search(query, limit=depth) for query in queries]

    cold, cold_ms = timed(run)
    pruned, warm_ms = timed(run)
    maxscore.prunable = lambda query: False
    try:
        flat, flat_ms = timed(run)
    finally:
        maxscore.prunable = prunable
    assert [h.hits for h in cold] == [h.hits for h in pruned]
    lower = [p.total / f.total for p, f in zip(pruned, flat, strict=True) if not p.total_exact]
    same = sum(same_page(p, f) for p, f in zip(pruned, flat, strict=True))
    count = len(queries)
    return {
        "depth": depth,
        "queries": count,
        "flat_ms": round(flat_ms / count, 3),
        "pruned_first_pass_ms": round(cold_ms / count, 3),
        "pruned_ms": round(warm_ms / count, 3),
        "pruned_share": round(len(lower) / count, 3),
        "same_pages": same,
        "count_bound_median": round(statistics.median(lower), 3) if lower else None,
        "count_bound_min": round(min(lower), 3) if lower else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a papertide data directory with store and indexes")
    parser.add_argument("--queries", type=int, default=2000, help="distinct queries per pass")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    data_dir = args.data_dir or web_load.prepare_demo(web_load.DEMO_DIR)
    _, titles = web_load.sample_papers(data_dir)
    queries = [parse_query(text) for text in web_load.distinct_queries(titles)[: args.queries]]
    directory = data_dir / "index" / "lexical"
    results = [measure(directory, queries, depth) for depth in DEPTHS]
    print(f"{data_dir}: {len(LexicalIndex.open(directory)):,} papers, {len(queries)} queries, CPU ms per query")
    print("depth   flat  pruned 1st pass  pruned  pruned share  same pages  count bound median / min")
    for r in results:
        bound = f"{r['count_bound_median']} / {r['count_bound_min']}" if r["count_bound_median"] else "-"
        print(
            f"{r['depth']:5d} {r['flat_ms']:6.2f} {r['pruned_first_pass_ms']:16.2f} {r['pruned_ms']:7.2f}"
            f" {r['pruned_share']:13.3f} {r['same_pages']:6d}/{r['queries']:<5d} {bound:>20}"
        )
    if args.json:
        args.json.write_text(json.dumps({"data_dir": str(data_dir), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
