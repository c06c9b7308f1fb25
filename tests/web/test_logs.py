"""Logs an operator can use: one format for every line, a request id through a request's lines, no secrets.

The flows are real (a sign-in link sent through an SMTP server and followed, an API token used, a
digest sent and refused by the relay, a bug's 500), logged through the handler ``papertide serve``
installs, into a file that is then searched for every secret and address the flow used.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from papertide.accounts.api_tokens import create_api_token
from papertide.cli import app as cli
from papertide.config import Settings, load_settings
from papertide.digest.preferences import Preferences
from papertide.ingest.pipeline import ingest
from papertide.logs import REDACTED, configure_logging, configured_secrets, log_handler, redact
from papertide.store import PaperStore
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.web.app import create_app
from tests.digest.conftest import paper
from tests.mail_server import MailServer
from tests.web.signin import csrf_token

READER = "alice.reader@example.org"
SUBSCRIBER = "bob.subscriber@example.net"
SIGN_IN_LINK = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[Path, list[logging.Handler]]]:
    """A log file on the root logger at INFO; the handlers added, to configure with the test's settings."""
    path = tmp_path / "papertide.log"
    handlers: list[logging.Handler] = []
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    try:
        yield path, handlers
    finally:
        for handler in handlers:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


def log_to(logged: tuple[Path, list[logging.Handler]], settings: Settings) -> Path:
    path, handlers = logged
    handler = log_handler(settings, logging.FileHandler(path))
    logging.getLogger().addHandler(handler)
    handlers.append(handler)
    return path


@pytest.fixture
def settings(tmp_path: Path, smtp_server: MailServer, database_url: str) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        database_url=database_url,
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        log_format="json",
        secret_key="a-secret-key-that-signs-every-cookie",
    )


