"""The CLI end to end: real SQLite, the real local HTTP server replaying recorded responses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.store import open_store
from papertide.store.papers.store import PaperFilter
from tests.sources.replay import RecordedServer, Reply, arxiv_api_reply, fixture_bytes

KAGGLE = Path(__file__).parent / "fixtures" / "kaggle-snapshot" / "kaggle-arxiv-metadata-oai-snapshot.head.jsonl"
WEB_PAPERS = Path(__file__).parent / "web" / "papers.jsonl"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERTIDE_DATABASE_URL", raising=False)
    return tmp_path / "data"


@pytest.fixture
def server():
    recorded = RecordedServer()
    yield recorded
    recorded.close()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def store_of(data_dir: Path):
    return open_store(f"sqlite:///{data_dir / 'papertide.db'}")


def test_every_command_has_help() -> None:
    for command in (
        [], ["init"], ["demo"], ["stats"], ["export", "jsonl"], ["ingest"], ["ingest", "oai"], ["ingest", "arxiv"],
        ["ingest", "kaggle"], ["ingest", "hf-daily"], ["ingest", "jsonl"], ["index"], ["search"], ["serve"],
        ["mail"], ["mail", "list"], ["mail", "show"], ["db"], ["db", "upgrade"], ["db", "migrate-to"], ["trending"],
    ):  # fmt: skip
        code, out, _ = run(*command, "--help")
        assert code == 0, command
        assert "Usage" in out


def test_demo_stats_export_roundtrip(data_dir: Path, tmp_path: Path) -> None:
    code, out, _ = run("demo")
    assert code == 0
    assert "1271" in out
    code, out, _ = run("demo")
    assert code == 0 and "1271" in out  # all unchanged the second time
    assert store_of(data_dir).count() == 1271
    code, out, _ = run("stats")
    assert code == 0 and "hf-daily" in out and "astro-ph" in out

    export = tmp_path / "export.jsonl"
    assert run("export", "jsonl", "-o", str(export))[0] == 0
    lines = export.read_text().splitlines()
    assert len(lines) == 1271
    upvoted = [json.loads(line) for line in lines if '"hf_upvotes"' in line]
    assert upvoted and upvoted[0]["signals"][0]["value"] >= 0

    other = tmp_path / "other"
    code, out, _ = run("--data-dir", str(other), "ingest", "jsonl", str(export))
    assert code == 0
    copy = open_store(f"sqlite:///{other / 'papertide.db'}")
    original = store_of(data_dir).get("2410.17243")
    assert copy.get("2410.17243").paper == original.paper
    assert copy.get("2410.17243").signals == original.signals


def test_kaggle_bad_lines_are_reported_and_the_rest_loads(data_dir: Path, tmp_path: Path) -> None:
    lines = KAGGLE.read_text().splitlines()
    broken = tmp_path / "snapshot.jsonl"
    broken.write_text("\n".join([lines[0], "{not json", lines[1], '{"id": "0704.9999"}', *lines[2:10]]) + "\n")
    code, out, err = run("ingest", "kaggle", str(broken))
    assert code == 1
    assert f"{broken}:2" in err and f"{broken}:4" in err
    assert "title" in err
    assert "10" in out and "2" in out  # added 10, rejected 2
    assert store_of(data_dir).count() == 10


def test_kaggle_filters(data_dir: Path) -> None:
    code, _, _ = run("ingest", "kaggle", str(KAGGLE), "-c", "hep-*", "--since", "2007-01-01")
    assert code == 0
    stored = store_of(data_dir)
    assert 0 < stored.count() < 200
    assert all(any(c.startswith("hep-") for c in p.paper.categories) for p in stored.iter_papers())


def test_bad_option_value_is_a_usage_error(data_dir: Path) -> None:
    code, _, err = run("ingest", "kaggle", str(KAGGLE), "--since", "yesterday")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_ingest_oai_from_recorded_server(data_dir: Path, server: RecordedServer) -> None:
    url = server.route("/oai2", Reply(fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-th.xml")))
    code, out, _ = run("ingest", "oai", "--url", url, "--prefix", "arXiv", "--set", "physics:hep-th")
    assert code == 0, out
    assert server.requests[0].query["set"] == "physics:hep-th"
    assert store_of(data_dir).count() == 3


def test_ingest_arxiv_ids_from_recorded_server(data_dir: Path, server: RecordedServer) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json"))
    code, out, _ = run("ingest", "arxiv", "--url", url, "--id", "0808.05394", "--id", "1707.08567")
    assert code == 0, out
    assert server.requests[0].query["id_list"] == "0808.05394,1707.08567"
    assert server.requests[0].headers["User-Agent"].startswith("papertide/")
    # arXiv knows no 0808.05394 (old ids have four digits): only 1707.08567 comes back.
    assert [p.paper_id for p in store_of(data_dir).iter_papers()] == ["1707.08567"]


def test_ingest_hf_daily_records_upvotes(data_dir: Path, server: RecordedServer) -> None:
    url = server.route("/api/daily_papers", Reply(fixture_bytes("hf-daily-papers", "daily_papers_2024-10-25.json")))
    # --no-categories: no recorded arXiv answer holds these 29 papers (test_hf_daily_papers_take_... below).
    code, _, _ = run("ingest", "hf-daily", "--url", url, "--date", "2024-10-25", "--no-categories")
    assert code == 0
    assert server.requests[0].query["date"] == "2024-10-25"
    stored = store_of(data_dir)
    assert stored.count() == 29
    assert stored.get("2410.17243").signals["hf_upvotes"].value > 0


def hf_listing_of(*paper_ids: str) -> Reply:
    """The recorded 2026 Hugging Face item, listed once per id: the ids of a recorded arXiv API answer."""
    item = json.loads(fixture_bytes("hf-daily-papers", "daily_papers_entry_2026-03-06_2602.23229.json"))
    listing = [{**item, "paper": {**item["paper"], "id": paper_id}} for paper_id in paper_ids]
    return Reply(json.dumps(listing).encode(), headers={"Content-Type": "application/json"})


def test_hf_daily_papers_take_their_categories_from_arxiv(data_dir: Path, server: RecordedServer) -> None:
    hf = server.route("/api/daily_papers", hf_listing_of("0808.05394", "1707.08567"))
    arxiv = server.route("/api/query", arxiv_api_reply("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json"))
    code, out, _ = run("ingest", "hf-daily", "--url", hf, "--date", "2026-03-06", "--arxiv-url", arxiv, "--json")
    assert code == 0
    assert json.loads(out) | {"read": None} == {
        "source": "hf-daily", "read": None, "added": 2, "updated": 0, "unchanged": 0, "rejected": 0,
        "categories_from_arxiv": 1,
    }  # fmt: skip
    assert server.requests[1].query["id_list"] == "0808.05394,1707.08567"  # the papers stored without categories
    stored = store_of(data_dir)
    paper = stored.get("1707.08567")
    assert paper.paper.categories == ["cs.IT"] and paper.signals["hf_upvotes"].value == 10  # arXiv's and HF's
    assert [p.paper_id for p in stored.list_papers(PaperFilter(categories=("cs.IT",))).papers] == ["1707.08567"]
    assert stored.get("0808.05394").paper.categories == []  # the recorded answer does not hold it
    # Listed again: only the paper still without categories is asked for.
    code, out, _ = run("ingest", "hf-daily", "--url", hf, "--date", "2026-03-06", "--arxiv-url", arxiv, "--json")
    assert code == 0 and server.requests[3].query["id_list"] == "0808.05394"
    assert store_of(data_dir).get("1707.08567").paper.categories == ["cs.IT"]  # the listing did not empty them


def test_hf_daily_papers_stay_stored_when_arxiv_refuses(data_dir: Path, server: RecordedServer) -> None:
    hf = server.route("/api/daily_papers", hf_listing_of("0808.05394"))
    arxiv = server.route("/api/query", arxiv_api_reply("id_abc_s0_m100_b79c8dcf6bc3.json"))  # an API error
    code, out, err = run("ingest", "hf-daily", "--url", hf, "--date", "2026-03-06", "--arxiv-url", arxiv, "--json")
    assert code == 0 and json.loads(out)["categories_from_arxiv"] == 0
    assert "warning: no categories from arXiv this time:" in err
    assert store_of(data_dir).get("0808.05394").paper.categories == []


def test_source_error_exits_1_with_message_and_stores_nothing(data_dir: Path, server: RecordedServer) -> None:
    url = server.route("/api/query", arxiv_api_reply("id_abc_s0_m100_b79c8dcf6bc3.json"))
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "ingest", "arxiv", "--url", url, "--id", "abc"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "error:" in done.stderr and "abc" in done.stderr
    assert "Traceback" not in done.stderr
    assert store_of(data_dir).count() == 0


def test_unreachable_source_is_a_clean_error(data_dir: Path) -> None:
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir), "PAPERTIDE_HTTP_RETRIES": "0"}
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "ingest", "hf-daily", "--url", "http://127.0.0.1:9/none", "--date",
         "2024-10-25"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 1
    assert "error:" in done.stderr and "127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_setting_is_a_clean_error(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(tmp_path), "PAPERTIDE_BATCH_SIZE": "lots"}
    done = subprocess.run([sys.executable, "-m", "papertide", "stats"], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert "batch_size" in done.stderr and "Traceback" not in done.stderr


def test_install_demo_makes_a_searchable_library(tmp_path: Path) -> None:
    from papertide.config import load_settings
    from papertide.ingest.demo import install_demo
    from papertide.search.engine import SearchEngine

    settings = load_settings(data_dir=tmp_path / "lib")
    install_demo(settings)
    store = open_store(settings.resolved_database_url)
    response = SearchEngine.open(settings, store).search("quantum entanglement", mode="lexical", limit=3)
    assert store.count() == 1271
    assert response.results and "ntangle" in response.results[0].title_html


def test_index_and_search_from_the_command_line(data_dir: Path) -> None:
    assert run("demo")[0] == 0
    code, out, _ = run("index", "--lexical-only")
    assert code == 0 and "1271 papers (re)indexed" in out
    code, out, err = run("search", "author:balazs", "--json")
    assert code == 0
    found = json.loads(out)
    assert found["mode"] == "lexical"  # no vectors yet: hybrid falls back, and says so
    assert found["total"] >= 1 and found["total_exact"] is True
    assert "semantic search is unavailable" in err
    assert "0704.0001" in [r["id"] for r in found["results"]]
    code, out, _ = run("search", "diphoton production", "--mode", "lexical", "-n", "3")
    assert code == 0 and "0704.0001" in out


def test_bad_search_is_a_clean_error(data_dir: Path) -> None:
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "search", "year:2024..2020"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert "reversed" in done.stderr and "Traceback" not in done.stderr


def test_tables_also_come_as_json(data_dir: Path) -> None:
    code, out, _ = run("ingest", "jsonl", str(WEB_PAPERS), "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["source"] == "jsonl" and summary["added"] == summary["read"] > 0 and summary["rejected"] == 0
    code, out, _ = run("stats", "--json")
    assert code == 0
    numbers = json.loads(out)
    assert numbers["papers"] == summary["added"] == sum(numbers["by_source"].values())
    assert numbers["top_categories"] and all(isinstance(n, int) for n in numbers["top_categories"].values())
    assert date.fromisoformat(numbers["first_submitted"][:10]) <= date.fromisoformat(numbers["last_submitted"][:10])


def test_stats_of_an_empty_store_as_json(data_dir: Path) -> None:
    code, out, _ = run("stats", "--json")
    assert code == 0
    assert json.loads(out) == {
        "papers": 0, "by_source": {}, "top_categories": {}, "first_submitted": None, "last_submitted": None,
        "signal_observations": 0,
    }  # fmt: skip
