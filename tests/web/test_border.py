"""Web input checked at the border (issue 21): ids within the database's keys, a 500 that keeps the connection,
OPTIONS on every route, and the schema's patterns agreeing with what the server accepts."""

from __future__ import annotations

import http.client
import logging
import re
from urllib.parse import urlsplit

import pytest
from annotated_types import Ge, Le
from fastapi import FastAPI, params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from papertide.accounts.sign_in import normalise_email
from papertide.category_filter import CATEGORY_LIST_PATTERN
from papertide.config import Settings
from papertide.digest.links import MANAGE
from papertide.errors import InvalidInput, QueryError
from papertide.mail.addresses import parse_address
from papertide.search.query import build_filters
from papertide.store import PaperStore
from papertide.store.db.cursors import CURSOR_PATTERN, decode_cursor
from papertide.store.db.schema import MAX_KEY
from papertide.web.app import create_app
from papertide.web.kit.border import EMAIL_PATTERN
from tests.web.library_helpers import bearer
from tests.web.live_server import serve
from tests.web.signin import csrf_token, sign_in

TOO_BIG = MAX_KEY + 1


@pytest.fixture
def app(mail_settings: Settings, own_store: PaperStore) -> FastAPI:
    return create_app(mail_settings.model_copy(update={"base_url": "http://testserver"}), own_store)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_every_integer_path_and_query_parameter_is_bounded_to_a_database_key(app: FastAPI) -> None:
    """A new route's ``int`` parameter without bounds fails here, before it can overflow the driver."""
    unbounded = []
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute):
            continue
        for param in get_flat_params(route.original_route.dependant):
            if not isinstance(param.field_info, params.Path | params.Query) or param.field_info.annotation is not int:
                continue
            low = max((m.ge for m in param.field_info.metadata if isinstance(m, Ge)), default=None)
            high = min((m.le for m in param.field_info.metadata if isinstance(m, Le)), default=None)
            if low is None or high is None or low < -MAX_KEY - 1 or high > MAX_KEY:
                unbounded.append(f"{route.path}: {param.name}")
    assert not unbounded


def test_ids_beyond_a_database_key_are_422_problems_not_500s(client: TestClient, smtp_server) -> None:
    _, headers = bearer(client, "ids@example.org")
    for too_big in (TOO_BIG, 2**63, 10**20, 0, -1):
        answer = client.delete(f"/api/v1/digest/subscription/alerts/{too_big}", headers=headers)
        assert answer.status_code == 422, too_big
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["location"] == "path.alert_id"
    assert client.delete(f"/api/v1/digest/subscription/alerts/{MAX_KEY}", headers=headers).status_code == 404

    user = sign_in(client, "pages@example.org")
    revoke = client.post(f"/account/tokens/{10**20}/revoke", data={"csrf_token": csrf_token(client, "/account")})
    assert revoke.status_code == 422 and "less than or equal to" in revoke.text
    digest = client.app.state.digest
    subscription = digest.subscriptions.subscribe_user(user)
    manage = f"/digest/manage/{digest.mail.links.token(MANAGE, subscription)}"
    removed = client.post(f"{manage}/alerts/{10**20}/delete", data={"csrf_token": csrf_token(client, manage)})
    assert removed.status_code == 422
    signature = digest.mail.links.token(MANAGE, subscription).partition(".")[2]
    assert client.get(f"/digest/manage/{TOO_BIG}.{signature}").status_code == 403  # not the database's error


def test_a_cursor_never_carries_a_key_beyond_the_database_s() -> None:
    assert decode_cursor("99999999999999999~999999999")[1] < MAX_KEY  # the largest the pattern admits
    with pytest.raises(InvalidInput, match="invalid cursor"):
        decode_cursor("1~" + "9" * 10)
    assert "{1,9}" in CURSOR_PATTERN


def test_a_500_answers_a_problem_and_keeps_the_connection_for_the_next_request(app: FastAPI, caplog) -> None:
    def fail() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/test-failure", fail)
    with serve(app) as base_url:
        url = urlsplit(base_url)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        answers = []
        for path in ("/api/v1/test-failure", f"/api/v1/digest/subscription/alerts/{TOO_BIG}", "/healthz"):
            method = "DELETE" if "alerts" in path else "GET"
            connection.request(method, path)
            if not answers:
                socket = connection.sock
            response = connection.getresponse()
            answers.append((response.status, response.getheader("content-type"), response.read()))
            assert connection.sock is socket, f"{path}: the server closed the connection"
        connection.close()
    assert [status for status, _, _ in answers] == [500, 401, 200]
    assert answers[0][1] == "application/problem+json"
    assert b"a bug" not in answers[0][2]  # logged, not told
    assert any("failed unexpectedly" in r.message and r.levelno == logging.ERROR for r in caplog.records)


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/papers/2410.21276/vote", "DELETE, OPTIONS, POST"),  # not GET: /papers/{id:path} is less specific
        ("/api/v1/papers/hep-th/9711200", "GET, OPTIONS"),
        ("/api/v1/collections", "GET, OPTIONS, POST"),
        ("/api/v1/collections/abc", "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/digest/subscription", "DELETE, GET, OPTIONS, PATCH"),
        ("/account/tokens", "GET, OPTIONS, POST"),
    ],
)
def test_options_lists_every_method_the_path_allows(client: TestClient, path: str, allowed: str) -> None:
    answer = client.options(path)
    assert answer.status_code == 204
    assert answer.headers["allow"] == allowed


