"""papertide's own JSONL format: round trip of real papers, and bad lines."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from papertide.errors import RecordError
from papertide.ingest.sources.jsonl import JsonlSource
from papertide.ingest.sources.kaggle import KaggleSource
from papertide.model import Paper, Signal, paper_to_dict
from tests.sources.replay import FIXTURES

SNAPSHOT = FIXTURES / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"


def real_papers() -> list[Paper]:
    found = [item for item in KaggleSource(SNAPSHOT).items() if isinstance(item, Paper)]
    found[0].signals.append(Signal("hf_upvotes", 12.0, datetime(2024, 10, 25, 18, 0, tzinfo=UTC)))
    return found


def test_round_trip_of_exported_papers(tmp_path: Path) -> None:
    originals = real_papers()
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(paper_to_dict(paper)) + "\n" for paper in originals), encoding="utf-8")

    loaded = list(JsonlSource(path).items())

    assert loaded == originals
    assert loaded[0].source == "kaggle"  # provenance survives the export


def test_gzipped_file(tmp_path: Path) -> None:
    originals = real_papers()[:10]
    path = tmp_path / "export.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.writelines(json.dumps(paper_to_dict(paper)) + "\n" for paper in originals)

    assert list(JsonlSource(path).items()) == originals


def test_bad_lines_name_path_line_and_field(tmp_path: Path) -> None:
    good = paper_to_dict(real_papers()[1])
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "version": "two"}),
        "",
        json.dumps({k: v for k, v in good.items() if k != "title"}),
        json.dumps({**good, "popularity": 3}),
        json.dumps({**good, "id": "https://arxiv.org/abs/0704.0002"}),
        json.dumps(good),
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    items = list(JsonlSource(path).items())

    assert sum(isinstance(item, Paper) for item in items) == 2
    errors = [(item.location, item.field) for item in items if isinstance(item, RecordError)]
    assert errors == [
        (f"{path}:2", None),
        (f"{path}:3", "version"),
        (f"{path}:5", "title"),
        (f"{path}:6", None),
        (f"{path}:7", "id"),
    ]
    assert "invalid JSON" in items[1].reason
    assert "popularity" in items[4].reason


def test_progress_reaches_the_file_size(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps(paper_to_dict(real_papers()[0])) + "\n", encoding="utf-8")
    reports: list[tuple[int, int]] = []

    list(JsonlSource(path, on_progress=lambda done, total: reports.append((done, total))).items())

    assert reports == [(path.stat().st_size, path.stat().st_size)]
