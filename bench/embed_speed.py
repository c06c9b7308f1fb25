"""Embedding speed: abstracts/s for batch embedding and query latency, at 256 and 128 tokens.

The target is >= 40 abstracts/s on 2 cores; each measurement runs ``--repeat`` times because
the machines we bench on are shared and noisy. Uses the scifact corpus in ../shared and exits 0
with a message when it is absent, so CI can call it unconditionally::

    .venv/bin/python bench/embed_speed.py [--docs 1000] [--threads N] [--token-budget T] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from papertide.search.semantic.embed import DEFAULT_TOKEN_BUDGET, OnnxEmbedder

SCIFACT = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval" / "scifact"


def read_jsonl(path: Path, limit: int) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) >= limit:
                break
    return rows


def measure(embedder: OnnxEmbedder, docs: list[str], queries: list[str], repeat: int) -> dict:
    """Best-of-``repeat`` throughput (all runs kept) and query latency percentiles in ms."""
    runs, vectors = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        vectors = embedder.embed(docs)
        runs.append(len(docs) / (time.perf_counter() - start))
    for query in queries[:20]:  # warm-up
        embedder.embed_query(query)
    latencies = []
    for _ in range(repeat):
        for query in queries:
            start = time.perf_counter()
            embedder.embed_query(query)
            latencies.append((time.perf_counter() - start) * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "max_tokens": embedder.max_tokens,
        "docs_per_s": round(max(runs), 1),
        "docs_per_s_runs": [round(r, 1) for r in runs],
        "query_ms_p50": round(cuts[49], 2),
        "query_ms_p95": round(cuts[94], 2),
        "vectors": vectors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000, help="abstracts to embed")
    parser.add_argument("--queries", type=int, default=300, help="short queries to time one by one")
    parser.add_argument("--repeat", type=int, default=2, help="runs per measurement (machines are noisy)")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads (default: all cores)")
    parser.add_argument("--token-budget", type=int, default=DEFAULT_TOKEN_BUDGET, help="padded tokens per batch")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if not (SCIFACT / "corpus.jsonl").exists():
        print(f"skipped: {SCIFACT} is absent (the shared eval data is not checked out here)")
        return 0
    docs = [
        f"{d.get('title', '')} {d.get('text', '')}".strip() for d in read_jsonl(SCIFACT / "corpus.jsonl", args.docs)
    ]
    queries = [q["text"] for q in read_jsonl(SCIFACT / "queries.jsonl", args.queries)]

    results = []
    for max_tokens in (256, 128):
        embedder = OnnxEmbedder(max_tokens=max_tokens, threads=args.threads, token_budget=args.token_budget)
        results.append(measure(embedder, docs, queries, args.repeat))
    full, short = results[0].pop("vectors"), results[1].pop("vectors")
    # How much truncating to 128 tokens moves document vectors, relative to the shipped 256.
    results[1]["cosine_vs_256"] = round(float(np.mean(np.sum(full * short, axis=1))), 4)
    results[0]["cosine_vs_256"] = 1.0

    print(f"{len(docs)} abstracts, {len(queries)} queries, threads={args.threads or 'all'}, budget={args.token_budget}")
    print(f"{'max_tokens':>10} {'docs/s':>8} {'runs':>16} {'q p50 ms':>9} {'q p95 ms':>9} {'cos vs 256':>10}")
    for r in results:
        runs = "/".join(str(x) for x in r["docs_per_s_runs"])
        print(
            f"{r['max_tokens']:>10} {r['docs_per_s']:>8} {runs:>16} {r['query_ms_p50']:>9} "
            f"{r['query_ms_p95']:>9} {r['cosine_vs_256']:>10}"
        )
    if args.json:
        report = {"docs": len(docs), "queries": len(queries), "threads": args.threads, "results": results}
        report["token_budget"] = args.token_budget
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
