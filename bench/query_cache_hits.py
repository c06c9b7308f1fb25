"""Hit rate of the query-embedding cache (``Settings.query_embedding_cache``) on a made-up but plausible mix.

No log of real searches exists yet, so the mix is stated, not measured: of every 100 searches,
``--fresh`` are new queries nobody typed before (search_speed.py's topic and long title words),
``--pages`` the next page of one of the last 50 searches, ``--popular`` one of 500 popular queries
drawn by a Zipf law (the same words from many users), and the rest a saved search re-run by a feed
or an alert (2,000 of them, each due in turn: a feed reader polls, an alert runs daily). Keys go
through :class:`QueryEmbeddingCache` exactly as the engine makes them; no model runs::

    .venv/bin/python bench/query_cache_hits.py [--searches 100000] [--size 1024] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import numpy as np
import search_speed
from corpus import corpus_or_exit

from papertide.search.semantic.query_cache import QueryEmbeddingCache

MODEL = "minilm@bench"


def hit_rate(texts: list[str], args: argparse.Namespace, size: int) -> float:
    rng = random.Random(3)
    popular, saved = texts[:500], texts[500:2500]
    fresh = iter(texts[2500:])
    weights = 1 / np.arange(1, len(popular) + 1)
    popular_draws = iter(rng.choices(popular, weights=weights.tolist(), k=args.searches))
    cache, recent, due = QueryEmbeddingCache(size), [], 0
    vector = np.zeros(1, dtype=np.float32)
    for _ in range(args.searches):
        roll = rng.random() * 100
        if roll < args.fresh:
            text = next(fresh)
        elif roll < args.fresh + args.pages and recent:
            text = rng.choice(recent[-50:])
        elif roll < args.fresh + args.pages + args.popular:
            text = next(popular_draws)
        else:
            text, due = saved[due % len(saved)], due + 1
        key = cache.key(MODEL, text)
        if cache.get(key) is None:
            cache.put(key, vector.copy())
        recent.append(text)
    return round(cache.hit_rate(), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=100_000)
    parser.add_argument("--sizes", default="256,1024,4096", help="cache sizes, comma-separated")
    parser.add_argument("--fresh", type=float, default=40, help="percent of searches that are new queries")
    parser.add_argument("--pages", type=float, default=20, help="percent that are a next page")
    parser.add_argument("--popular", type=float, default=25, help="percent that are popular queries")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    corpus_or_exit()
    titles = [record["title"] for record in search_speed.records()]
    rng = random.Random(5)
    texts = list(dict.fromkeys(" ".join(rng.sample(t.lower().split(), min(4, len(t.split())))) for t in titles))
    rng.shuffle(texts)
    needed = 2500 + args.searches
    texts = (texts * (needed // len(texts) + 1))[:needed]  # fresh queries may recur once the titles run out
    rates = {size: hit_rate(texts, args, int(size)) for size in args.sizes.split(",")}
    feeds = 100 - args.fresh - args.pages - args.popular
    print(f"mix: {args.fresh}% new, {args.pages}% next page, {args.popular}% popular, {feeds}% feeds and alerts")
    for size, rate in rates.items():
        print(f"  cache of {size:>6}: hit rate {rate:.1%} over {args.searches} searches")
    if args.json:
        args.json.write_text(json.dumps({"mix": vars(args) | {"json": None}, "hit_rate": rates}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
