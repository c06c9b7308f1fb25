"""Record the result pages tests/search/test_result_pages.py compares against (tests/fixtures/search-pages/).

The queries are the first :data:`PER_COLLECTION` of each evaluation collection in
``../shared/data/eval`` (the collections bench/quality.py scores) plus a few with operators, searched
over the demo corpus in every mode. Record with the code a change must not alter, before making it
(for example from a worktree of the previous commit: ``PYTHONPATH=<old>/src:. python scripts/...``)::

    .venv/bin/python scripts/record_search_pages.py [--eval ../shared/data/eval]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.search.result_pages

from papertide.config import Settings
from papertide.store import open_store
from tests.search.result_pages import FIXTURE, demo_engine, pages

PER_COLLECTION = 8
# The parser's paths that the collections' plain text does not take: phrases, field terms, exclusions, filters.
OPERATOR_QUERIES = [
    '"neural network" training',
    "title:transformer attention",
    "language models -vision",
    "diffusion cat:cs.CV",
    '"no paper holds this exact phrase" learning',
    "reinforcement learning year:2020..",
]


def eval_queries(folder: Path) -> list[dict]:
    queries = []
    for collection in sorted(path for path in folder.iterdir() if (path / "queries.jsonl").is_file()):
        with (collection / "queries.jsonl").open(encoding="utf-8") as lines:
            for number, line in enumerate(lines):
                if number == PER_COLLECTION:
                    break
                record = json.loads(line)
                queries.append({"collection": collection.name, "id": record["_id"], "text": record["text"]})
    return queries


def _compact(fixture: dict) -> str:
    """One query or page a line: small, and a diff shows which page changed."""
    lines = ",\n".join(json.dumps(item, ensure_ascii=False) for item in fixture["queries"])
    pages = ",\n".join(json.dumps(item, ensure_ascii=False) for item in fixture["pages"])
    return f'{{"queries": [\n{lines}\n],\n"pages": [\n{pages}\n]}}\n'


def main() -> int:
    default_eval = Path(__file__).resolve().parents[2] / "shared" / "data" / "eval"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=default_eval, help="folder of BEIR collections")
    args = parser.parse_args()
    if not args.eval.is_dir():
        print(f"skipped: {args.eval} is absent (the evaluation collections are not checked out here)")
        return 0
    queries = eval_queries(args.eval) + [{"collection": "operators", "id": str(n), "text": text}
                                         for n, text in enumerate(OPERATOR_QUERIES)]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        store = open_store(f"sqlite:///{tmp}/papertide.db")
        engine = demo_engine(store, settings)
        recorded = pages(engine, [query["text"] for query in queries])
        store.engine.dispose()
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    FIXTURE.write_text(_compact({"queries": queries, "pages": recorded}))
    print(f"{len(recorded)} pages of {len(queries)} queries -> {FIXTURE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
