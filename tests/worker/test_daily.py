"""The daily chain against recorded arXiv and Hugging Face answers served over real HTTP: ingest, then index."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from papertide.config import Settings, load_settings
from papertide.errors import SourceError
from papertide.ingest.sources.http import HttpClient
from papertide.search.lexical.index import LexicalIndex
from papertide.services import Services
from papertide.store import PaperStore, open_store
from papertide.worker.daily import daily_ingest, oai_since_key
from papertide.worker.runner import Worker
from tests.clock import ControlledClock
from tests.sources.replay import FakeTime, RecordedServer, Reply, arxiv_api_reply, fixture_bytes
from tests.sources.test_oai import with_token
from tests.test_cli import hf_listing_of

HEP_TH = fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-th.xml")
HEP_EX = fixture_bytes("oai-pmh", "arxiv-format", "arxiv-physics-hep-ex.xml")
HF_DAY = fixture_bytes("hf-daily-papers", "daily_papers_2024-10-25.json")


@pytest.fixture
def server() -> Iterator[RecordedServer]:
    recorded = RecordedServer()
    yield recorded
    recorded.close()


@pytest.fixture
def http() -> Iterator[HttpClient]:
    fake = FakeTime()  # arXiv's 3 s between requests, without waiting them out
    client = HttpClient(contact="tests@example.org", timeout=5, retries=0, sleep=fake.sleep, clock=fake.clock)
    yield client
    client.close()


@pytest.fixture
def settings(tmp_path, server: RecordedServer) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        worker_oai_sets=["physics:hep-th"],
        worker_oai_url=server.url + "/oai2",
        worker_hf_url=server.url + "/api/daily_papers",
        worker_hf_days=2,
        worker_arxiv_api_url=server.url + "/api/query",
        worker_embed=False,
    )


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock(datetime(2024, 10, 25, 2, 0, tzinfo=UTC))


@pytest.fixture
def store(settings: Settings, clock: ControlledClock) -> PaperStore:
    opened = open_store(settings.resolved_database_url)
    return PaperStore(opened.engine, clock=clock)


def test_the_first_run_harvests_since_yesterday_and_later_runs_since_the_last(
    server: RecordedServer, http: HttpClient, settings: Settings, store: PaperStore, clock: ControlledClock
) -> None:
    server.route("/oai2", Reply(HEP_TH))
    server.route("/api/daily_papers", Reply(HF_DAY))

    done = daily_ingest(store, settings, http, clock)

    oai = [r.query for r in server.requests if r.path == "/oai2"]
    assert oai == [{"verb": "ListRecords", "metadataPrefix": "arXivRaw", "set": "physics:hep-th", "from": "2024-10-24"}]
    assert [r.query for r in server.requests if r.path == "/api/daily_papers"] == [
        {"date": "2024-10-24"},
        {"date": "2024-10-25"},
    ]
    assert done["oai:physics:hep-th"]["added"] == 3
    assert done["hf-daily"]["read"] == 58  # the recorded day, fetched for both days: its papers and upvotes
    assert store.get("1412.8323") is not None
    assert store.get_checkpoint(oai_since_key(settings.worker_oai_url, "physics:hep-th")) == "2024-10-25"

    server.requests.clear()
    clock.advance(days=3)
    daily_ingest(store, settings, http, clock)
    assert [r.query["from"] for r in server.requests if r.path == "/oai2"] == ["2024-10-25"]


def test_hugging_face_papers_take_their_categories_from_arxiv(
    server: RecordedServer, http: HttpClient, settings: Settings, store: PaperStore, clock: ControlledClock
) -> None:
    server.route("/oai2", Reply(HEP_TH))
    server.route("/api/daily_papers", hf_listing_of("0808.05394", "1707.08567"))
    server.route("/api/query", arxiv_api_reply("id_0808.05394_1707.08567_s0_m100_42e5aa0ec3af.json"))

    done = daily_ingest(store, settings, http, clock)

    assert done["hf-daily"]["categories_from_arxiv"] == 1
    assert [r.query["id_list"] for r in server.requests if r.path == "/api/query"] == ["0808.05394,1707.08567"]
    assert store.get("1707.08567").paper.categories == ["cs.IT"]  # arXiv's, beside Hugging Face's upvotes
    assert store.get("1707.08567").signals["hf_upvotes"].value == 10


def test_hugging_face_papers_stay_stored_when_arxiv_fails(
    server: RecordedServer,
    http: HttpClient,
    settings: Settings,
    store: PaperStore,
    clock: ControlledClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.route("/oai2", Reply(HEP_TH))
    server.route("/api/daily_papers", hf_listing_of("1707.08567"))
    server.route("/api/query", Reply(b"unavailable", status=503))

    with caplog.at_level(logging.WARNING, logger="papertide.worker"):
        done = daily_ingest(store, settings, http, clock)

    assert done["hf-daily"]["added"] == 1 and done["hf-daily"]["categories_from_arxiv"] == 0
    assert store.get("1707.08567").paper.categories == []
    assert any("No categories from arXiv" in record.getMessage() for record in caplog.records)


def test_an_interrupted_harvest_resumes_and_keeps_its_start_day(
    server: RecordedServer, http: HttpClient, settings: Settings, store: PaperStore, clock: ControlledClock
) -> None:
    def broken_second_page(query: dict[str, str]) -> Reply:
        if "resumptionToken" in query:
            return Reply(b"temporarily broken", status=500)
        return Reply(with_token(HEP_TH, "6220813|1001"))

    server.route("/oai2", respond=broken_second_page)
    server.route("/api/daily_papers", Reply(b"[]"))
    with pytest.raises(SourceError, match="HTTP 500"):
        daily_ingest(store, settings, http, clock)
    assert store.get("1412.8323") is not None  # the first page is kept
    assert store.get_checkpoint(oai_since_key(settings.worker_oai_url, "physics:hep-th")) == "2024-10-24"

    server.route("/oai2", Reply(HEP_EX))
    server.requests.clear()
    clock.advance(days=1)
    daily_ingest(store, settings, http, clock)

    assert server.requests[0].query == {"verb": "ListRecords", "resumptionToken": "6220813|1001"}
    assert store.get("1706.05371") is not None
    assert store.get_checkpoint(oai_since_key(settings.worker_oai_url, "physics:hep-th")) == "2024-10-26"


class NoDigests:
    def due(self, now, *, day=None, to=None):
        return []

    def compose(self, due):
        raise AssertionError("nothing is due")


def no_relay():
    raise AssertionError("nothing to send")


def test_a_worker_tick_ingests_then_indexes_once_a_day(
    server: RecordedServer, settings: Settings, store: PaperStore, clock: ControlledClock
) -> None:
    server.route("/oai2", Reply(HEP_TH))
    server.route("/api/daily_papers", Reply(b"[]"))
    settings = settings.model_copy(update={"worker_ingest_hour_utc": 3, "http_retries": 0})
    worker = Worker(Services(settings, store, clock=clock), NoDigests(), no_relay)

    results, delivery = worker.tick()  # 02:00 UTC: before the ingest hour; the empty store is indexed
    assert [(r.name, r.ok) for r in results] == [
        ("index", True),
        ("trending", True),
        ("digests", True),
        ("discussion-mail", True),
        ("upkeep", True),
    ]
    assert delivery.sent == 0

    clock.advance(hours=1)
    results, _ = worker.tick()
    assert [(r.name, r.run_key, r.ok) for r in results[:2]] == [
        ("ingest", "2024-10-25", True),
        ("index", f"seq:{store.max_change_seq():015d}", True),
    ]
    assert results[1].detail == {"lexical": 3, "vectors": None}
    assert len(LexicalIndex.open(settings.index_dir / "lexical")) == 3

    clock.advance(minutes=5)
    results, _ = worker.tick()
    # the day's ingest and the index are done
    assert [r.name for r in results] == ["trending", "digests", "discussion-mail"]


def test_unreachable_sources_fail_at_once_with_one_warning_each_and_the_tick_goes_on(
    settings: Settings, store: PaperStore, clock: ControlledClock, caplog: pytest.LogCaptureFixture
) -> None:
    closed = RecordedServer()
    refused = closed.url + "/oai2"
    closed.close()
    settings = settings.model_copy(
        update={
            "worker_oai_sets": ["cs", "math"],
            "worker_oai_url": refused,
            "worker_hf_url": "http://nonexistent.invalid/api/daily_papers",
            "worker_ingest_hour_utc": 0,
            "http_retries": 4,  # the default: five tries with backoff would take 31 s per source
        }
    )
    worker = Worker(Services(settings, store, clock=clock), NoDigests(), no_relay)

    with caplog.at_level(logging.INFO, logger="papertide"):
        results, _ = worker.tick()

    assert [(r.name, r.ok) for r in results] == [
        ("ingest", True), ("index", True), ("trending", True), ("digests", True), ("discussion-mail", True),
        ("upkeep", True),
    ]  # fmt: skip
    skipped = results[0].detail
    assert set(skipped) == {"oai:cs", "oai:math", "hf-daily"}
    assert "refused the connection" in skipped["oai:cs"]["unreachable"] and skipped["oai:math"] == skipped["oai:cs"]
    assert "nonexistent.invalid does not resolve" in skipped["hf-daily"]["unreachable"]
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2, warnings  # one per source: no retries, no error
    assert warnings[0].startswith("arXiv OAI-PMH skipped") and "PAPERTIDE_WORKER_OAI_SETS=[] turns" in warnings[0]
    assert warnings[1].startswith("Hugging Face daily papers skipped") and "PAPERTIDE_WORKER_HF_DAYS=0" in warnings[1]
    # nothing is lost: the next harvest starts from the same day
    assert store.get_checkpoint(oai_since_key(refused, "cs")) == "2024-10-24"
