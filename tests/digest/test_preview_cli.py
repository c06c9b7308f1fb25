"""`papertide digest preview`: the digest someone would get, printed, neither sent nor recorded."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from papertide.cli import app
from papertide.config import load_settings
from papertide.digest.preferences import Preferences
from papertide.errors import InvalidInput, NotFound
from papertide.ingest.pipeline import ingest
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.store.papers.store import PaperStore
from tests.digest.conftest import paper


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A library with one daily subscriber whose latest delivery was this hour, and papers that arrived before it."""
    monkeypatch.setenv("PAPERTIDE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAPERTIDE_DATABASE_URL", raising=False)
    settings = load_settings(data_dir=tmp_path)
    engine = open_store(settings.resolved_database_url).engine
    now = datetime.now(UTC)
    arrived = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    papers = PaperStore(engine, clock=lambda: arrived)
    ingest(
        [paper(1, "Fresh $\\alpha$-Results", submitted=arrived - timedelta(days=1), authors=("Zoë Ørsted",))], papers
    )
    update_indexes(papers, settings, embed=False)
    subscriptions = SubscriptionStore(engine, clock=lambda: arrived - timedelta(days=2))
    preferences = Preferences.parse({"frequency": "daily", "hour": now.hour})
    subscription = subscriptions.get_or_create("reader@example.org", preferences.to_dict(), "nonce")
    subscriptions.activate(subscription.pk)
    return tmp_path


def run(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_preview_prints_the_digest_and_records_nothing(data_dir: Path) -> None:
    printed = run("digest", "preview", "reader@example.org")
    assert printed.startswith("Subject: 1 new paper for you · papertide, ")
    assert "Fresh α-Results" in printed and "Zoë Ørsted" in printed
    assert "Why: New in cs.LG" in printed
    assert "/digest/unsubscribe/" in printed
    assert "<html" in run("digest", "preview", "reader@example.org", "--html")
    subscriptions = SubscriptionStore(open_store(f"sqlite:///{data_dir / 'papertide.db'}").engine)
    subscription = subscriptions.by_email("reader@example.org")
    assert subscription.last_cutoff is None  # nothing recorded: a second preview shows the same
    assert "Fresh α-Results" in run("digest", "preview", "reader@example.org")


def test_a_day_with_nothing_new_says_so(data_dir: Path) -> None:
    earlier = (datetime.now(UTC) - timedelta(days=5)).date().isoformat()
    assert "No digest for reader@example.org on " + earlier in run(
        "digest", "preview", "reader@example.org", "--date", earlier
    )


def test_unknown_address_and_a_day_without_delivery_are_clear_errors(data_dir: Path) -> None:
    with pytest.raises(NotFound, match=re.escape("no digest subscription for 'nobody@example.org'")):
        run("digest", "preview", "nobody@example.org")
    subscriptions = SubscriptionStore(open_store(f"sqlite:///{data_dir / 'papertide.db'}").engine)
    subscription = subscriptions.by_email("reader@example.org")
    subscriptions.set_preferences(subscription.pk, Preferences.parse({"frequency": "weekdays"}).to_dict())
    with pytest.raises(InvalidInput, match="Saturday 2026-12-05 is not a delivery day: the digest comes every weekday"):
        run("digest", "preview", "reader@example.org", "--date", "2026-12-05")


def test_preview_prints_json(data_dir: Path) -> None:
    import json

    printed = json.loads(run("digest", "preview", "reader@example.org", "--json"))
    assert printed["email"] == "reader@example.org" and printed["not_sent"] is None and printed["held"] is None
    assert printed["subject"].startswith("1 new paper for you")
    assert [(p["title"], p["section"], p["reason"]) for p in printed["papers"]] == [
        ("Fresh $\\alpha$-Results", "trending", "New in cs.LG")
    ]
    assert "Fresh α-Results" in printed["text"] and "<html" in printed["html"]


def test_an_empty_preview_says_why_as_digest_send_does(data_dir: Path) -> None:
    import json

    subscriptions = SubscriptionStore(open_store(f"sqlite:///{data_dir / 'papertide.db'}").engine)
    subscription = subscriptions.by_email("reader@example.org")
    changed = Preferences.parse(subscription.preferences | {"categories": ["math.GT"]})
    subscriptions.set_preferences(subscription.pk, changed.to_dict())
    printed = run("digest", "preview", "reader@example.org")
    assert printed.startswith("No digest for reader@example.org on ")
    assert "the one new paper is not in their categories, sections or alerts" in printed
    assert printed.rstrip().endswith("so none would be sent.")
    as_json = json.loads(run("digest", "preview", "reader@example.org", "--json"))
    assert "the one new paper is not" in as_json["not_sent"] and as_json["papers"] == [] and as_json["text"] is None