def test_a_realistic_flow_logs_no_secret_token_or_address(
    settings: Settings, own_store: PaperStore, smtp_server: MailServer, logged
) -> None:
    log_file = log_to(logged, settings)
    app = create_app(settings, own_store)

    def fail() -> None:
        raise RuntimeError(f"a bug while serving {READER} with {settings.secret_key.get_secret_value()}")

    app.add_api_route("/api/v1/test-failure", fail)
    with TestClient(app, raise_server_exceptions=False) as client:
        # sign in by the emailed link
        form = {"email": READER, "next": "/", "csrf_token": csrf_token(client)}
        assert client.post("/signin", data=form).status_code == 200
        [message] = smtp_server.wait_for(1)
        link = SIGN_IN_LINK.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)
        assert client.get(link).status_code == 200
        signed_in = client.post(link, data={"csrf_token": csrf_token(client, link)}, follow_redirects=False)
        assert signed_in.status_code == 303
        # an API token, used, and sent where it is wrong
        services = app.state.services
        user = services.accounts.get_or_create_user(READER)[0]
        token = create_api_token(services.accounts, user, "laptop")
        assert client.get("/api/v1/account", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/api/v1/account", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        logging.getLogger("papertide.test").warning("a client sent Authorization: Bearer %s", token)
        # a bug
        assert client.get("/api/v1/test-failure").status_code == 500

    # a digest, sent, then refused by the relay
    now = datetime.now(UTC)
    arrived = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    fresh = paper(1, "Fresh results", submitted=arrived - timedelta(days=1))
    ingest([fresh], PaperStore(own_store.engine, lambda: arrived))
    subscriptions = SubscriptionStore(own_store.engine, clock=lambda: arrived - timedelta(days=2))
    preferences = Preferences.parse({"frequency": "daily", "hour": now.hour}).to_dict()
    subscriptions.activate(subscriptions.get_or_create(SUBSCRIBER, preferences, "nonce").pk)
    smtp_server.refuse(SUBSCRIBER)
    env = {"PAPERTIDE_DATA_DIR": str(settings.data_dir), "PAPERTIDE_DATABASE_URL": settings.resolved_database_url}
    env |= {"PAPERTIDE_SMTP_HOST": smtp_server.host, "PAPERTIDE_SMTP_PORT": str(smtp_server.port)}
    env |= {"PAPERTIDE_SMTP_SECURITY": "none"}
    result = CliRunner().invoke(cli, ["digest", "send", "--to", SUBSCRIBER], env=env)
    logging.getLogger().setLevel(logging.INFO)  # the command configured the CLI's level
    assert result.exit_code == 1, result.output  # the digest failed: the address was refused

    text = log_file.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert any(line["logger"] == "papertide.access" and line["path"] == "/signin/<token>" for line in lines)
    assert any("failed unexpectedly" in line["msg"] and "a***@example.org" in line.get("exc", "") for line in lines)
    assert any(line["logger"] == "papertide.mail" and "a***@example.org" in line["msg"] for line in lines)
    assert "b***@example.net" in text  # the refused digest's line names whom, as far as a log may
    secrets = [READER, SUBSCRIBER, "alice.reader", "bob.subscriber", token, token[3:], link.rsplit("/", 1)[1]]
    secrets.append(settings.secret_key.get_secret_value())
    for secret in secrets:
        assert secret not in text, secret
    assert f"Bearer {REDACTED}" in text


def test_the_request_id_is_echoed_and_carried_into_the_search_and_error_lines(
    indexed_app: FastAPI, logged, tmp_path: Path
) -> None:
    log_file = log_to(logged, load_settings(data_dir=tmp_path, log_format="json"))

    def fail() -> None:
        raise RuntimeError("a bug")

    indexed_app.add_api_route("/api/v1/test-request-id-failure", fail)
    with TestClient(indexed_app, raise_server_exceptions=False) as client:
        searched = client.get("/api/v1/search", params={"q": "quantum"}, headers={"X-Request-ID": "lb-7f3a.1"})
        failed = client.get("/api/v1/test-request-id-failure", headers={"X-Request-ID": "lb-7f3a.2"})
        insane = client.get("/healthz", headers={"X-Request-ID": "no spaces or; semicolons"})
        plain = client.get("/healthz")
    assert searched.headers["x-request-id"] == "lb-7f3a.1"
    assert failed.status_code == 500 and failed.headers["x-request-id"] == "lb-7f3a.2"
    assert re.fullmatch("[0-9a-f]{32}", insane.headers["x-request-id"])
    assert re.fullmatch("[0-9a-f]{32}", plain.headers["x-request-id"]) and plain.headers["x-request-id"] != (
        insane.headers["x-request-id"]
    )

    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    first = {line["logger"] for line in lines if line.get("request_id") == "lb-7f3a.1"}
    assert {"papertide.access", "papertide.search.engine"} <= first
    second = [line for line in lines if line.get("request_id") == "lb-7f3a.2"]
    assert {line["logger"] for line in second} == {"papertide.access", "papertide.web.kit.problems"}
    assert any(line["level"] == "ERROR" and "RuntimeError: a bug" in line["exc"] for line in second)
    assert not any(line.get("request_id") and line["logger"] == "papertide.test" for line in lines)


def test_text_lines_carry_the_request_id_too(indexed_app: FastAPI, logged, tmp_path: Path) -> None:
    log_file = log_to(logged, load_settings(data_dir=tmp_path, log_format="text"))
    with TestClient(indexed_app) as client:
        client.get("/api/v1/search", params={"q": "quantum"}, headers={"X-Request-ID": "text-id-1"})
    lines = log_file.read_text().splitlines()
    assert any(re.match(r"\S+ \S+ INFO papertide\.access \[req text-id-1\]: GET /api/v1/search 200 ", x) for x in lines)
    assert any("papertide.search.engine [req text-id-1]: search: mode hybrid" in line for line in lines)


def test_cli_warnings_follow_the_setting(tmp_path: Path) -> None:
    configure_logging(load_settings(data_dir=tmp_path, log_format="json"))
    try:
        [ours] = [h for h in logging.getLogger().handlers if h.get_name() == "papertide"]
        record = logging.LogRecord("papertide.cli", logging.WARNING, __file__, 1, "mail to %s", (READER,), None)
        line = json.loads(ours.format(record))
    finally:
        configure_logging(load_settings(data_dir=tmp_path))
    assert line["msg"] == "mail to a***@example.org" and line["level"] == "WARNING"
    assert record.getMessage() == f"mail to {READER}"  # other handlers (a test's) see the record as logged
    assert len([h for h in logging.getLogger().handlers if h.get_name() == "papertide"]) == 1  # replaced, not added


# -- what redaction recognises ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("logged_text", "shown"),
    [
        ("mail to Alice.Reader@Example.org handed", "mail to A***@Example.org handed"),
        ("to x@mail.example.co.uk, y_z@example.org", "to x***@mail.example.co.uk, y***@example.org"),
        ("Authorization: Bearer abc.def-ghi", f"Authorization: Bearer {REDACTED}"),
        ("token pt_Zq3xY-abcdefghijklmnop used", f"token pt_{REDACTED} used"),
        ("GET /signin/AbC_123-xyz HTTP/1.1", "GET /signin/<token> HTTP/1.1"),
        ("see http://papers.example.org/digest/manage/tok3n/alerts", "see http://papers.example.org/digest/manage/<token>/alerts"),
        ("/digest/unsubscribe/tok?x=1", "/digest/unsubscribe/<token>?x=1"),
        ("postgresql://papertide:hunter2@db:5432/papertide", "postgresql://papertide:***@db:5432/papertide"),
        ("GET /x?token=abc&page=2", f"GET /x?token={REDACTED}&page=2"),
        ("a***@example.org stays as it is", "a***@example.org stays as it is"),
        ("paper 2401.00001 and cs.LG@3", "paper 2401.00001 and cs.LG@3"),
    ],
)
def test_redaction(logged_text: str, shown: str) -> None:
    assert redact(logged_text) == shown


def test_the_configured_secrets_are_redacted_wherever_they_appear(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        database_url="postgresql://papertide:db-pass-9@db.internal/papertide",
        smtp_host="mail.example.org",
        smtp_username="relay",
        smtp_password="smtp-pass-7",
        metrics_access="token",
        metrics_token="metrics-token-0123456789",
    )
    secrets = configured_secrets(settings)
    assert set(secrets) == {"db-pass-9", "smtp-pass-7", "metrics-token-0123456789"}
    text = "login relay/smtp-pass-7 refused; db-pass-9 in a traceback; metrics-token-0123456789"
    assert redact(text, secrets) == f"login relay/{REDACTED} refused; {REDACTED} in a traceback; {REDACTED}"
