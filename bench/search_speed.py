"""Search latency through :meth:`SearchEngine.search` on 87k real papers and on 1M papers made from them.

The 1M corpus repeats the 87k conference papers under fresh ids with perturbed text (15% of the
words swapped for words drawn from the corpus, so term statistics stay realistic), arXiv-like
categories from each venue with cross-lists, and submission dates over 2008-2025. Each corpus
becomes a real data directory (SQLite store, tantivy index, vector index with its HNSW graph)
built once under ``bench/.cache``. Vectors are the real embeddings ``bench/corpus.py embed`` had
cached at build time (a paper not embedded yet borrows one), each copy mixed with another
paper's and a little noise; queries are embedded for real.

The query mix: very common words (1-2), topics (2-4 title words), long queries (5-6 words),
topics with category or year filters, and phrases. Each class runs in every mode, warm and
in-process; ``similar`` asks for neighbours of random papers. Beside the mix, and not part of
``all``: ``sentence`` (an abstract's sentence of 20-25 words, typed as a question would be) and
``abstract`` (300 words of abstracts pasted into the related-papers box, searched without
operators). Reported: p50/p95/p99 in ms per class and over the whole mix (``all``), the
retrievers alone (lexical without hydration and snippets; semantic with the query's embedding),
and the process's RSS. ``--bm25s`` also times bm25s (one title + abstract field, PyStemmer,
top 20, query tokenization included) on the long classes, beside the lexical retriever::

    .venv/bin/python bench/search_speed.py [--sizes 87k,1m,2.7m] [--queries 100] [--json out.json]
                                           [--rebuild-vectors] [--bm25s] [--classes sentence,abstract]

``--rebuild-vectors`` remakes the cached corpora's vectors and HNSW graphs from the real
embeddings cached now (store and lexical index are kept).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from corpus import CACHE, corpus_or_exit, corpus_records, real_vectors, record_authors

from papertide.config import Settings
from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.engine import SearchEngine
from papertide.search.lexical.index import LexicalIndex
from papertide.search.paper_table import day_number
from papertide.search.query import parse_query
from papertide.search.semantic.embed import load_embedder
from papertide.search.semantic.index import VectorIndex, vectors_dir
from papertide.store import PaperStore, open_store

SIZES = {"87k": None, "1m": 1_000_000, "2.7m": 2_700_000}  # 2.7M: all of arXiv
SWAP_SHARE = 0.15
# arXiv categories for each venue family: the primary first, then cross-lists drawn at random.
VENUE_CATEGORIES = {
    ("cvpr", "iccv", "eccv", "wacv", "3dv"): ("cs.CV", "cs.LG", "cs.GR"),
    ("acl", "naacl", "coling", "colm"): ("cs.CL", "cs.LG", "cs.AI"),
    ("iros", "icra", "rss", "corl"): ("cs.RO", "cs.LG", "eess.SY"),
    ("nips", "icml", "iclr", "automl"): ("cs.LG", "stat.ML", "cs.AI"),
    ("aistats", "uai", "colt", "alt", "acml"): ("stat.ML", "cs.LG", "math.ST"),
    ("ijcai", "aaai"): ("cs.AI", "cs.LG", "cs.MA"),
    ("www",): ("cs.IR", "cs.SI", "cs.LG"),
}
COMMON = [
    "learning", "model", "neural network", "deep learning", "reinforcement learning", "data", "training",
    "language models", "robot", "image", "optimization", "graph", "transformer", "method", "estimation",
]  # fmt: skip
FILTERS = ["cat:cs.CV", "cat:cs.*", "year:2020..2023", "cat:stat.ML year:2015..", "-cat:cs.RO year:2022"]
MIX = ("common", "topic", "long", "filtered", "phrase")  # the whole mix ("all"); the targets hold over it
PASTED = "abstract"  # searched as pasted text, without operators
PASTED_WORDS = 300
LONG_CLASSES = ("long", "sentence", PASTED)  # timed against bm25s
STOP = {"a", "an", "and", "for", "from", "in", "of", "on", "the", "to", "via", "with", "by", "is", "at", "as"}


def records() -> Iterator[dict]:
    """The corpus papers that have a title, streamed (all of them take ~700 MB as Python objects)."""
    return (record for record in corpus_records() if (record.get("title") or "").strip())


def corpus(base: list[dict], size: int) -> Iterator[Paper]:
    """``size`` papers: the base corpus, then copies with perturbed text, all with categories and dates."""
    rng = random.Random(7)
    pool = [word for r in rng.sample(base, 5000) for word in f"{r['title']} {r.get('abstract') or ''}".split()]
    for number in range(size):
        record = base[number % len(base)]
        title, abstract = record["title"], record.get("abstract") or ""
        if number >= len(base):
            title, abstract = (" ".join(_perturbed(text.split(), pool, rng)) for text in (title, abstract))
        venue = record["src"].split("/")[0]
        families = next(cats for names, cats in VENUE_CATEGORIES.items() if venue in names)
        categories = [families[0], *rng.sample(families[1:], rng.choice((0, 0, 1, 2)))]
        year = int(record["src"][-9:-5]) if number < len(base) else rng.randint(2008, 2025)
        submitted = datetime(year, rng.randint(1, 12), rng.randint(1, 28), tzinfo=UTC)
        yield Paper(f"bench:{number}", title, abstract, authors=record_authors(record), categories=categories,
                    submitted=submitted, source="bench")  # fmt: skip


def _perturbed(words: list[str], pool: list[str], rng: random.Random) -> list[str]:
    return [rng.choice(pool) if rng.random() < SWAP_SHARE else word for word in words]


def build(name: str, base_size: int, *, rebuild_vectors: bool = False) -> tuple[Settings, dict]:
    """The cached data directory of corpus ``name`` (built now if missing) and facts about its build;
    ``base_size`` is how many corpus papers have a title.
    """
    # No query embeddings kept: the timed passes repeat their queries, and every search must embed its own.
    settings = Settings(data_dir=CACHE / f"search-{name}", query_embedding_cache=0)
    facts_path = settings.data_dir / "build.json"
    if facts_path.exists():
        facts = json.loads(facts_path.read_text())
        if rebuild_vectors:
            print(f"rebuilding the vectors of {settings.data_dir}", flush=True)
            store = open_store(settings.resolved_database_url)
            facts["vectors_s"], facts["ann_s"], facts["real_vectors"] = _build_vectors(settings, store, base_size)
            facts_path.write_text(json.dumps(facts, indent=2) + "\n")
        return settings, facts
    base = list(records())
    size = SIZES[name] or base_size
    facts: dict = {"papers": size}
    print(f"building the {name} corpus in {settings.data_dir} (once)", flush=True)
    store = open_store(settings.resolved_database_url)
    facts["ingest_s"] = _timed(lambda: ingest(corpus(base, size), store, batch_size=5000))
    print(f"  ingested in {facts['ingest_s']} s", flush=True)
    lexical = LexicalIndex.open(settings.index_dir / "lexical")
    facts["lexical_index_s"] = _timed(lambda: lexical.update_from(store))
    print(f"  lexical index in {facts['lexical_index_s']} s", flush=True)
    facts["vectors_s"], facts["ann_s"], facts["real_vectors"] = _build_vectors(settings, store, base_size)
    print(f"  vectors in {facts['vectors_s']:.1f} s, HNSW graph in {facts['ann_s']} s", flush=True)
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    return settings, facts


def _build_vectors(settings: Settings, store: PaperStore, base_size: int) -> tuple[float, float, int]:
    """Vectors of every stored paper: its base paper's real embedding, mixed for copies; then the HNSW graph."""
    embedder = load_embedder()
    real = real_vectors(embedder)
    rng = np.random.default_rng(0)
    started = time.perf_counter()
    with VectorIndex.updating(vectors_dir(settings), embedder, rebuild=True) as index:
        batch: list = []
        for stored in store.iter_papers(chunk=10_000):
            batch.append(stored)
            if len(batch) == 50_000:
                _add_vectors(index, batch, real, base_size, rng)
                batch = []
        if batch:
            _add_vectors(index, batch, real, base_size, rng)
        vectors_s = time.perf_counter() - started
        ann_s = _timed(lambda: index.update_ann(min_rows=1))
    return vectors_s, ann_s, len(real)


