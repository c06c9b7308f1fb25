"""Discussions at scale: 1M papers, 1M comments on 100k of them; a paper page with 200 comments and the
"Most discussed this week" tab, served by the real web app in process.

The library is built once under ``bench/.cache/discussion-<size>`` (SQLite, the production schema):
the papers as ``bench/trending.py`` makes them (the 87k conference papers' text under fresh ids,
submitted over 3.5 years), 20k accounts, and the comments bulk-inserted in one transaction per
chunk: 200 on one paper (a third of them replies), the rest over 100k papers drawn by a heavy-tailed
appeal, written over the year before ``NOW``, more of them lately; 2% hidden or deleted. Each paper's
count in ``paper_discussions`` is then computed by one ``INSERT ... SELECT``.

Measured through :func:`papertide.web.app.create_app` in process (``TestClient``, no sockets; the
app's clock at ``NOW``), warm, ``--requests`` times each: the paper page of the 200-comment paper,
``/discussed``, ``/api/v1/discussed``, that paper's discussion feed, and a 30-card listing (``/new``)
with its comment counts; then the paper page and the tab again for a signed-in reader, whose pages are
rendered for every request (a visitor's are kept while nothing on them changes). Each row says the
one-minute load average after it. The table says how many comments the paper page rendered, so a run
on a branch whose paper page does not draw the discussion yet is not mistaken for one that does::

    nice -n 5 .venv/bin/python bench/discussion.py [--small] [--requests 300] [--rebuild] [--json out.json]

Targets (issue 24): the paper page within 50 ms p99, the tab within 20 ms p99. Without
``../shared/data/corpora`` the script exits 0 with a message.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
from corpus import CACHE, corpus_or_exit
from fastapi.testclient import TestClient
from trending import DAY, NOW, _paper_times, _papers, _stamps

from papertide.config import load_settings
from papertide.discussion.render import render_markdown
from papertide.ingest.pipeline import ingest
from papertide.store import PaperStore
from papertide.store.db.engine import create_store_engine, migrate
from papertide.web.app import create_app
from papertide.web.kit.auth import SESSION_COOKIE

SIZES = {"full": (1_000_000, 1_000_000, 100_000), "small": (50_000, 50_000, 5_000)}
USERS = 20_000
THREAD = 200  # comments on the measured paper
TARGETS_MS = {"paper page (200 comments)": 50.0, "most discussed tab": 20.0}
COMMENT_DAYS = 365
BODIES = (
    "Nice result. How does it compare with $O(n \\log n)$ baselines?",
    "The ablation in Table 3 is **convincing**, but the code link is broken.",
    "See also [the earlier work](https://arxiv.org/abs/1706.03762), which proves a similar bound.",
    "Does the theorem still hold when $\\alpha > 1$? The proof seems to assume $\\alpha \\le 1$.\n\n- point one\n- two",
)

HTML = tuple(render_markdown(body) for body in BODIES)


def build(size: str, rebuild: bool) -> tuple[Path, dict]:
    """The cached data directory of ``size`` (built now when missing or ``rebuild``) and facts about it."""
    papers_n, comments_n, discussed_n = SIZES[size]
    directory = CACHE / f"discussion-{size}"
    facts_path = directory / "build.json"
    if rebuild:
        for path in directory.glob("papertide.db*"):
            path.unlink()
        facts_path.unlink(missing_ok=True)
    if facts_path.exists():
        return directory, json.loads(facts_path.read_text())
    corpus_or_exit()
    directory.mkdir(parents=True, exist_ok=True)
    settings = load_settings(data_dir=directory)
    engine = create_store_engine(settings.resolved_database_url)
    migrate(engine)
    store = PaperStore(engine, clock=lambda: NOW)
    print(f"building {papers_n:,} papers, {comments_n:,} comments on {discussed_n:,} papers in {directory}", flush=True)
    rng = np.random.default_rng(24)
    facts: dict = {"papers": papers_n, "comments": comments_n, "discussed_papers": discussed_n, "users": USERS}
    started = time.perf_counter()
    times = _paper_times(papers_n, rng)
    raw = engine.raw_connection()
    if raw.execute("SELECT COUNT(*) FROM comments").fetchone()[0]:
        sys.exit(f"{directory} holds a partly written discussion: build it again with --rebuild")
    if raw.execute("SELECT COUNT(*) FROM papers").fetchone()[0]:
        print("  papers already stored by an interrupted build: going on from there", flush=True)
    else:
        ingest(_papers(times, rng), store, batch_size=5000)
        facts["ingest_s"] = round(time.perf_counter() - started, 1)
        print(f"  papers in {facts['ingest_s']} s", flush=True)
    # Ingest merges papers that share an id, so there are a few fewer than asked: keys run 1..stored.
    facts["papers"] = stored = raw.execute("SELECT MAX(pk) FROM papers").fetchone()[0]
    try:
        user_stamps = _stamps(NOW.timestamp() - 400 * DAY + 30 * DAY * rng.random(USERS))
        raw.executemany(
            "INSERT INTO users (pk, email, created_at) VALUES (?, ?, ?)",
            ((n + 1, f"reader{n}@example.org", stamp) for n, stamp in enumerate(user_stamps)),
        )
        clock = time.perf_counter()
        facts["thread_paper_pk"] = _write_comments(raw, stored, comments_n, discussed_n, rng)
        facts["comments_s"] = round(time.perf_counter() - clock, 1)
        print(f"  comments in {facts['comments_s']} s", flush=True)
        raw.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    facts["build_s"] = round(time.perf_counter() - started, 1)
    facts["database_mb"] = round((directory / "papertide.db").stat().st_size / 1e6)
    facts_path.write_text(json.dumps(facts, indent=2) + "\n")
    engine.dispose()
    return directory, facts


def _write_comments(raw, papers_n: int, comments_n: int, discussed_n: int, rng: np.random.Generator) -> int:
    """Insert the comments (keys in time order) on papers 1..``papers_n`` and the per-paper counts; the
    measured paper's key."""
    thread_paper = papers_n  # the newest paper: its page is the one measured
    discussed = rng.choice(papers_n - 1, size=discussed_n, replace=False) + 1
    appeal = 1.0 / np.arange(1, discussed_n + 1) ** 0.9
    rest = comments_n - THREAD
    on = discussed[rng.choice(discussed_n, size=rest, p=appeal / appeal.sum())]
    written = np.sort(NOW.timestamp() - COMMENT_DAYS * DAY * rng.random(rest) ** 1.5)[::-1].copy()
    written.sort()
    thread_times = NOW.timestamp() - 3 * DAY + 3 * DAY * np.sort(rng.random(THREAD))
    users = rng.integers(1, USERS + 1, size=comments_n)
    gone = rng.random(comments_n) < 0.02
    stamps = _stamps(written)
    rows = []
    for i in range(rest):
        hidden = stamps[i] if gone[i] and i % 2 else None
        deleted = stamps[i] if gone[i] and not i % 2 else None
        body, html = ("", "") if deleted else (BODIES[i % len(BODIES)], HTML[i % len(BODIES)])
        rows.append((int(on[i]), int(users[i]), None, body, html, stamps[i], deleted, hidden))
    for chunk in range(0, len(rows), 200_000):
        raw.executemany(
            "INSERT INTO comments (paper_pk, user_pk, parent_pk, body, html, score, created_at, deleted_at, hidden_at) "
            "VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
            rows[chunk : chunk + 200_000],
        )
        raw.commit()
    first = raw.execute("SELECT COALESCE(MAX(pk), 0) FROM comments").fetchone()[0] + 1
    for n, stamp in enumerate(_stamps(thread_times)):
        parent = first + int(rng.integers(0, n)) if n and n % 3 == 0 else None
        raw.execute(
            "INSERT INTO comments (pk, paper_pk, user_pk, parent_pk, body, html, score, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (first + n, thread_paper, int(users[rest + n]), parent, BODIES[n % 4], HTML[n % 4], n % 7, stamp),
        )
    raw.execute(
        "INSERT INTO paper_discussions (paper_pk, comments, last_comment_at) SELECT paper_pk, "
        "SUM(deleted_at IS NULL AND hidden_at IS NULL), MAX(created_at) FROM comments GROUP BY paper_pk"
    )
    raw.commit()
    return thread_paper


