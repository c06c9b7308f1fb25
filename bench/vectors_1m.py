"""Latencies of the vector retriever at 1M papers: filter masks, similar papers, recommendations, opening.

Targets: similar papers <= 10 ms; filter -> mask in a few ms. Each operation goes through the
production API (:class:`PaperTable`, :func:`similar`, :func:`recommend`) on the cached index of
``bench/corpus.py``; timings are p50/p95 over many calls, as the machines are shared and noisy::

    .venv/bin/python bench/vectors_1m.py [--rows 1000000] [--samples 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from corpus import FILTERS, percentiles_ms, synthetic_index

from papertide.search.recommend import recommend, similar
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.index import VectorIndex


def timed(samples: int, call: Callable[[int], object]) -> dict[str, float]:
    """Percentiles of ``call(i)`` for i in range(samples), after one warm-up call."""
    call(samples)
    seconds = []
    for i in range(samples):
        started = time.perf_counter()
        call(i)
        seconds.append(time.perf_counter() - started)
    return percentiles_ms(seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    embedder = load_embedder()
    directory, build = synthetic_index(embedder, args.rows)
    started = time.perf_counter()
    index = VectorIndex.open(directory, embedder)
    report: dict = {"rows": args.rows, "open_s": round(time.perf_counter() - started, 2), "build": build}
    pks = np.random.default_rng(1).choice(index.table.pks, size=(args.samples + 1, 50), replace=False)

    report["mask"] = {name: timed(args.samples, lambda _, f=f: index.table.mask(f)) for name, f in FILTERS.items()}
    report["similar"] = {
        name: timed(args.samples, lambda i, f=f: similar(index, int(pks[i, 0]), 10, f)) for name, f in FILTERS.items()
    }
    report["recommend"] = {
        f"{liked} liked": timed(args.samples, lambda i, n=liked: recommend(index, pks[i, :n].tolist(), 20))
        for liked in (1, 5, 50)
    }
    report["rss_mb"] = int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() // 2**20
    for section in ("mask", "similar", "recommend"):
        for name, numbers in report[section].items():
            print(f"{section:>9} {name:>14}: {numbers}")
    print(json.dumps({k: report[k] for k in ("rows", "open_s", "rss_mb", "build")}))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
