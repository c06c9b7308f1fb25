"""What an author page costs in a large library: the page, its "most upvoted" tab, its feed and a 404.

Builds (once, cached under ``bench/.cache/authors-<papers>``) a synthetic library: papers of two to
eight authors drawn from a Zipf-like pool of names (accents, initials and case variants among them), a
prolific name on ``--prolific`` papers, and a collaboration of 3,000 names signing 200 papers. It is
indexed lexically only (author pages need no vectors). Then it asks each page ``--requests`` times
in process (ASGI, no sockets: the app's own cost) and prints p50/p95 per page::

    .venv/bin/python bench/authors.py [--papers 1000000] [--requests 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from corpus import percentiles_ms
from fastapi.testclient import TestClient

from papertide.author_names import author_path
from papertide.config import load_settings
from papertide.model import Paper
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from papertide.web.app import create_app

CACHE = Path(__file__).parent / ".cache"
FIRST = ["John", "Jürgen", "Ana", "Wei", "Łukasz", "Zoë", "Priya", "Mohamed", "Sofia", "Kenji", "Olga", "David"]
LAST = ["Smith", "Schmidhuber", "García", "Wang", "Kaiser", "Ørsted", "Patel", "Ali", "Rossi", "Tanaka", "Ivanova"]
PROLIFIC = "Yann Prolific"
MEMBER = "Member 1234 Collab"


def build(data_dir: Path, papers: int, prolific: int) -> None:
    settings = load_settings(data_dir=data_dir)
    store = open_store(settings.resolved_database_url)
    if store.count() >= papers:
        return
    rng = random.Random(0)
    pool = [f"{f}{i} {last}" for i in range(papers // 20) for f, last in [(rng.choice(FIRST), rng.choice(LAST))]]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    batch: list[Paper] = []
    for n in range(papers):
        authors = list(dict.fromkeys(_pick(pool, rng) for _ in range(rng.randint(2, 8))))
        if n % (papers // prolific) == 0:
            authors.append(rng.choice([PROLIFIC, PROLIFIC.upper(), "Y. Prolific"]))
        if n % (papers // 200) == 1:
            authors = [f"Member {i} Collab" for i in range(3000)]
        day = start + timedelta(minutes=n)
        category = rng.choice(["cs.LG", "cs.CL", "math.AG", "hep-th"])
        paper = Paper(f"b.{n}", f"Paper {n}", "An abstract.", authors=authors, categories=[category], submitted=day)
        batch.append(paper)
        if len(batch) == 2000:
            store.write_batch(batch)
            batch = []
    store.write_batch(batch)
    update_indexes(store, settings, embed=False)


def _pick(pool: list[str], rng: random.Random) -> str:
    """Half the names from a long tail (a few sign very often), half uniformly."""
    if rng.random() < 0.5:
        return pool[min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)]
    return pool[rng.randrange(len(pool))]


def timed(client: TestClient, path: str, params: dict, count: int, status: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, params=params)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == status, (path, response.status_code, response.text[:300])
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--prolific", type=int, default=1000, help="papers of the prolific name")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data_dir = CACHE / f"authors-{args.papers}"
    started = time.perf_counter()
    build(data_dir, args.papers, args.prolific)
    print(f"library ready in {time.perf_counter() - started:.1f} s")
    settings = load_settings(data_dir=data_dir, trusted_hosts=["testserver"])
    app = create_app(settings)
    typical = app.state.services.store.get("b.2").authors[0]  # drawn from the long tail or uniformly
    pages = {
        "typical": (author_path(typical), {}, 200),
        "prolific newest": (author_path(PROLIFIC), {}, 200),
        "prolific upvoted": (author_path("y prolific"), {"order": "upvoted"}, 200),
        "prolific page 40": (author_path(PROLIFIC), {"page": "40"}, 200),
        "collaboration": (author_path(MEMBER), {}, 200),
        "feed": (f"/feeds/author/{PROLIFIC}.atom", {}, 200),
        "unknown (404)": (author_path("Nobody Known"), {}, 404),
    }
    results = {}
    with TestClient(app) as client:
        for name, (path, params, status) in pages.items():
            timed(client, path, params, 5, status)  # warm up
            results[name] = percentiles_ms(timed(client, path, params, args.requests, status))
    print(f"{'page':<18} {'p50 ms':>8} {'p95 ms':>8}")
    for name, row in results.items():
        print(f"{name:<18} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f}")
    if args.json:
        args.json.write_text(json.dumps({"papers": args.papers, "pages": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