def _timed(client: TestClient, path: str, count: int) -> tuple[list[float], str]:
    seconds, body = [], ""
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        body = response.text
    return seconds, body


def _ms(seconds: list[float]) -> dict[str, float]:
    ms = np.array(seconds) * 1000
    return {f"p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)}


def measure(directory: Path, facts: dict, requests: int) -> dict:
    settings = load_settings(data_dir=directory)
    store = PaperStore(create_store_engine(settings.resolved_database_url), clock=lambda: NOW)
    [paper] = store.get_many([facts["thread_paper_pk"]])
    pages = {
        "paper page (200 comments)": f"/paper/{paper.paper_id}",
        "most discussed tab": "/discussed",
        "most discussed API (20)": "/api/v1/discussed",
        "discussion feed (Atom, 50)": f"/feeds/paper/{paper.paper_id}/discussion.atom",
        "new papers (30 cards, counts)": "/new",
    }
    results = {}
    with TestClient(create_app(settings, store, clock=lambda: NOW, freeze_heap=True)) as client:  # as serve's
        for name, path in pages.items():
            results[name] = _row(client, path, requests, TARGETS_MS.get(name))
        rendered = len(re.findall(r'id="comment-\d+"', client.get(pages["paper page (200 comments)"]).text))
        # A signed-in reader's pages carry their votes, buttons and CSRF token: rendered for every request.
        services = client.app.state.services
        user, _ = services.accounts.get_or_create_user("bench-reader@example.org")
        client.cookies.set(SESSION_COOKIE, services.sessions.start(user))
        for name in ("paper page (200 comments)", "most discussed tab"):
            results[f"{name}, signed in"] = _row(client, pages[name], requests)
    results["paper page (200 comments)"]["comments_rendered"] = rendered
    return results


def _row(client: TestClient, path: str, requests: int, target_ms: float | None = None) -> dict:
    _timed(client, path, 5)  # warm: templates compiled, pages cached
    seconds, body = _timed(client, path, requests)
    row = {"path": path, **_ms(seconds), "bytes": len(body.encode()), "load_average": os.getloadavg()[0]}
    if target_ms is not None:
        row |= {"target_p99_ms": target_ms, "met": row["p99_ms"] <= target_ms}
    return row


def print_table(size: str, facts: dict, results: dict) -> None:
    print(
        f"\n{facts['papers']:,} papers, {facts['comments']:,} comments on {facts['discussed_papers']:,} papers "
        f"({size}; SQLite {facts.get('database_mb', '?')} MB; built in {facts.get('build_s', '?')} s)"
    )
    print(f"{'page':<43} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'target':>8} {'KB':>7} {'load':>5}")
    for name, row in results.items():
        target = f"<={row['target_p99_ms']:g}" if "target_p99_ms" in row else "-"
        verdict = "" if "met" not in row else ("  met" if row["met"] else "  NOT met")
        print(
            f"{name:<43} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['p99_ms']:>8.2f} {target:>8} "
            f"{row['bytes'] / 1024:>7.1f} {row['load_average']:>5.1f}{verdict}"
        )
    print(f"comments drawn on the paper page: {results['paper page (200 comments)']['comments_rendered']} of {THREAD}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="50k papers and 50k comments on 5k of them")
    parser.add_argument("--requests", type=int, default=300, help="requests per page")
    parser.add_argument("--rebuild", action="store_true", help="build the cached library again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    size = "small" if args.small else "full"
    directory, facts = build(size, args.rebuild)
    results = measure(directory, facts, args.requests)
    print_table(size, facts, results)
    if args.json:
        args.json.write_text(json.dumps({"size": size, "build": facts, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
