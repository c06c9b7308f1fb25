"""Long search texts in every script: POST /api/v1/search, the search page's POST form and its linkable result
page, and the HTTP layer's own limits (URL, request head), over a real uvicorn server and real HTTP."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from papertide.config import load_settings
from papertide.search.query import MAX_QUERY_CHARS
from papertide.store.papers.store import PaperStore
from papertide.store.search_texts import text_id
from papertide.web.app import create_app
from papertide.web.kit.params import MAX_SEARCH_BODY_BYTES
from papertide.web.server.http_protocol import MAX_HEAD_BYTES, MAX_URL_BYTES
from tests.web.live_server import serve
from tests.web.test_api import assert_problem
from tests.web.test_pages import card_ids

_rng = random.Random(21)
CJK = "".join(chr(_rng.randint(0x4E00, 0x9FFF)) for _ in range(MAX_QUERY_CHARS))
ACCENTED = " ".join(
    "".join(_rng.choice("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿőűłńśźżčďěňřšťůž") for _ in range(_rng.randint(3, 9)))
    for _ in range(MAX_QUERY_CHARS)
)[:MAX_QUERY_CHARS]
LONG_TEXTS = pytest.mark.parametrize("text", [CJK, ACCENTED], ids=["cjk", "accented"])
RESIDUAL = "1512.03385"  # the fixture paper on residual learning


def pasted_abstract(client: TestClient | httpx.Client) -> str:
    """A 20,000-character paste: the residual-learning abstract, in turns with Chinese and accented prose."""
    abstract = client.get(f"/api/v1/papers/{RESIDUAL}").json()["abstract"]
    turn = f"{abstract}\n\n{CJK[:400]}\n\nRésumé : {ACCENTED[:400]}\n\n"
    return (turn * (MAX_QUERY_CHARS // len(turn) + 1))[:MAX_QUERY_CHARS]


def without_timing(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "took_ms"}


@pytest.fixture(scope="module")
def base_url(indexed_app: FastAPI) -> Iterator[str]:
    with serve(indexed_app) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        yield client


def raw_request(base_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (httpx refuses URLs this long itself); the status, headers and body answered."""
    host, port = urlsplit(base_url).hostname, urlsplit(base_url).port
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


def get_with_url_of(base_url: str, size: int) -> tuple[int, dict[str, str], bytes]:
    prefix = "/api/v1/search?q="
    url = prefix + "a" * (size - len(prefix))
    return raw_request(base_url, f"GET {url} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())


# -- the API: POST takes what GET takes ----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"q": "residual networks"},
        {"q": "attention", "mode": "lexical", "limit": 3, "offset": 1},
        {"related": "Deeper neural networks are difficult to train -- a residual framework", "sort": "newest"},
        {"q": "", "category": ["cs.LG"], "submitted_from": "2023-01-01"},
        {"q": "transformer", "exclude": ["cs.CL"], "mode": "semantic"},
        {"q": "memory", "category": ["cs.*"], "submitted_to": "2024-12-31", "mode": "hybrid", "limit": 5},
    ],
)
def test_post_answers_exactly_what_get_answers(client: TestClient, params: dict) -> None:
    got = client.get("/api/v1/search", params=params)
    posted = client.post("/api/v1/search", json=params)
    assert got.status_code == posted.status_code == 200
    assert without_timing(posted.json()) == without_timing(got.json())
    assert posted.json()["results"] or params.get("mode") == "lexical"


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(
    ("params", "status", "mentions"),
    [
        ({"q": "x" * (MAX_QUERY_CHARS + 1)}, 400, f"at most {MAX_QUERY_CHARS:,}"),
        ({"related": "x" * (MAX_QUERY_CHARS + 1)}, 400, f"at most {MAX_QUERY_CHARS:,}"),
        ({"q": "attention", "related": "a pasted abstract"}, 400, "not both"),
        ({"q": "graphs", "mode": "fuzzy"}, 422, "mode"),
        ({"q": "graphs", "limit": 500}, 422, "limit"),
        ({"q": "graphs", "category": ["cs.LG"] * 33}, 422, "category"),
    ],
)
def test_get_and_post_refuse_the_same_input_alike(
    client: TestClient, method: str, params: dict, status: int, mentions: str
) -> None:
    sent = {"params": params} if method == "GET" else {"json": params}
    body = assert_problem(client.request(method, "/api/v1/search", **sent), status)
    assert mentions in body["detail"]


def test_post_refuses_a_body_that_is_not_a_search(client: TestClient) -> None:
    body = assert_problem(client.post("/api/v1/search", json={"q": ["a", "list"]}), 422)
    assert "body.q" in body["detail"]
    assert_problem(
        client.post("/api/v1/search", content=b"{not json", headers={"content-type": "application/json"}), 422
    )


