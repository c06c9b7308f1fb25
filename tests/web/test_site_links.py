"""Links point where the server is (issue 22): with no base URL configured, mail and feeds link to the address
each request came to, among trusted hosts; a forged Host header gets the served address instead.

The first tests run a real ``papertide serve`` on a free port, not 8000, with its mail going to a real SMTP
server; the others drive the app in process with chosen Host headers.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import feedparser
import httpx
import pytest
from fastapi.testclient import TestClient

from papertide.config import Settings, load_settings
from papertide.errors import ConfigError
from papertide.ingest.pipeline import ingest
from papertide.store import open_store
from papertide.web.app import create_app
from papertide.web.kit.site import port_mismatch, served_url
from tests.mail_server import MailServer
from tests.search.topical_papers import topical_papers
from tests.web.live_server import free_port
from tests.web.signin import csrf_token

_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
_LINK = re.compile(r"(https?://[^/\s]+)/(signin|digest/confirm)/[A-Za-z0-9_-]+")


def mailed_link_base(message) -> str:
    """The scheme and host of the sign-in or confirmation link in a received message."""
    found = _LINK.search(message.get_body(preferencelist=("plain",)).get_content())
    assert found, message
    return found.group(1)


@contextmanager
def papertide_serve(port: int, data_dir: Path, database_url: str, env: dict[str, str]) -> Iterator[list[str]]:
    """A real ``papertide serve --port`` until the block ends; the list it yields gets its stderr at the end."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PAPERTIDE_")} | env
    command = [sys.executable, "-m", "papertide", "--data-dir", str(data_dir), "--database-url", database_url]
    logged: list[str] = []
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([*command, "serve", "--port", str(port)], env=environ, stderr=log)
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
            yield logged
        finally:
            server.terminate()
            server.wait(30)
            log.seek(0)
            logged.append(log.read().decode())


def ask_for_sign_in(client: httpx.Client, email: str, host: str | None = None) -> None:
    headers = {"Host": host} if host else {}
    token = _CSRF_META.search(client.get("/signin", headers=headers).text)
    assert token
    sent = client.post("/signin", data={"email": email, "csrf_token": token.group(1)}, headers=headers)
    assert sent.status_code == 200, sent.text


