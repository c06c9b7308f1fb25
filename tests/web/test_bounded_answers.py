"""Issue 21, finding 5: a paper stored before the ingest limits (20 MB abstract, 100,000 authors) cannot make
its API answer or its page megabytes long: each field is cut to its limit and the answer says so."""

from __future__ import annotations

from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.model import MAX_ABSTRACT_LENGTH, MAX_AUTHOR_LENGTH, MAX_TITLE_LENGTH, Paper, Version
from papertide.store import PaperStore
from papertide.web.app import create_app
from papertide.web.kit.shown import MAX_AUTHOR_CHARS_SHOWN, PAGE_AUTHORS

OVERSIZED = Paper(
    id="2412.99999",
    title="T" * 50_000,
    abstract="A" * 2_000_000,
    authors=["N" * 5_000, *(f"Author Number {n:06d}" for n in range(100_000))],  # 2.1 M characters of names
    comments="C" * 100_000,
    versions=[Version(n, None) for n in range(1, 3_001)],
    source="before-the-limits",
)  # never validated: written as a store from before the limits could hold it


def test_an_oversized_stored_paper_is_answered_within_bounds(settings: Settings, own_store: PaperStore) -> None:
    own_store.write_batch([OVERSIZED])
    client = TestClient(create_app(settings, own_store))
    answer = client.get("/api/v1/papers/2412.99999")
    assert answer.status_code == 200 and len(answer.content) < 250_000
    body = answer.json()
    assert body["truncated"] is True
    assert body["title"] == "T" * MAX_TITLE_LENGTH and body["abstract"] == "A" * MAX_ABSTRACT_LENGTH
    assert body["authors"][0] == "N" * MAX_AUTHOR_LENGTH and body["authors_total"] == 100_001
    assert MAX_AUTHOR_CHARS_SHOWN - 20 < sum(map(len, body["authors"])) <= MAX_AUTHOR_CHARS_SHOWN
    assert len(body["comments"]) == 5_000 and len(body["versions"]) == 1_000 and body["versions"][-1]["version"] == 3000

    page = client.get("/paper/2412.99999")
    assert page.status_code == 200 and len(page.content) < 500_000
    assert page.text.count('<li><a href="/author/') == PAGE_AUTHORS  # each name links to its author page
    assert f"and {100_001 - PAGE_AUTHORS:,} more" in page.text
    assert "fields longer than its ingest limits are cut short" in page.text

    listed = client.get("/api/v1/papers", params={"limit": 100}).json()["papers"]
    assert next(p for p in listed if p["id"] == "2412.99999")["truncated"] is True


def test_papers_within_the_limits_are_shown_whole(settings: Settings, own_store: PaperStore) -> None:
    client = TestClient(create_app(settings, own_store))
    body = client.get("/api/v1/papers/1706.03762").json()
    assert body["truncated"] is False and body["authors_total"] == len(body["authors"]) == 8
    page = client.get("/paper/1706.03762").text
    assert " more</li>" not in page and "cut short" not in page
