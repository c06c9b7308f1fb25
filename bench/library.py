"""The library's costs on the 87k real conference papers: votes, imports, exports, the keys migration.

Loads the papers of ``../shared/data/corpora/conference-papers-87k.jsonl.gz`` (skips cleanly when
absent) into a fresh SQLite store in a temporary directory, every tenth with a DOI, then measures:

- a vote (insert or delete + exact count, one transaction): p50/p99 one at a time, and the
  throughput of 8 threads voting at once (the counts are checked to be exact afterwards);
- importing a 5,000-entry Zotero-style BibTeX file (the limit) and a RIS file of the same
  references: reading, matching (arXiv URL / DOI / title, 10% unknown) and saving, and the total;
- exporting those 5,000 papers as BibTeX;
- what drawing the vote and save buttons of a 20-card page costs a reader with 5,000 saved and
  1,000 upvoted papers (looked up per card), and one with 200 saves (read at once);
- migration 0005 on the loaded store: computing title and DOI keys for every paper, with its indexes.

    python bench/library.py [--papers 87691] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from corpus import CORPUS, corpus_records, record_authors

from papertide.library import Library
from papertide.library.bibtex import bibtex_references, escape_tex, write_bibtex
from papertide.library.collections import Collections
from papertide.library.imports import Importer, ImportLimits
from papertide.library.matching import match_references
from papertide.library.ris import ris_references
from papertide.library.votes import Votes
from papertide.model import Paper
from papertide.store import PaperStore, open_store
from papertide.store.accounts.store import AccountStore
from papertide.store.db.engine import _alembic_config
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from papertide.store.papers.keys import PaperKeyStore
from papertide.web.kit.schemas import paper_summary
from papertide.web.kit.viewer import Viewer

ENTRIES = 5_000
VOTES = 2_000
THREADS = 8


def paper_of(record: dict, serial: int) -> Paper:
    """A corpus paper with a fresh arXiv id, every tenth with a DOI (the corpus has none)."""
    return Paper(
        id=f"{serial // 90_000 + 1001:04d}.{serial % 90_000 + 1:05d}",
        title=record["title"],
        abstract=record.get("abstract") or "",
        authors=record_authors(record),
        categories=["cs.LG"],
        submitted=datetime(2024, 1 + serial % 12, 1, tzinfo=UTC),
        doi=f"10.5555/conf.{serial}" if serial % 10 == 0 else None,
        source="bench",
    )


def load(store: PaperStore, limit: int) -> list[Paper]:
    papers = [paper_of(r, n) for n, r in enumerate(r for r in corpus_records() if r.get("title"))][:limit]
    for start in range(0, len(papers), 2_000):
        store.write_batch(papers[start : start + 2_000])
    return papers


def milliseconds(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 3),
    }


def clocked(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def reference_files(papers: list[Paper], rng: random.Random) -> tuple[str, str, dict[str, int]]:
    """5,000 references as Zotero writes them: arXiv URL, DOI, title only, or a paper we do not hold."""
    kinds = {"arxiv": 0, "doi": 0, "title": 0, "unknown": 0}
    bib, ris = [], []
    for n, paper in enumerate(rng.sample(papers, ENTRIES)):
        kind = "unknown" if n % 10 == 9 else "doi" if paper.doi else ("arxiv", "title")[n % 2]
        kinds[kind] += 1
        title = paper.title if kind != "unknown" else f"A paper this library does not have, number {n}"
        authors = " and ".join(escape_tex(name) for name in paper.authors[:3]) or "Anonymous"
        fields = [f"\ttitle = {{{escape_tex(title)}}},", f"\tauthor = {{{authors}}},"]
        ris_lines = ["TY  - JOUR", f"TI  - {title}", *(f"AU  - {a}" for a in paper.authors[:3])]
        if kind == "arxiv":
            fields += [f"\turl = {{http://arxiv.org/abs/{paper.id}}},", f"\tnote = {{arXiv:{paper.id} [cs]}},"]
            ris_lines += [f"UR  - http://arxiv.org/abs/{paper.id}", f"N1  - arXiv:{paper.id} [cs]"]
        elif kind == "doi":
            fields.append(f"\tdoi = {{{paper.doi}}},")
            ris_lines.append(f"DO  - {paper.doi}")
        fields += [f"\tabstract = {{{escape_tex(paper.abstract)}}},", "\tyear = {2024},"]
        bib.append(f"@article{{ref{n},\n" + "\n".join(fields) + "\n}\n")
        ris.append("\n".join([*ris_lines, "PY  - 2024", "ER  - ", ""]))
    return "\n".join(bib), "\n".join(ris), kinds


def bench_votes(store: PaperStore, papers: list[Paper], rng: random.Random) -> dict:
    votes = VoteStore(store.engine)
    accounts = AccountStore(store.engine)
    users = [accounts.get_or_create_user(f"voter{n}@example.org")[0].pk for n in range(200)]
    pks = [p.pk for p in store.get_many_by_id([p.id for p in rng.sample(papers, 100)])]
    single = []
    for _ in range(VOTES):
        seconds, _ = clocked(lambda: votes.set_vote(rng.choice(users), rng.choice(pks), rng.random() < 0.8))
        single.append(seconds)
    target = pks[0]
    for user in users:
        votes.set_vote(user, target, False)
    start = threading.Barrier(THREADS)

    def vote_all(i: int) -> None:
        start.wait()
        for user in users[i::THREADS]:
            votes.set_vote(user, target, True)

    with ThreadPoolExecutor(THREADS) as pool:
        seconds, _ = clocked(lambda: list(pool.map(vote_all, range(THREADS))))
    assert votes.count(target) == len(users), "concurrent votes were lost"
    return {"one vote": milliseconds(single), f"{THREADS} threads": {"votes/s": round(len(users) / seconds)}}


def bench_import(store: PaperStore, papers: list[Paper], rng: random.Random) -> dict:
    bib, ris, kinds = reference_files(papers, rng)
    collections = Collections(CollectionStore(store.engine), store)
    keys = PaperKeyStore(store.engine)
    importer = Importer(keys, collections, ImportLimits(max_bytes=50_000_000, max_entries=ENTRIES))
    accounts = AccountStore(store.engine)
    reader = accounts.get_or_create_user("importer@example.org")[0]
    read_bib, references = clocked(lambda: bibtex_references(bib))
    read_ris, _ = clocked(lambda: ris_references(ris))
    matching, matches = clocked(lambda: match_references(references, keys))
    total, report = clocked(lambda: importer.run(reader, bib.encode(), "library.bib"))
    second = accounts.get_or_create_user("importer2@example.org")[0]
    total_ris, report_ris = clocked(lambda: importer.run(second, ris.encode(), "library.ris"))
    export, text = clocked(lambda: write_bibtex([s.paper for s in collections.all_papers(report.collection).papers]))
    for pk in rng.sample([p.pk for p in store.get_many_by_id([p.id for p in papers[:2_000]])], 1_000):
        VoteStore(store.engine).set_vote(reader.pk, pk, True)
    light = accounts.get_or_create_user("light@example.org")[0]
    collections.add_many(collections.default(light), [s.paper.pk for s in report_page(collections, report)[:200]])
    cards = [paper_summary(paper) for paper in store.get_many_by_id([p.id for p in rng.sample(papers, 20)])]
    library = Library(Votes(VoteStore(store.engine)), collections, importer, None)  # For you is not used here
    return {
        "file": {"entries": ENTRIES, "bytes": len(bib.encode()), **kinds},
        "read BibTeX s": round(read_bib, 3),
        "read RIS s": round(read_ris, 3),
        "match s": round(matching, 3),
        "import BibTeX s (read+match+save)": round(total, 3),
        "import RIS s": round(total_ris, 3),
        "matched": f"{report.matched} of {report.entries} (RIS {report_ris.matched})",
        "unmatched": len(matches.unmatched),
        "export 5,000 as BibTeX s": round(export, 3),
        "export bytes": len(text.encode()),
        "buttons of a 20-card page, 5,000 saves + 1,000 votes": milliseconds(page_state(reader, library, cards)),
        "buttons of a 20-card page, 200 saves": milliseconds(page_state(light, library, cards)),
    }


def report_page(collections: Collections, report) -> list:
    return collections.all_papers(report.collection).papers


def page_state(user, library: Library, cards: list) -> list[float]:
    """What drawing the vote and save buttons of ``cards`` costs (a fresh Viewer per page, as per request)."""

    def draw() -> None:
        viewer = Viewer(user, library)
        viewer.prefetch(cards)  # as a listing template does
        for card in cards:
            viewer.voted(card)
            viewer.saved_in(card)
        _ = viewer.collections

    return [clocked(draw)[0] for _ in range(30)]


def bench_migration(store: PaperStore) -> dict:
    config = _alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        seconds, _ = clocked(lambda: command.upgrade(config, "0005"))
    return {"migration 0005 s": round(seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=87_691, help="how many corpus papers to load")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if not CORPUS.exists():
        print(f"skipped: {CORPUS} is absent (the 87k corpus beside the repo in ../shared)")
        return
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as directory:
        store = open_store(f"sqlite:///{directory}/bench.db")
        seconds, papers = clocked(lambda: load(store, args.papers))
        results = {"papers": len(papers), "load s": round(seconds, 1)}
        results["votes"] = bench_votes(store, papers, rng)
        results["import/export"] = bench_import(store, papers, rng)
        results.update(bench_migration(store))
        store.engine.dispose()
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
