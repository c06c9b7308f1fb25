"""``papertide trending``: refresh and show from the command line, as a cron job or a reader would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.model import Paper
from papertide.store import open_store
from tests.web.voting import add_voter, vote


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAPERTIDE_DATABASE_URL", raising=False)
    store = open_store(f"sqlite:///{tmp_path / 'data' / 'papertide.db'}")
    store.write_batch([Paper("2411.00001", "Fresh results", "An abstract.", categories=["cs.LG"], source="test")])
    vote(store, add_voter(store, "reader@example.org"), "2411.00001")
    return tmp_path / "data"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_refresh_then_show_as_json_and_as_a_table(data_dir: Path) -> None:
    code, out, _ = run("trending", "--json")
    assert code == 0
    assert json.loads(out) == {"window": "week", "as_of": None, "papers": []}  # never refreshed
    code, out, err = run("trending", "--refresh", "--json", "--window", "day")
    assert code == 0
    assert err.startswith("refreshed (full): 1 papers recomputed, 1 with attention")
    body = json.loads(out)
    assert [(p["id"], p["reason"], p["upvotes"]) for p in body["papers"]] == [("2411.00001", "+1 upvote today", 1)]
    code, out, _ = run("trending", "--category", "cs.*")
    assert code == 0
    assert "Fresh results" in out and "+1 upvote this week" in out
    code, out, _ = run("trending", "--exclude", "cs.LG")
    assert code == 0 and "Fresh results" not in out


def test_bad_arguments_are_clean_errors(data_dir: Path) -> None:
    code, _, err = run("trending", "--window", "year")
    assert code == 2 and "'year' is not one of day, week, month" in err
    env = {**os.environ, "PAPERTIDE_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "papertide", "trending", "--category", "cs LG!"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert "'LG!' is not a category pattern" in done.stderr and "Traceback" not in done.stderr
