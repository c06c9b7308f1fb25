"""What a feed costs: a full answer (query, validators, XML) against a conditional GET answered 304.

Serves :func:`papertide.web.app.create_app` in process (ASGI, no sockets: the app's own cost) over
a papertide data directory, by default the demo corpus prepared as ``bench/web_load.py`` does, and
asks each feed ``--requests`` times plainly and as often with the ETag it was given. Prints a
table of p50/p95 latency per feed and answer, and the feed's size (trending is left out: the
demo corpus has no attention in its windows, and its feed shares this code path)::

    .venv/bin/python bench/feeds.py [--data-dir DIR] [--requests 200] [--json out.json]

The 304 still runs the feed's query (the validators come from the listed papers); what it skips
is building and sending the XML, the part that grows with the entries and their abstracts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from corpus import percentiles_ms
from fastapi.testclient import TestClient
from web_load import DEMO_DIR, prepare_demo

from papertide.config import load_settings
from papertide.web.app import create_app

FEEDS = {
    "new": ("/feeds/new.atom", {}),
    "new cs.*": ("/feeds/new.atom", {"category": "cs.*", "exclude": "cs.CR"}),
    "search lexical": ("/feeds/search.atom", {"q": "quantum entanglement", "mode": "lexical"}),
    "search hybrid": ("/feeds/search.atom", {"q": "quantum entanglement"}),
    "new (rss)": ("/feeds/new.rss", {}),
}


def timed(client: TestClient, path: str, params: dict, headers: dict, count: int, status: int) -> list[float]:
    seconds = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path, params=params, headers=headers)
        seconds.append(time.perf_counter() - started)
        assert response.status_code == status, (path, response.status_code, response.text[:200])
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="a papertide data directory (default: the demo corpus)")
    parser.add_argument("--requests", type=int, default=200, help="requests per feed and kind of answer")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    data_dir = args.data_dir or prepare_demo(DEMO_DIR)
    app = create_app(load_settings(data_dir=data_dir))
    results: dict[str, dict] = {}
    with TestClient(app) as client:
        for name, (path, params) in FEEDS.items():
            first = client.get(path, params=params)
            etag, size = first.headers["etag"], len(first.content)
            timed(client, path, params, {}, 10, 200)  # warm up
            full = timed(client, path, params, {}, args.requests, 200)
            cached = timed(client, path, params, {"If-None-Match": etag}, args.requests, 304)
            results[name] = {
                "size_kb": round(size / 1024, 1),
                "entries": first.text.count("<entry>") + first.text.count("<item>"),
                "full": percentiles_ms(full),
                "not_modified": percentiles_ms(cached),
            }
    print(f"{'feed':<16} {'entries':>7} {'KB':>7} {'200 p50':>9} {'200 p95':>9} {'304 p50':>9} {'304 p95':>9}")
    for name, row in results.items():
        full, cached = row["full"], row["not_modified"]
        print(
            f"{name:<16} {row['entries']:>7} {row['size_kb']:>7} {full['p50_ms']:>9.2f} {full['p95_ms']:>9.2f} "
            f"{cached['p50_ms']:>9.2f} {cached['p95_ms']:>9.2f}"
        )
    print("milliseconds per request, in process (ASGI); the 304 runs the query, not the XML")
    if args.json:
        args.json.write_text(json.dumps({"data_dir": str(data_dir), "feeds": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