def _add_vectors(index: VectorIndex, batch: list, real: np.ndarray, base_size: int, rng: np.random.Generator) -> None:
    numbers = np.array([int(stored.paper_id.split(":")[1]) for stored in batch])
    own = real[(numbers % base_size) % len(real)]
    mixed = np.where(
        (numbers >= base_size)[:, None], 0.8 * own + 0.2 * real[rng.integers(0, len(real), len(batch))], own
    )
    mixed += (numbers >= base_size)[:, None] * rng.normal(scale=0.02, size=mixed.shape)
    mixed = (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)
    index.add(
        [stored.pk for stored in batch],
        [day_number(stored.paper.submitted) for stored in batch],
        [stored.paper.categories for stored in batch],
        [stored.pk for stored in batch],
        mixed,
        last_change_seq=batch[-1].change_seq,
    )


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return round(time.perf_counter() - started, 1)


def query_mix(titles: list[str], abstracts: list[str], count: int) -> dict[str, list[str]]:
    rng = random.Random(1)

    def title_words(low: int, high: int) -> str:
        while True:
            words = [w.strip(".,:;()?!'\"").lower() for w in rng.choice(titles).split()]
            words = [w for w in words if w.isalpha() and w not in STOP]
            if len(words) >= low:
                return " ".join(words[: rng.randint(low, min(high, len(words)))])

    return {
        "common": [rng.choice(COMMON) for _ in range(count)],
        "topic": [title_words(2, 4) for _ in range(count)],
        "long": [title_words(5, 6) for _ in range(count)],
        "filtered": [f"{title_words(1, 3)} {rng.choice(FILTERS)}" for _ in range(count)],
        "phrase": [f'"{title_words(2, 2)}" {title_words(1, 2)}' for _ in range(count)],
        "sentence": [_sentence(abstracts, rng) for _ in range(count)],
        PASTED: [_pasted(abstracts, rng) for _ in range(count)],
    }