@pytest.mark.slow  # run first (tests/conftest.py)
def test_serve_on_another_port_mails_and_feeds_links_to_that_port(
    tmp_path: Path, database_url: str, smtp_server: MailServer
) -> None:
    ingest(topical_papers()[:3], open_store(database_url))
    port = free_port()
    mail = {"PAPERTIDE_SMTP_HOST": smtp_server.host, "PAPERTIDE_SMTP_PORT": str(smtp_server.port)}
    with (
        papertide_serve(port, tmp_path / "data", database_url, mail | {"PAPERTIDE_SMTP_SECURITY": "none"}) as logged,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        ask_for_sign_in(client, "reader@example.org")
        [message] = smtp_server.wait_for(1)
        assert mailed_link_base(message) == f"http://127.0.0.1:{port}"
        link = _LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(0)
        assert "Sign in" in client.get(link).text  # the mailed link reaches this server

        ask_for_sign_in(client, "other@example.org", host=f"localhost:{port}")  # the name it was reached by
        assert mailed_link_base(smtp_server.wait_for(2)[1]) == f"http://localhost:{port}"

        ask_for_sign_in(client, "third@example.org", host="evil.example")  # forged: the served address instead
        forged = smtp_server.wait_for(3)[2]
        assert mailed_link_base(forged) == f"http://127.0.0.1:{port}" and b"evil.example" not in forged.raw

        feed = feedparser.parse(client.get("/feeds/new.atom").text)
        assert feed.entries and all(e.link.startswith(f"http://127.0.0.1:{port}/paper/") for e in feed.entries)
    assert "names port" not in logged[0]  # no base URL configured: no port to disagree with


@pytest.mark.slow  # run first (tests/conftest.py)
def test_serve_warns_when_the_base_url_names_another_port(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    configured = {"PAPERTIDE_BASE_URL": "http://127.0.0.1:8000"}
    with (
        papertide_serve(port, tmp_path / "data", database_url, configured) as logged,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        feed = feedparser.parse(client.get("/feeds/new.atom").text)
        assert feed.feed.link == "http://127.0.0.1:8000/new"  # configured, it wins (the warning says so)
    assert (
        f"warning: PAPERTIDE_BASE_URL is http://127.0.0.1:8000, which names port 8000, but this serves port {port}"
        in logged[0]
    ), logged[0]


def test_a_port_mismatch_is_named_unless_the_base_url_is_a_proxy_s_public_address() -> None:
    assert port_mismatch(None, 8765) is None
    assert port_mismatch("http://127.0.0.1:8765", 8765) is None
    assert port_mismatch("https://papers.example.org", 8000) is None  # behind a proxy on 443
    assert "names port 8443" in (port_mismatch("https://papers.example.org:8443", 8000) or "")
    assert "names port 80" in (port_mismatch("http://localhost", 8765) or "")
    assert served_url("0.0.0.0", 8765) == "http://127.0.0.1:8765"
    assert served_url("::", 8765) == "http://[::1]:8765"
    assert served_url("192.0.2.7", 80) == "http://192.0.2.7:80"


# -- in process: chosen Host headers ----------------------------------------------------------------


@pytest.fixture
def site_settings(mail_settings: Settings, database_url: str) -> Settings:
    ingest(topical_papers()[:3], open_store(database_url))
    return mail_settings.model_copy(update={"database_url": database_url})


def feed_links(client: TestClient, host: str) -> set[str]:
    """The scheme and host of every link in the newest papers' feed, asked for with ``host``."""
    feed = feedparser.parse(client.get("/feeds/new.atom", headers={"Host": host}).text)
    links = [feed.feed.link, *(entry.link for entry in feed.entries)]
    assert len(links) > 1
    return {re.match(r"https?://[^/]+", link).group(0) for link in links}


def test_feed_entries_link_to_the_trusted_host_the_request_came_to(site_settings: Settings) -> None:
    client = TestClient(create_app(site_settings, served="http://127.0.0.1:8765"))

    assert feed_links(client, "localhost:8765") == {"http://localhost:8765"}
    assert feed_links(client, "[::1]:8765") == {"http://[::1]:8765"}
    assert feed_links(client, "127.0.0.1:9000") == {"http://127.0.0.1:9000"}


def test_a_forged_host_never_reaches_links_and_is_logged_once(
    site_settings: Settings, smtp_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(create_app(site_settings, served="http://127.0.0.1:8765"))

    with caplog.at_level(logging.WARNING, logger="papertide.web"):
        for forged in ("evil.example", "evil.example:80", "127.0.0.1@evil.example", "evil.example/x"):
            assert feed_links(client, forged) == {"http://127.0.0.1:8765"}, forged
        feed_links(client, "evil.example")
    warnings = [r.getMessage() for r in caplog.records if "PAPERTIDE_TRUSTED_HOSTS" in r.getMessage()]
    assert len(warnings) == 4 and "'evil.example'" in warnings[0]  # one per name, not per request

    client.headers["Host"] = "evil.example"
    sent = client.post("/signin", data={"email": "reader@example.org", "csrf_token": csrf_token(client)})
    assert sent.status_code == 200
    [message] = smtp_server.wait_for(1)
    assert mailed_link_base(message) == "http://127.0.0.1:8765" and b"evil.example" not in message.raw


def test_trusted_hosts_may_name_a_domain_and_its_subdomains(site_settings: Settings) -> None:
    trusting = site_settings.model_copy(update={"trusted_hosts": ["papers.lan", "*.example.org"]})
    client = TestClient(create_app(trusting, served="http://192.0.2.7:8000"))

    assert feed_links(client, "papers.lan:8000") == {"http://papers.lan:8000"}
    assert feed_links(client, "Reading.Example.org") == {"http://reading.example.org"}
    assert feed_links(client, "example.org.evil.example") == {"http://192.0.2.7:8000"}
    assert feed_links(client, "localhost:8000") == {"http://192.0.2.7:8000"}  # the list replaces the default


def test_a_configured_base_url_wins_over_every_host(site_settings: Settings, smtp_server: MailServer) -> None:
    configured = site_settings.model_copy(update={"base_url": "http://papers.example.org"})  # https: Secure cookies
    client = TestClient(create_app(configured, served="http://127.0.0.1:8765"))

    assert feed_links(client, "localhost:8765") == {"http://papers.example.org"}
    subscribed = client.post(
        "/digest/subscribe", data={"email": "reader@example.org", "csrf_token": csrf_token(client, "/digest")}
    )
    assert subscribed.status_code == 202
    assert mailed_link_base(smtp_server.wait_for(1)[0]) == "http://papers.example.org"


def test_a_confirmation_mail_links_to_the_host_the_subscriber_used(
    site_settings: Settings, smtp_server: MailServer
) -> None:
    client = TestClient(create_app(site_settings), base_url="http://localhost:8765")

    answer = client.post("/api/v1/digest/subscribe", json={"email": "reader@example.org"})
    assert answer.status_code == 202
    assert mailed_link_base(smtp_server.wait_for(1)[0]) == "http://localhost:8765"


def test_a_base_url_that_is_not_an_http_url_is_refused_by_name(tmp_path: Path) -> None:
    for bad in ("papers.example.org", "ftp://papers.example.org", "https://", "https://x.org/?a=1"):
        with pytest.raises(ConfigError, match=r"base_url: .*is not an http\(s\) URL"):
            load_settings(data_dir=tmp_path, base_url=bad)
    assert load_settings(data_dir=tmp_path, base_url="").base_url is None
    assert load_settings(data_dir=tmp_path, base_url="https://papers.example.org/").site_url == (
        "https://papers.example.org"
    )
