"""The polite HTTP client against a real local server: retries, Retry-After, timeouts, intervals."""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest

from papertide import __version__
from papertide.errors import SourceError, SourceUnreachable
from papertide.ingest.sources.http import HttpClient, user_agent
from tests.sources.replay import FakeTime, RecordedServer, Reply


def test_user_agent_names_project_version_and_contact(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/ok", Reply(b"fine"))

    assert http.get(url).text == "fine"

    agent = server.requests[0].headers["User-Agent"]
    assert agent == f"papertide/{__version__} (+https://github.com/papertide/papertide; mailto:tests@example.org)"
    assert user_agent() == f"papertide/{__version__} (+https://github.com/papertide/papertide)"


def test_query_parameters_reach_the_server(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/q", Reply(b"x"))

    http.get(url + "?verb=ListRecords", {"set": "physics:hep-th", "from": "2017-12-14"})

    assert server.requests[0].query == {"verb": "ListRecords", "set": "physics:hep-th", "from": "2017-12-14"}


def test_503_retry_after_seconds_is_honoured(server: RecordedServer, http: HttpClient, fake_time: FakeTime) -> None:
    url = server.route("/busy", Reply(b"busy", status=503, headers={"Retry-After": "7"}), Reply(b"done"))

    assert http.get(url).text == "done"

    assert fake_time.sleeps == [7.0]
    assert len(server.requests) == 2


def test_429_retry_after_http_date_is_measured_against_the_server_date(
    server: RecordedServer, http: HttpClient, fake_time: FakeTime
) -> None:
    now = time.time()
    headers = {"Retry-After": formatdate(now + 30, usegmt=True), "Date": formatdate(now, usegmt=True)}
    url = server.route("/slow-down", Reply(b"", status=429, headers=headers), Reply(b"ok"))

    assert http.get(url).text == "ok"

    [wait] = fake_time.sleeps
    assert 29 <= wait <= 31


def test_5xx_backs_off_exponentially_then_raises(server: RecordedServer, http: HttpClient, fake_time: FakeTime) -> None:
    url = server.route("/broken", Reply(b"oops", status=500))

    with pytest.raises(SourceError) as raised:
        http.get(url)

    assert fake_time.sleeps == [2.0, 4.0]  # retries=2: three attempts
    assert len(server.requests) == 3
    assert "/broken" in raised.value.message
    assert "HTTP 500" in raised.value.message


def test_excessive_retry_after_fails_instead_of_hanging(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/maintenance", Reply(b"", status=503, headers={"Retry-After": "86400"}))
    client = HttpClient(max_retry_after=600, sleep=fake_time.sleep, clock=fake_time.clock)

    with client, pytest.raises(SourceError, match="retry after 86400 s"):
        client.get(url)

    assert fake_time.sleeps == []


def test_client_errors_are_not_retried(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/missing", Reply(b"no", status=404))

    with pytest.raises(SourceError, match="HTTP 404"):
        http.get(url)

    assert len(server.requests) == 1


def test_allowed_error_status_is_returned(server: RecordedServer, http: HttpClient) -> None:
    url = server.route("/bad", Reply(b"explanation", status=400))

    assert http.get(url, allow_status={400}).text == "explanation"


def test_timeout_is_retried_then_raises(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/stall", Reply(b"late", delay=1.0))
    client = HttpClient(timeout=0.2, retries=1, sleep=fake_time.sleep, clock=fake_time.clock)

    with client, pytest.raises(SourceError, match="ReadTimeout"):
        client.get(url)

    assert len(server.requests) == 2
    assert fake_time.sleeps == [2.0]


def test_timeout_then_success(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/flaky", Reply(b"late", delay=1.0), Reply(b"prompt"))
    client = HttpClient(timeout=0.2, sleep=fake_time.sleep, clock=fake_time.clock)

    with client:
        assert client.get(url).text == "prompt"


def test_truncated_body_is_retried(server: RecordedServer, http: HttpClient, fake_time: FakeTime) -> None:
    url = server.route("/cut", Reply(b"<OAI-PMH>half", truncate=True), Reply(b"<OAI-PMH>whole</OAI-PMH>"))

    assert http.get(url).text == "<OAI-PMH>whole</OAI-PMH>"

    assert len(server.requests) == 2
    assert fake_time.sleeps == [2.0]


def test_a_refused_connection_fails_at_once_without_retries(fake_time: FakeTime) -> None:
    closed = RecordedServer()
    url = closed.url + "/gone"
    closed.close()
    client = HttpClient(retries=4, sleep=fake_time.sleep, clock=fake_time.clock)

    with client, pytest.raises(SourceUnreachable, match="refused the connection") as raised:
        client.get(url)

    assert url in raised.value.message
    assert fake_time.sleeps == []  # no backoff: a refused connection is no hiccup (issue 22)


def test_a_name_that_does_not_resolve_fails_at_once_without_retries(fake_time: FakeTime) -> None:
    client = HttpClient(retries=4, sleep=fake_time.sleep, clock=fake_time.clock)

    with client, pytest.raises(SourceUnreachable, match=r"the host name nonexistent\.invalid does not resolve"):
        client.get("http://nonexistent.invalid/oai2")

    assert fake_time.sleeps == []


def test_politeness_interval_per_host(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/page", Reply(b"p"))
    client = HttpClient(min_interval={"127.0.0.1": 3.0}, sleep=fake_time.sleep, clock=fake_time.clock)

    with client:
        client.get(url)
        client.get(url)
        fake_time.now += 1.0  # the caller spent a second on the page
        client.get(url)
        fake_time.now += 5.0
        client.get(url)

    assert fake_time.sleeps == [3.0, 2.0]


def test_require_interval_only_raises_the_interval(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/page", Reply(b"p"))
    client = HttpClient(min_interval={"127.0.0.1": 5.0}, sleep=fake_time.sleep, clock=fake_time.clock)
    client.require_interval(url, 3.0)

    with client:
        client.get(url)
        client.get(url)

    assert fake_time.sleeps == [5.0]


def test_retry_delay_and_interval_do_not_add_up(server: RecordedServer, fake_time: FakeTime) -> None:
    url = server.route("/busy", Reply(b"", status=503, headers={"Retry-After": "1"}), Reply(b"ok"))
    client = HttpClient(min_interval={"127.0.0.1": 3.0}, sleep=fake_time.sleep, clock=fake_time.clock)

    with client:
        client.get(url)

    assert fake_time.sleeps == [3.0]  # the longer of Retry-After (1 s) and the interval (3 s)
