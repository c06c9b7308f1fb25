"""Searches in a loop, for a sampling profiler to draw where a search's time goes (issue 27)::

    py-spy record -o bench/profiles/hybrid.svg -- .venv/bin/python bench/search_profile.py --mode hybrid

Over search_speed.py's 87k corpus (``bench/.cache/search-87k``, built if missing), the ``topic`` and
``common`` queries of its mix, one search at a time, the query-embedding cache off (every search
embeds). Prints the mean wall time per search. ``--stages`` reads py-spy's raw output of such a run
(``py-spy record -f raw -r 200 ...``) and prints each stage's milliseconds per search, the query
embedding's thread included::

    .venv/bin/python bench/search_profile.py --stages hybrid.txt --rate 200 --searches 600
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import search_speed
from corpus import corpus_or_exit

from papertide.search.engine import SearchEngine
from papertide.store import open_store

# Stages as the innermost of these frames a sample is in (py-spy names a frame "function (file:line)").
STAGES = (
    ("parse_query", "parsing the query"),
    ("with_author_spellings", "author spellings"),
    ("LexicalIndex._generation", "index generation check (a stat; waits for the GIL)"),  # code before LexicalIndex.view
    ("LexicalIndex.view", "index generation check (a stat; waits for the GIL)"),
    ("LexicalIndex.search", "lexical leg: BM25 top of the pool"),
    ("LexicalView.search", "lexical leg: BM25 top of the pool"),
    ("LexicalIndex.scores", "BM25 of the other leg's candidates"),
    ("LexicalView.scores", "BM25 of the other leg's candidates"),
    ("OnnxEmbedder.embed_query", "query embedding (its own thread)"),
    ("VectorIndex.search", "HNSW walk"),
    ("VectorIndex.subset", "the pool's vectors"),
    ("_dots", "the pool's cosines"),
    ("fuse", "fusion"),
    ("query_terms", "highlight terms"),
    ("PaperStore._attach_activity", "hydration: signals and votes"),  # code before the one-statement hydration
    ("PaperStore.get_many", "hydration: papers (SQL, rows, objects)"),
    ("highlight", "marking titles"),
    ("snippet", "abstract snippets"),
    ("Future.result", "waiting for the embedding"),
    ("SearchEngine.search", "rest of the search"),
)


def stages(raw: Path, rate: float, searches: int) -> dict[str, float]:
    """Milliseconds per search of each stage in py-spy's raw (collapsed) stacks of a run of ``searches``."""
    samples: dict[str, int] = dict.fromkeys(dict.fromkeys(name for _, name in STAGES), 0)
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, count = line.rsplit(" ", 1)
        frames = [frame.split(" (")[0] for frame in stack.split(";")]
        if not any(f in ("SearchEngine.search", "SearchEngine._embed") for f in frames):
            continue  # set-up, not a search
        for frame in reversed(frames):
            name = next((name for function, name in STAGES if function == frame), None)
            if name is not None:
                samples[name] += int(count)
                break
    return {name: round(count / rate / searches * 1000, 2) for name, count in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("lexical", "semantic", "hybrid"), default="hybrid")
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--stages", type=Path, help="py-spy raw output of a run: print its stages")
    parser.add_argument("--rate", type=float, default=200, help="--stages: py-spy's samples per second")
    args = parser.parse_args()
    if args.stages:
        for name, ms in stages(args.stages, args.rate, args.searches).items():
            print(f"  {name:<52} {ms:>6.2f} ms")
        return 0
    corpus_or_exit()
    records = list(search_speed.records())
    titles = [record["title"] for record in records]
    abstracts = [" ".join((record.get("abstract") or "").split()) for record in records]
    settings, _ = search_speed.build("87k", len(titles))
    engine = SearchEngine.open(settings, open_store(settings.resolved_database_url))
    mix = search_speed.query_mix(titles, abstracts, 200)
    texts = mix["topic"] + mix["common"]
    for text in texts[:50]:
        engine.search(text, mode=args.mode)
    started = time.perf_counter()
    for number in range(args.searches):
        engine.search(texts[number % len(texts)], mode=args.mode)
    print(f"{args.mode}: {(time.perf_counter() - started) / args.searches * 1000:.2f} ms a search")
    return 0


if __name__ == "__main__":
    sys.exit(main())