def test_options_on_an_unknown_path_is_a_404(client: TestClient) -> None:
    assert client.options("/api/v1/nothing-here").status_code == 404


@given(st.from_regex(EMAIL_PATTERN))
def test_every_address_the_schema_admits_is_one_the_mail_path_takes(address: str) -> None:
    parse_address(normalise_email(address), field="email")


_CATEGORY_TEXT = st.text(alphabet="csLG.*-hep, \t\nä0", max_size=20)


@given(st.one_of(_CATEGORY_TEXT, st.from_regex(CATEGORY_LIST_PATTERN)))
def test_the_published_category_pattern_is_what_the_filters_accept(value: str) -> None:
    try:
        build_filters([value])
        accepted = True
    except QueryError:
        accepted = False
    assert accepted == bool(re.search(CATEGORY_LIST_PATTERN, value))


@pytest.mark.parametrize("address", ["first.middle.last.jr@example.org", "name@stud.cs.ox.ac.uk"])
def test_the_schema_admits_long_real_addresses(address: str) -> None:
    assert re.search(EMAIL_PATTERN, address)


def test_subscribing_without_an_address_needs_credentials(client: TestClient) -> None:
    answer = client.post("/api/v1/digest/subscribe", json={})
    assert answer.status_code == 401 and "email address" in answer.json()["detail"]


@pytest.mark.parametrize("email", ["", "  ", "no-at-sign", "a@b@c", "é@example.org", "a@-x.org"])
def test_an_address_outside_the_schema_is_a_422_naming_it(client: TestClient, email: str) -> None:
    answer = client.post("/api/v1/digest/subscribe", json={"email": email})
    assert answer.status_code == 422
    assert answer.json()["detail"] == f"body.email: must be an email address such as name@example.org, got {email!r}"


@pytest.mark.parametrize(
    ("preferences", "status", "mentions"),
    [
        ({"weekday": "friday", "hour": 7.0, "max_papers": 5}, 200, None),
        ({"hour": "7"}, 422, "body.preferences.hour: must be a whole number"),
        ({"hour": None}, 422, "body.preferences.hour"),
        ({"hour": 24}, 422, "less than or equal to 23"),
        ({"weekday": "Someday"}, 422, "body.preferences.weekday"),
        ({"timezone": "Mars/Olympus"}, 422, "body.preferences.timezone"),
        ({"categories": ["cs.LG;DROP"]}, 422, "must be a category such as cs.LG"),
        ({"paused_until": 0}, 422, "YYYY-MM-DD"),
        ({"sections": []}, 422, "body.preferences.sections"),
    ],
)
def test_digest_preferences_are_checked_by_their_schema(client, preferences, status, mentions) -> None:
    _, headers = bearer(client, "prefs@example.org")
    answer = client.post("/api/v1/digest/subscribe", json={"preferences": preferences}, headers=headers)
    assert answer.status_code == status, answer.text
    if mentions:
        assert mentions in answer.json()["detail"]


def test_a_wrong_type_says_what_the_field_must_be_and_a_missing_field_is_required(client: TestClient) -> None:
    _, headers = bearer(client, "types@example.org")
    client.post("/api/v1/digest/subscribe", json={}, headers=headers)
    answer = client.post("/api/v1/digest/subscription/alerts", json={"kind": 5}, headers=headers)
    assert answer.status_code == 422
    assert [error["message"] for error in answer.json()["errors"]] == [
        "must be 'search' or 'author', got 5",
        "is required",
    ]
    listing = client.get("/api/v1/papers", params={"limit": "ten", "cursor": "x"})
    assert listing.json()["detail"] == (
        "query.cursor: must match pattern '^[0-9]{1,17}~[0-9]{1,9}$', got 'x'; "
        "query.limit: must be a valid integer, unable to parse string as an integer, got 'ten'"
    )


def test_an_import_takes_the_file_as_a_plain_form_field_too(client: TestClient) -> None:
    _, headers = bearer(client, "curl@example.org")
    entry = "@misc{k, title={Attention Is All You Need}, eprint={1706.03762}}"
    answer = client.post("/api/v1/collections/default/import", files={"file": (None, entry)}, headers=headers)
    assert answer.status_code == 200 and answer.json()["entries"] == 1
