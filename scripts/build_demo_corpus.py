"""Build the bundled demo corpus from the real recorded responses in ../shared/data/fixtures.

Every record goes through papertide's own sources and ingest pipeline: the recorded arXiv API,
OAI-PMH and Hugging Face answers are served by a local HTTP server to the real source classes;
the Kaggle snapshot sample is read by the Kaggle source; the arXiv ``.abs`` records (already parsed
to JSONL upstream) are mapped to papers with the sources' own parsing helpers. The result is
exported with ``export_jsonl`` to ``src/papertide/ingest/demo/papers.jsonl.gz``. Run it again whenever
the sources change:

    .venv/bin/python scripts/build_demo_corpus.py [--fixtures ../shared/data/fixtures]

Licences: arXiv metadata is CC0; the recorded responses' licences are in tests/fixtures/README.md.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from papertide.ingest.demo import DEMO_CORPUS
from papertide.ingest.export import export_jsonl
from papertide.ingest.pipeline import ingest
from papertide.ingest.sources.arxiv_api import ArxivApiSource
from papertide.ingest.sources.base import Item
from papertide.ingest.sources.hf_daily import HfDailySource
from papertide.ingest.sources.http import HttpClient
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.ingest.sources.oai import OaiSource
from papertide.ingest.sources.parsing import parse_rfc2822, split_authors
from papertide.model import Paper, arxiv_links, parse_arxiv_id
from papertide.store import open_store

ROOT = Path(__file__).resolve().parents[1]


class FixtureServer:
    """Serves fixed bodies by path on 127.0.0.1 (query strings are ignored)."""

    def __init__(self) -> None:
        self.bodies: dict[str, bytes] = {}
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = bodies.get(self.path.split("?", 1)[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def add(self, path: str, body: bytes) -> str:
        self.bodies[path] = body
        return self.url + path

    def close(self) -> None:
        self._httpd.shutdown()


def arxiv_api_items(server: FixtureServer, http: HttpClient, folder: Path) -> Iterator[Item]:
    for number, path in enumerate(sorted(folder.glob("*.json"))):
        recorded = json.loads(path.read_text())
        if recorded.get("status_code", 200) != 200:
            continue  # the recorded HTTP 400 holds no paper
        body = recorded["body"].encode("latin-1")  # the recorder stored UTF-8 bytes decoded as Latin-1
        entries = body.count(b"<entry>") + body.count(b"<entry ")
        if not entries:
            continue
        url = server.add(f"/api/{number}", body)
        yield from ArxivApiSource(
            http, search_query="all", max_results=entries, page_size=entries, base_url=url
        ).items()


def oai_items(server: FixtureServer, http: HttpClient, folder: Path) -> Iterator[Item]:
    for path in sorted((folder / "arxiv-format").glob("*.xml")):
        body = path.read_bytes()
        url = server.add(f"/oai/{path.name}", body)
        if b"<ListRecords" in body:
            yield from OaiSource(http, metadata_prefix="arXiv", base_url=url).items()


def hf_items(server: FixtureServer, http: HttpClient, folder: Path) -> Iterator[Item]:
    daily = (folder / "daily_papers_2024-10-25.json").read_bytes()
    entry = json.loads((folder / "daily_papers_entry_2026-03-06_2602.23229.json").read_text())
    for day, body in ((date(2024, 10, 25), daily), (date(2026, 3, 6), json.dumps([entry]).encode())):
        observed = datetime(day.year, day.month, day.day, 23, 0, tzinfo=UTC)  # the day the answer was recorded
        url = server.add(f"/hf/{day}", body)
        yield from HfDailySource(http, start=day, base_url=url, clock=lambda observed=observed: observed).items()


def abs_items(path: Path) -> Iterator[Item]:
    """The arXiv ``.abs`` records, already parsed to JSON upstream (one dated line per version)."""
    for line in path.read_text().splitlines():
        record = json.loads(line)
        paper_id, _ = parse_arxiv_id(record["id"])
        created = [parse_rfc2822(d.split("  ")[0].strip()) for d in record.get("dates") or []]
        abs_url, pdf_url = arxiv_links(paper_id)
        yield Paper(
            id=paper_id,
            title=record["title"],
            abstract=record.get("abstract") or "",
            version=max(len(created), 1),
            authors=split_authors(record.get("authors") or ""),
            categories=(record.get("categories") or "").split(),
            submitted=created[0] if created else None,
            updated=created[-1] if created else None,
            doi=record.get("doi") or None,
            url_abs=abs_url,
            url_pdf=pdf_url,
            source="arxiv-abs",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fixtures", type=Path, default=ROOT.parent / "shared" / "data" / "fixtures")
    args = parser.parse_args()
    fixtures: Path = args.fixtures
    server = FixtureServer()
    http = HttpClient(contact="demo-build@localhost", min_interval={"127.0.0.1": 0})
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/demo.db")
        # Older, poorer records first, so richer and newer ones update them as in real use.
        streams = [
            ("arxiv .abs records", abs_items(fixtures / "arxiv-abs" / "abs_ftp_parsed.jsonl")),
            ("Kaggle snapshot", KaggleSource(next((fixtures / "kaggle-snapshot").glob("*.jsonl"))).items()),
            ("OAI-PMH", oai_items(server, http, fixtures / "oai-pmh")),
            ("arXiv API", arxiv_api_items(server, http, fixtures / "arxiv-api")),
            ("Hugging Face daily papers", hf_items(server, http, fixtures / "hf-daily-papers")),
        ]
        for label, items in streams:
            summary = ingest(items, store)
            print(f"{label:28} {summary.as_dict()}")
            for error in summary.errors:
                print(f"  rejected: {error}")
        buffer = io.StringIO()
        count = export_jsonl(store, buffer)
    server.close()
    DEMO_CORPUS.parent.mkdir(parents=True, exist_ok=True)
    with gzip.GzipFile(DEMO_CORPUS, "wb", mtime=0) as out:  # mtime=0: the same input builds the same bytes
        out.write(buffer.getvalue().encode())
    print(f"{count} papers -> {DEMO_CORPUS.relative_to(ROOT)} ({DEMO_CORPUS.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