def _sentence(abstracts: list[str], rng: random.Random) -> str:
    """20-25 consecutive words of an abstract."""
    while True:
        words = rng.choice(abstracts).split()
        if len(words) >= 25:
            start = rng.randrange(len(words) - 24)
            return " ".join(words[start : start + rng.randint(20, 25)])


def _pasted(abstracts: list[str], rng: random.Random) -> str:
    """:data:`PASTED_WORDS` words of abstracts, one after another, as a long pasted text."""
    words: list[str] = []
    while len(words) < PASTED_WORDS:
        words.extend(rng.choice(abstracts).split())
    return " ".join(words[:PASTED_WORDS])


def percentiles(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {f"p{q}": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)}


def timed_calls(calls: list[Callable[[], object]], rounds: int) -> list[float]:
    """Seconds of each call in ``rounds`` passes of ``calls`` after a warm-up pass."""
    for call in calls:
        call()
    seconds = []
    for _ in range(rounds):
        for call in calls:
            started = time.perf_counter()
            call()
            seconds.append(time.perf_counter() - started)
    return seconds


def rss_mb() -> dict[str, int]:
    with open("/proc/self/status", encoding="ascii") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    current = int(fields["VmRSS"].split()[0]) // 1024
    return {"rss_mb": current, "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def measure(name: str, titles: list[str], abstracts: list[str], args: argparse.Namespace) -> dict:
    count, rounds = args.queries, args.rounds
    settings, facts = build(name, len(titles), rebuild_vectors=args.rebuild_vectors)
    store = open_store(settings.resolved_database_url)
    before = rss_mb()["rss_mb"]
    started = time.perf_counter()
    engine = SearchEngine.open(settings, store)
    report: dict = {"build": facts, "open_s": round(time.perf_counter() - started, 2)}
    mix = {cls: texts for cls, texts in query_mix(titles, abstracts, count).items() if cls in args.classes}
    seconds: dict[str, list[float]] = {}
    for cls, texts in mix.items():
        operators = cls != PASTED
        # The retriever timings include reading the query, as bm25s's include tokenizing it.
        seconds[f"{cls}/lexical retriever"] = timed_calls(
            [lambda t=t, o=operators: engine.lexical.search(parse_query(t, operators=o), limit=20) for t in texts],
            rounds,
        )
        parsed = [parse_query(text, operators=operators) for text in texts]
        seconds[f"{cls}/semantic retriever"] = timed_calls(
            [lambda q=q: engine.vectors.search(engine.embedder.embed_query(q.text_for_embedding()), 20, q.filters)
             for q in parsed], rounds
        )  # fmt: skip
        for mode in ("lexical", "semantic", "hybrid"):
            seconds[f"{cls}/{mode}"] = timed_calls(
                [lambda t=t, m=mode, o=operators: engine.search(t, mode=m, operators=o) for t in texts], rounds
            )
    if set(MIX) <= set(mix):
        for kind in ("lexical retriever", "semantic retriever", "lexical", "semantic", "hybrid"):  # the whole mix
            seconds[f"all/{kind}"] = [s for cls in MIX for s in seconds[f"{cls}/{kind}"]]
    if args.bm25s:
        seconds.update(bm25s_timings(store, {cls: mix[cls] for cls in LONG_CLASSES if cls in mix}, rounds, report))
    ids = [f"bench:{n}" for n in random.Random(2).sample(range(facts["papers"]), count)]
    seconds["similar"] = timed_calls([lambda i=i: engine.similar(i) for i in ids], rounds)
    report["latency_ms"] = {key: percentiles(values) for key, values in seconds.items()}
    report["memory"] = {**rss_mb(), "rss_before_open_mb": before}
    return report


def bm25s_timings(store: PaperStore, queries: dict[str, list[str]], rounds: int, report: dict) -> dict:
    """bm25s over the same papers (title + abstract, one field), top 20 of each query."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("english")
    started = time.perf_counter()
    texts = [f"{paper.title} {paper.abstract}" for paper in store.iter_papers(chunk=10_000)]
    retriever = bm25s.BM25(k1=1.5, b=0.75)
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)
    report["bm25s_index_s"] = round(time.perf_counter() - started, 1)
    del texts

    def search(text: str) -> None:
        tokens = bm25s.tokenize([text], stopwords="en", stemmer=stemmer, show_progress=False, return_ids=False)[0]
        words = [word for word in tokens if word in retriever.vocab_dict]
        if words:
            retriever.retrieve([words], k=20, show_progress=False, n_threads=1)

    return {
        f"{cls}/bm25s": timed_calls([lambda t=t: search(t) for t in texts], rounds) for cls, texts in queries.items()
    }


def print_report(name: str, report: dict) -> None:
    print(f"\n{name}: {report['build']['papers']} papers, engine opened in {report['open_s']} s, {report['memory']}")
    print(f"  {'query class / mode':<28} {'p50':>8} {'p95':>8} {'p99':>8}")
    for key, numbers in report["latency_ms"].items():
        print(f"  {key:<28} {numbers['p50']:>8} {numbers['p95']:>8} {numbers['p99']:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="87k,1m", help=f"corpora, comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--queries", type=int, default=100, help="queries per class")
    parser.add_argument("--rounds", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--rebuild-vectors", action="store_true", help="remake vectors from the real ones cached now")
    parser.add_argument("--bm25s", action="store_true", help="also time bm25s on the long query classes")
    parser.add_argument("--classes", help="query classes to time, comma-separated (default: all; 'all' needs the mix)")
    args = parser.parse_args()
    args.classes = args.classes.split(",") if args.classes else [*MIX, "sentence", PASTED]
    corpus_or_exit()
    titles, abstracts = [], []  # only these stay in memory while measuring
    for record in records():
        titles.append(record["title"])
        abstracts.append(" ".join((record.get("abstract") or "").split()))
    results = {}
    for name in args.sizes.split(","):
        results[name] = measure(name, titles, abstracts, args)
        print_report(name, results[name])
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