def test_the_body_limit_takes_the_longest_text_however_it_is_encoded(client: TestClient) -> None:
    """20,000 characters outside the BMP: 12 bytes each as JSON escapes (ensure_ascii) or percent-encoded."""
    astral = "".join(chr(0x20000 + n % 5000) for n in range(MAX_QUERY_CHARS))
    body = json.dumps({"related": astral, "mode": "lexical", "category": ["cs.LG"] * 32}).encode()
    assert len(body) > 12 * MAX_QUERY_CHARS
    response = client.post("/api/v1/search", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["query"] == astral
    form = {"related": astral, "find": "related", "mode": "lexical", "category": ["cs.LG"] * 32}
    assert client.post("/search", data=form, follow_redirects=False).status_code == 303


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_refused_before_it_is_read(client: TestClient, declared: bool) -> None:
    oversized = b'{"q": "' + b"x" * MAX_SEARCH_BODY_BYTES + b'"}'
    content = oversized if declared else iter([oversized[:1000], oversized[1000:]])
    for path in ("/api/v1/search", "/search"):
        response = client.post(path, content=content, headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert f"at most {MAX_SEARCH_BODY_BYTES:,}" in response.text
        content = oversized if declared else iter([oversized[:1000], oversized[1000:]])


def test_openapi_documents_the_post_with_the_get_parameters(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    search = schema["paths"]["/api/v1/search"]
    body = search["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SearchBody"}  # SearchRequest, with JSON numbers for numbers
    fields = set(schema["components"]["schemas"]["SearchBody"]["properties"])
    assert {parameter["name"] for parameter in search["get"]["parameters"]} == fields
    assert fields >= {"q", "related", "mode", "sort", "category", "exclude", "submitted_from", "limit", "offset"}
    assert "413" in search["post"]["responses"]


# -- 20,000 characters of any script, over real HTTP -----------------------------------------------


@LONG_TEXTS
def test_a_20000_character_text_does_not_fit_in_a_url(text: str) -> None:
    """Why POST exists: percent-encoded, the longest query passes the URL limit."""
    assert len(text) == MAX_QUERY_CHARS
    assert len(quote(text)) > MAX_URL_BYTES


@LONG_TEXTS
@pytest.mark.parametrize("field", ["q", "related"])
def test_a_20000_character_non_ascii_text_is_answered_through_post(http: httpx.Client, text: str, field: str) -> None:
    response = http.post("/api/v1/search", json={field: text, "mode": "lexical"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == text
    assert body["related"] is (field == "related")
    over = assert_problem(http.post("/api/v1/search", json={field: text + "語"}), 400)
    assert f"({MAX_QUERY_CHARS + 1:,} characters; at most {MAX_QUERY_CHARS:,})" in over["detail"]


def test_a_pasted_abstract_of_20000_characters_finds_its_paper_in_every_mode(http: httpx.Client) -> None:
    pasted = pasted_abstract(http)
    assert len(pasted) == MAX_QUERY_CHARS and len(quote(pasted)) > MAX_URL_BYTES
    for mode in ("lexical", "hybrid"):
        body = http.post("/api/v1/search", json={"related": pasted, "mode": mode, "limit": 3}).json()
        assert body["results"][0]["paper"]["id"] == RESIDUAL, mode


# -- the HTTP layer's own refusals ----------------------------------------------------------------


def test_a_url_over_the_limit_is_refused_with_a_problem_naming_the_limit_and_post(base_url: str) -> None:
    status, headers, body = raw_request(
        base_url, f"GET /api/v1/search?q={quote(CJK)} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    )
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    problem = httpx.Response(status, content=body).json()
    assert problem["status"] == 414 and problem["instance"] == "/api/v1/search"
    assert f"more than {MAX_URL_BYTES:,} bytes" in problem["detail"]
    assert "POST /api/v1/search" in problem["detail"]


def test_the_url_limit_is_exact(base_url: str) -> None:
    status, _, body = get_with_url_of(base_url, MAX_URL_BYTES)
    assert status == 400 and b"query is too long" in body  # reached the app, which refuses 65,518 characters
    assert get_with_url_of(base_url, MAX_URL_BYTES + 1)[0] == 414


@pytest.mark.parametrize("ending", [b"\r\n\r\n", b""], ids=["complete", "never-ending"])
def test_a_request_head_over_the_limit_is_refused_with_a_problem(
    base_url: str, http: httpx.Client, ending: bytes
) -> None:
    """A head over the limit is refused once parsed, or while it still streams in (the parser holds it all)."""
    big = b"x" * (MAX_HEAD_BYTES + 1)
    status, headers, body = raw_request(base_url, b"GET /api/v1/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + big + ending)
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert f"more than {MAX_HEAD_BYTES:,} bytes" in httpx.Response(status, content=body).json()["detail"]
    assert http.get("/api/v1/stats", headers={"X-Big": "x" * 60_000}).status_code == 200  # within it: served


def test_a_request_that_is_not_http_is_refused_with_a_problem(base_url: str, http: httpx.Client) -> None:
    status, headers, body = raw_request(base_url, b"HELLO THERE\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert "not valid HTTP/1.1" in httpx.Response(status, content=body).json()["detail"]
    assert http.get("/healthz").status_code == 200  # the server goes on serving


# -- the search page: the form is a POST, its result page a short address ----------------------------


def test_a_short_search_redirects_to_a_plain_url_with_its_options(client: TestClient) -> None:
    form = {"q": "dark matter", "related": "left in the other box", "mode": "lexical", "sort": "newest"}
    response = client.post(
        "/search", data=form | {"category": ["cs.LG", "physics.*"], "exclude": ""}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/search?q=dark+matter&mode=lexical&sort=newest&category=cs.LG&category=physics.%2A"
    )
    related = client.post("/search", data=form | {"find": "related"}, follow_redirects=False)
    assert related.headers["location"] == "/search?related=left+in+the+other+box&find=related&mode=lexical&sort=newest"
    assert client.post("/search", data={"q": "  "}, follow_redirects=False).headers["location"] == "/search"


def test_a_pasted_abstract_of_20000_characters_gets_a_linkable_result_page(http: httpx.Client) -> None:
    pasted = pasted_abstract(http)
    sent = pasted.replace("\n", "\r\n")  # as a browser sends a textarea: longer than the limit, until normalised
    assert len(sent) > MAX_QUERY_CHARS
    response = http.post("/search", data={"related": sent, "find": "related", "mode": "lexical"})
    assert response.status_code == 303
    address = response.headers["location"]
    assert parse_qs(urlsplit(address).query) == {"text_id": [text_id(pasted)], "find": ["related"], "mode": ["lexical"]}
    assert len(address) < 100

    page = http.get(address)
    assert page.status_code == 200
    assert card_ids(page.text)[0] == RESIDUAL
    assert "related to the text you pasted" in page.text
    assert f">{escape(pasted)}</textarea>" in page.text  # the box holds it, to refine
    assert 'type="application/atom+xml"' not in page.text  # no feed for a pasted text
    assert card_ids(http.get(address).text) == card_ids(page.text)  # reload, or a shared link: the same page
    again = http.post("/search", data={"related": sent, "find": "related", "mode": "lexical"})
    assert again.headers["location"] == address  # the same text, the same address


@LONG_TEXTS
def test_a_20000_character_query_in_the_search_box_gets_a_linkable_result_page(http: httpx.Client, text: str) -> None:
    response = http.post("/search", data={"q": text, "mode": "lexical", "category": "cs.LG"})
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query == {"text_id": [text_id(text)], "mode": ["lexical"], "category": ["cs.LG"]}
    page = http.get(response.headers["location"])
    assert page.status_code == 200
    assert f'value="{escape(text)}"' in page.text  # the query box holds it
    assert 'class="result-summary"' in page.text and "That query could not be read" not in page.text


def test_a_form_text_over_the_limit_is_refused_naming_it_and_kept_nowhere(client: TestClient) -> None:
    too_long = "語" * (MAX_QUERY_CHARS + 1)
    response = client.post("/search", data={"related": too_long, "find": "related"}, follow_redirects=False)
    assert response.status_code == 400
    assert f"at most {MAX_QUERY_CHARS:,}" in response.text
    assert client.get("/search", params={"text_id": text_id(too_long)}).status_code == 404


def test_an_unknown_text_id_is_a_404_page_that_says_what_to_do(client: TestClient) -> None:
    response = client.get("/search", params={"text_id": "never-saved-text-id0"})
    assert response.status_code == 404
    assert "paste it into the search form again" in response.text
    assert client.get("/search", params={"text_id": "x" * 21}).status_code == 422


def test_kept_texts_are_rate_limited_per_client(tmp_path: Path, own_store: PaperStore) -> None:
    settings = load_settings(data_dir=tmp_path, search_texts_per_client=2)
    with TestClient(create_app(settings, own_store)) as client:
        texts = [f"{n} " + "長" * 3000 for n in range(3)]
        for text in texts[:2]:
            assert client.post("/search", data={"q": text}, follow_redirects=False).status_code == 303
        refused = client.post("/search", data={"q": texts[2]}, follow_redirects=False)
        assert refused.status_code == 429
        assert "2 long search texts in the past hour" in refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert client.get("/search", params={"text_id": text_id(texts[2])}).status_code == 404  # not kept
        assert client.post("/search", data={"q": "short texts are not kept"}, follow_redirects=False).status_code == 303
