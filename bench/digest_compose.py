"""Composing and rendering digests: the per-subscriber cost the sender pays before SMTP.

A day's arrivals are the bundled demo corpus (1,271 real arXiv / Hugging Face papers) stored
again under fresh ids as if submitted and ingested in the hours before the delivery, about what
arXiv announces in a day across all archives, with their real categories and Hugging Face
upvotes; trending is refreshed over them. Subscribers choose 1-3 category patterns from the
popular ones; 40% keep 1-3 alerts (title words or an author's name from the corpus). Each is
composed (:class:`~papertide.digest.compose.Composer`) and rendered (``DigestMail.message`` and
the bytes that go over SMTP), as the worker does, in one process::

    .venv/bin/python bench/digest_compose.py [--subscribers 10000] [--json out.json]

Reported: digests/s over the whole run, and p50/p95/p99 per stage in ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from papertide.accounts.keys import Signer
from papertide.config import load_settings
from papertide.demo import DEMO_CORPUS
from papertide.digest.compose import Composer
from papertide.digest.preferences import Preferences
from papertide.digest.render import DigestMail
from papertide.digest.schedule import period_on
from papertide.errors import Conflict
from papertide.ingest import ingest
from papertide.mail.dkim import wire_bytes
from papertide.model import Paper, Signal
from papertide.search.engine import SearchEngine
from papertide.search.lexical import LexicalIndex
from papertide.sources.jsonl import JsonlSource
from papertide.store.db import create_store_engine, migrate
from papertide.store.digest import SubscriptionStore
from papertide.store.papers import PaperStore
from papertide.trending import ScoreParams, Trending
from papertide.web.taxonomy import POPULAR

DELIVERY = datetime(2026, 12, 1, 8, tzinfo=UTC)  # a Tuesday, 08:00 UTC


def percentiles_ms(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    pick = lambda share: ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000  # noqa: E731
    return {"p50": round(pick(0.50), 2), "p95": round(pick(0.95), 2), "p99": round(pick(0.99), 2)}


def build(directory: Path, subscribers: int) -> tuple[Composer, DigestMail, SubscriptionStore, dict]:
    settings = load_settings(data_dir=directory, base_url="https://papers.example.org")
    engine = create_store_engine(settings.resolved_database_url)
    migrate(engine)
    now = [DELIVERY - timedelta(hours=6)]
    store = PaperStore(engine, clock=lambda: now[0])
    rng = random.Random(11)
    papers = []
    demo = [item for item in JsonlSource(DEMO_CORPUS).items() if isinstance(item, Paper)]
    for number, paper in enumerate(demo):
        submitted = DELIVERY - timedelta(hours=rng.uniform(10, 40))
        upvotes = [Signal("hf_upvotes", float(rng.choice([0, 0, 0, 1, 3, 8, 20, 60])), DELIVERY - timedelta(hours=7))]
        papers.append(replace(paper, id=f"2611.{number:05d}", submitted=submitted, versions=[], signals=upvotes))
    ingest(papers, store)
    lexical = LexicalIndex.open(settings.index_dir / "lexical")
    lexical.update_from(store)
    now[0] = DELIVERY
    trending = Trending(
        store, ScoreParams.from_settings(settings), refresh_after=timedelta(hours=1), clock=lambda: DELIVERY
    )
    trending.refresh()

    subscriptions = SubscriptionStore(engine, clock=lambda: DELIVERY - timedelta(days=3))
    words = [w for p in papers for w in p.display_title.split() if len(w) > 6 and w.isalpha()]
    authors = [name for p in papers for name in p.display_authors[:2] if '"' not in name]
    for number in range(subscribers):
        chosen = Preferences.parse({"categories": rng.sample(POPULAR, rng.randint(1, 3)), "max_papers": 10})
        subscription = subscriptions.get_or_create(f"reader{number}@example.org", chosen.to_dict(), f"n{number}")
        subscriptions.activate(subscription.pk)
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 3)):
                kind, value = ("author", rng.choice(authors)) if rng.random() < 0.3 else ("search", rng.choice(words))
                with contextlib.suppress(Conflict):  # the same alert twice: one is kept
                    subscriptions.add_alert(subscription.pk, kind, value, limit=20)
    search = SearchEngine(store, lexical, None, None)
    composer = Composer(settings, store, search, subscriptions, trending)
    info = {"papers": len(papers), "subscribers": subscribers}
    return composer, DigestMail(settings, Signer(b"bench" * 8)), subscriptions, info


def run(subscribers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as directory:
        started = time.perf_counter()
        composer, mail, subscriptions, info = build(Path(directory), subscribers)
        info["setup_s"] = round(time.perf_counter() - started, 1)
        compose_s, render_s, sizes, skipped = [], [], [], 0
        began = time.perf_counter()
        after = 0
        while chunk := subscriptions.active_after(after, 1000):
            for subscription in chunk:
                period = period_on(Preferences.from_dict(subscription.preferences), DELIVERY.date())
                t0 = time.perf_counter()
                digest = composer.compose(subscription, period)
                t1 = time.perf_counter()
                compose_s.append(t1 - t0)
                if digest is None:
                    skipped += 1
                    continue
                raw = wire_bytes(mail.message(digest, date=DELIVERY))
                render_s.append(time.perf_counter() - t1)
                sizes.append(len(raw))
            after = chunk[-1].pk
        elapsed = time.perf_counter() - began
    return {
        **info,
        "digests": len(render_s),
        "skipped": skipped,
        "digests_per_s": round(subscribers / elapsed, 1),
        "compose_ms": percentiles_ms(compose_s),
        "render_ms": percentiles_ms(render_s),
        "mean_bytes": round(sum(sizes) / max(1, len(sizes))),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    result = run(args.subscribers)
    print(f"{result['papers']} papers arrived, {result['subscribers']} subscribers (setup {result['setup_s']} s)")
    print(f"{'stage':<10} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for stage in ("compose", "render"):
        row = result[f"{stage}_ms"]
        print(f"{stage:<10} {row['p50']:>8} {row['p95']:>8} {row['p99']:>8}")
    print(f"{result['digests']} digests ({result['skipped']} skipped), {result['digests_per_s']} subscribers/s, "
          f"{result['mean_bytes']} bytes each on average")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
