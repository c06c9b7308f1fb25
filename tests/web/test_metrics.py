"""``/metrics`` through the app: requests by route template, searches by mode and stage, the instance's
counts read from the store, mail sent, and who may read it (off, loopback only, bearer token).

Counters are the process's, shared by every test of the run: each test compares a scrape before
and after what it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings, load_settings
from papertide.errors import ConfigError
from papertide.ingest.pipeline import ingest
from papertide.metrics import POOL_IN_USE, POOL_SIZE
from papertide.metrics.pool import watch_pool
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore
from papertide.web.app import create_app
from tests.search.topical_papers import topical_papers
from tests.web.live_server import serve
from tests.web.metrics_helpers import parse, total, value
from tests.web.signin import csrf_token

LOOPBACK = ("127.0.0.1", 50123)
REMOTE = ("203.0.113.9", 50123)
TOKEN = "s3cret-metrics-token-0123456789"


@pytest.fixture
def prometheus(indexed_app: FastAPI) -> Iterator[TestClient]:
    """A client from loopback: what Prometheus on the same host is, to the default access rule."""
    with TestClient(indexed_app, client=LOOPBACK) as client:
        yield client


def scrape(client: TestClient, **headers: str) -> dict:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return parse(answer.text)


def test_requests_are_counted_by_route_template_and_status_never_by_raw_path(prometheus: TestClient) -> None:
    before = scrape(prometheus)
    for paper_id in ("2501.99991", "2501.99992", "2501.99993"):
        assert prometheus.get(f"/api/v1/papers/{paper_id}").status_code == 404
    assert prometheus.get("/no/such/page/at/all").status_code == 404
    assert prometheus.get("/healthz").status_code == 200
    answer = prometheus.get("/metrics")
    after = parse(answer.text)

    route = "/api/v1/papers/{paper_id}"
    requests = "papertide_http_requests_total"
    assert value(after, requests, method="GET", route=route, status="404") == (
        value(before, requests, method="GET", route=route, status="404") + 3
    )
    assert value(after, requests, method="GET", route="unmatched", status="404") >= 1
    assert value(after, requests, method="GET", route="/healthz", status="200") >= 1
    seconds = "papertide_http_request_duration_seconds_count"
    assert value(after, seconds, method="GET", route=route) == value(before, seconds, method="GET", route=route) + 3
    assert "2501.9999" not in answer.text and "/no/such" not in answer.text  # one series per route, not per path


def test_an_unknown_method_is_counted_as_other(prometheus: TestClient) -> None:
    prometheus.request("BREW", "/healthz")
    after = scrape(prometheus)
    assert total(after, "papertide_http_requests_total", method="other", route="/healthz") >= 1
    assert total(after, "papertide_http_requests_total", method="BREW") == 0


def test_searches_are_timed_by_mode_and_stage(prometheus: TestClient) -> None:
    before = scrape(prometheus)
    body = prometheus.get("/api/v1/search", params={"q": "quantum factoring", "mode": "hybrid"}).json()
    assert body["mode"] == "hybrid"
    assert prometheus.get("/api/v1/search", params={"q": "quantum", "mode": "lexical"}).status_code == 200
    after = scrape(prometheus)

    count = "papertide_search_duration_seconds_count"
    for stage in ("total", "parse", "lexical", "embed", "semantic", "fuse", "hydrate"):
        assert value(after, count, mode="hybrid", stage=stage) == value(before, count, mode="hybrid", stage=stage) + 1
    assert value(after, count, mode="lexical", stage="total") == value(before, count, mode="lexical", stage="total") + 1
    assert value(after, count, mode="lexical", stage="embed") == value(before, count, mode="lexical", stage="embed")
    assert value(after, "papertide_search_duration_seconds_sum", mode="hybrid", stage="total") > value(
        before, "papertide_search_duration_seconds_sum", mode="hybrid", stage="total"
    )


@pytest.fixture
def own_app(tmp_path, database_url: str) -> FastAPI:
    """An app over a store of its own, with papers stored but never indexed."""
    settings = load_settings(data_dir=tmp_path, database_url=database_url)
    return create_app(settings)


def test_the_instance_counts_come_from_the_store_and_the_index_lag_from_this_node(own_app: FastAPI) -> None:
    services = own_app.state.services
    store: PaperStore = services.store
    with TestClient(own_app, client=LOOPBACK) as client:
        empty = scrape(client)
        assert value(empty, "papertide_papers") == 0
        assert value(empty, "papertide_index_lag", index="lexical") == 0

        ingest(topical_papers(), store)
        AccountStore(store.engine).get_or_create_user("reader@example.org")
        stored = scrape(client)
        assert value(stored, "papertide_papers") == 12 == store.count()
        assert value(stored, "papertide_accounts") == 1
        assert value(stored, "papertide_store_change_seq") == store.max_change_seq()
        assert value(stored, "papertide_index_lag", index="lexical") == store.max_change_seq() > 0

        update_indexes(store, services.settings, embed=False)
        caught_up = scrape(client)
        assert value(caught_up, "papertide_index_lag", index="lexical") == 0

        first = topical_papers()[0]
        ingest([replace(first, version=first.version + 1, title="A revised title")], store)  # a change, no new paper
        changed = scrape(client)
        assert value(changed, "papertide_papers") == 12
        assert value(changed, "papertide_index_lag", index="lexical") == 1
        assert value(caught_up, "papertide_db_pool_size") >= 1
        assert "papertide_db_pool_connections_in_use" in {name for name, _ in caught_up}


def test_sign_in_mail_is_counted_as_sent_and_a_relay_refusal_as_failed(
    mail_settings: Settings, own_store: PaperStore, smtp_server
) -> None:
    app = create_app(mail_settings, own_store)
    with TestClient(app, client=LOOPBACK) as client:
        before = scrape(client)
        form = {"email": "reader@example.org", "next": "/", "csrf_token": csrf_token(client)}
        assert client.post("/signin", data=form).status_code == 200
        smtp_server.wait_for(1)
        smtp_server.fail_next(550, "5.1.1 no such mailbox")
        form["email"] = "nobody@example.org"
        assert client.post("/signin", data=form).status_code >= 400
        after = scrape(client)
    assert value(after, "papertide_mail_sent_total", transport="smtp") == (
        value(before, "papertide_mail_sent_total", transport="smtp") + 1
    )
    assert value(after, "papertide_mail_failed_total", transport="smtp") == (
        value(before, "papertide_mail_failed_total", transport="smtp") + 1
    )


# -- who may read the metrics ----------------------------------------------------------------------


def test_by_default_only_loopback_clients_may_read_the_metrics(indexed_app: FastAPI) -> None:
    with TestClient(indexed_app, client=REMOTE) as remote:
        refused = remote.get("/metrics")
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert "loopback" in refused.json()["detail"]
    assert "papertide_" not in refused.text
    with TestClient(indexed_app, client=("::1", 50123)) as ipv6_loopback:
        assert ipv6_loopback.get("/metrics").status_code == 200


def test_metrics_turned_off_answer_404_even_to_loopback(tmp_path, database_url: str) -> None:
    app = create_app(load_settings(data_dir=tmp_path, database_url=database_url, metrics_access="off"))
    with TestClient(app, client=LOOPBACK) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 404
    assert "papertide_" not in answer.text


def test_token_access_needs_the_bearer_token_from_anywhere(tmp_path, database_url: str) -> None:
    settings = load_settings(data_dir=tmp_path, database_url=database_url, metrics_access="token", metrics_token=TOKEN)
    app = create_app(settings)
    with TestClient(app, client=REMOTE) as remote, TestClient(app, client=LOOPBACK) as local:
        missing = remote.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        assert local.get("/metrics").status_code == 401  # loopback is no token
        assert remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"}).status_code == 403
        assert remote.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
        samples = scrape(remote, Authorization=f"Bearer {TOKEN}")
    assert ("papertide_papers", frozenset()) in samples


def test_token_access_without_a_token_is_a_configuration_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="metrics_token is not set"):
        load_settings(data_dir=tmp_path, metrics_access="token")
    with pytest.raises(ConfigError, match="metrics_token"):
        load_settings(data_dir=tmp_path, metrics_access="token", metrics_token="short")


def test_a_remote_client_behind_a_local_proxy_is_refused(indexed_app: FastAPI) -> None:
    """uvicorn (as `papertide serve` runs it) takes the client address from X-Forwarded-For when the request
    comes from a trusted proxy (127.0.0.1 by default): a reverse proxy on the same host does not make every
    client a loopback one."""
    with serve(indexed_app) as base:
        direct = httpx.get(f"{base}/metrics", timeout=10)
        forwarded = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10)
        forwarded_loopback = httpx.get(f"{base}/metrics", headers={"X-Forwarded-For": "127.0.0.1"}, timeout=10)
    assert direct.status_code == 200 and "papertide_papers" in direct.text
    assert forwarded.status_code == 403
    assert forwarded_loopback.status_code == 200


def test_a_pool_is_counted_once_however_many_apps_share_it(own_store: PaperStore) -> None:
    watch_pool(own_store)
    size, in_use = POOL_SIZE._value.get(), POOL_IN_USE._value.get()
    watch_pool(own_store)
    assert POOL_SIZE._value.get() == size
    with own_store.engine.connect():
        assert POOL_IN_USE._value.get() == in_use + 1  # not 2: one listener
    assert POOL_IN_USE._value.get() == in_use
