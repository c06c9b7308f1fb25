"""Imports, exports and "For you" through the app: pages, downloads, the JSON API and their errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings, load_settings
from papertide.web.app import create_app
from tests.web.library_helpers import bearer, post_form
from tests.web.signin import csrf_token, sign_in

FIXTURES = Path(__file__).parents[1] / "fixtures" / "library"


@pytest.fixture
def client(settings: Settings, own_store) -> TestClient:
    return TestClient(create_app(settings, own_store))


def upload(
    client: TestClient, name: str, data: bytes | None = None, collection: str = "", *, token: bool = True, **kwargs
):
    fields = {"collection": collection} | ({"csrf_token": csrf_token(client, "/")} if token else {})
    content = data if data is not None else (FIXTURES / name).read_bytes()
    files = {"file": (name, content, "application/octet-stream")}
    return client.post("/library/import", data=fields, files=files, **kwargs)


def collection_ids(client: TestClient) -> dict[str, str]:
    html = client.get("/library").text
    found = re.findall(r'href="/library/([\w-]+)">\s*<span class="collection-name">([^<]+)<', html)
    return {name: public_id for public_id, name in found}


def test_importing_a_zotero_file_from_the_library_page(client: TestClient) -> None:
    sign_in(client)
    response = upload(client, "zotero.bib")
    assert response.status_code == 200
    text = re.sub(r"\s+", " ", response.text)
    assert "Imported into “Saved”" in text
    assert "7 of 9 BibTeX entries matched a paper in this library; 7 papers were added" in text
    assert "<td>95</td><td data-math>BERT: Pre-training of Deep Bidirectional Transformers" in text
    assert "looked for arXiv 1810.04805" in text
    saved = collection_ids(client)["Saved"]
    assert client.get(f"/library/{saved}").text.count('class="card"') == 7


def test_the_import_report_names_the_paper_each_entry_became_and_how(client: TestClient) -> None:
    sign_in(client)
    text = re.sub(r"\s+", " ", upload(client, "zotero.bib").text)
    rows = re.findall(r'<tr><td>(\d+)</td><td data-math>[^<]*(?:<span class="chip-id">[^<]*</span>)?</td>'
                      r'<td><a href="/paper/([^"]+)" data-math>([^<]+)</a> <span class="paper-id">[^<]+</span></td>'
                      r'<td>([^<]+)</td></tr>', text)  # fmt: skip
    assert "Found (7)" in text
    assert rows[:3] == [
        ("2", "1706.03762", "Attention Is All You Need", "arXiv id"),
        ("17", "1512.03385", "Deep Residual Learning for Image Recognition", "title"),
        ("32", "hep-th/9711200", "The Large N Limit of Superconformal Field Theories and Supergravity", "DOI"),
    ]
    assert len(rows) == 7
    stranger = TestClient(client.app)
    sign_in(stranger, "nothing-found@example.org")
    nothing = upload(stranger, "x.bib", b"@book{k, title={No Such Book}}")
    assert "0 of 1 BibTeX entry matched" in re.sub(r"\s+", " ", nothing.text)
    assert "Found (" not in nothing.text  # no empty table


def test_importing_into_a_chosen_collection(client: TestClient) -> None:
    sign_in(client)
    post_form(client, "/library/new", {"name": "Chapter 2"})
    chapter = collection_ids(client)["Chapter 2"]
    response = upload(client, "zotero.ris", collection=chapter)
    assert "Imported into “Chapter 2”" in response.text
    assert "4 of 5 RIS entries matched" in re.sub(r"\s+", " ", response.text)


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        ("zotero.bib", ("{Generative {Adversarial} {Nets}},", "{Generative {Adversarial} {Nets},"),
         "zotero.bib: line 108 (entry &#39;goodfellow_generative_2014&#39; from line 107): field &#39;title&#39;"),
        ("zotero.ris", ("PY  - 1999\n", "PY 1999\n"), "zotero.ris: line 44: expected a tag line"),
    ],
    ids=["bibtex", "ris"],
)  # fmt: skip
def test_a_malformed_upload_names_the_line_and_imports_nothing(client: TestClient, name, edit, message) -> None:
    sign_in(client)
    broken = (FIXTURES / name).read_text().replace(*edit).encode()
    response = upload(client, name, broken)
    assert response.status_code == 400
    assert "Nothing was imported" in response.text
    assert message in response.text
    assert collection_ids(client) == {}  # not even "Saved" was made


def test_the_import_form_needs_the_csrf_token_and_an_account(client: TestClient) -> None:
    signed_out = upload(client, "zotero.bib", follow_redirects=False)
    assert signed_out.status_code == 303 and signed_out.headers["location"].startswith("/signin?next=")
    sign_in(client)
    forged = upload(client, "zotero.bib", token=False)
    assert forged.status_code == 403
    assert collection_ids(client) == {}
    no_file = client.post("/library/import", data={"csrf_token": csrf_token(client, "/library")})
    assert no_file.status_code == 400 and "choose a BibTeX" in no_file.text


def test_oversized_uploads_are_refused_before_they_are_read(tmp_path, own_store) -> None:
    settings = load_settings(data_dir=tmp_path, import_max_bytes=2_000)
    client = TestClient(create_app(settings, own_store))
    sign_in(client)
    response = upload(client, "big.bib", b"@misc{x, title={y}}\n" * 10_000)  # 200 kB
    assert response.status_code == 413
    assert "an import takes files of up to 2,000 bytes" in response.text
    near_limit = upload(client, "zotero.bib")  # 4.5 kB: within the multipart allowance, over the file limit
    assert near_limit.status_code == 413
    assert "zotero.bib has 4,482 bytes; an import takes at most 2,000" in near_limit.text


def test_collections_export_as_bibtex_and_json(client: TestClient) -> None:
    sign_in(client)
    upload(client, "zotero.bib")
    saved = collection_ids(client)["Saved"]
    bib = client.get(f"/c/{saved}.bib")
    assert bib.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert bib.headers["content-disposition"] == 'attachment; filename="saved.bib"'
    entries = {e["eprint"]: e for e in bibtexparser.loads(bib.text).entries}
    assert len(entries) == 7 and entries["hep-th/9711200"]["doi"] == "10.1023/A:1026654312961"
    assert entries["1706.03762"]["ID"] == "vaswani2017attention"
    exported = client.get(f"/c/{saved}.json")
    assert exported.headers["content-disposition"] == 'attachment; filename="saved.json"'
    body = json.loads(exported.text)
    assert body["name"] == "Saved" and len(body["items"]) == 7 and body["next_cursor"] is None
    stranger = TestClient(client.app)
    assert stranger.get(f"/c/{saved}.bib").status_code == 404  # private
    assert stranger.get(f"/api/v1/collections/{saved}/bibtex").status_code == 404
    post_form(client, f"/library/{saved}/visibility", {"public": "true"})
    assert stranger.get(f"/c/{saved}.bib").status_code == 200
    assert stranger.get(f"/api/v1/collections/{saved}/bibtex").text == bib.text


def test_the_api_imports_with_a_bearer_token(client: TestClient) -> None:
    _, headers = bearer(client, "api@example.org")
    files = {"file": ("handwritten.bib", (FIXTURES / "handwritten.bib").read_bytes())}
    answer = client.post("/api/v1/collections/default/import", files=files, headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert (body["format"], body["entries"], body["matched"], body["added"]) == ("BibTeX", 6, 5, 5)
    assert body["unmatched"] == [
        {"line": 54, "key": "knuth1984texbook", "title": "The \\TeXbook",
         "reason": "not in this library (looked for the title)"},
    ]  # fmt: skip
    assert body["collection"]["papers"] == 5
    assert [(f["line"], f["key"], f["matched_by"], f["paper_id"]) for f in body["found"]] == [
        (7, "vaswani2017attention", "arxiv_id", "1706.03762"),
        (17, "jiang2023mistral", "arxiv_id", "2310.06825"),
        (24, "2016arXiv160608415H", "arxiv_id", "1606.08415"),
        (39, "jiang2024mixtral", "title", "2401.04088"),
        (47, "ye2024differential", "arxiv_id", "2410.05258"),
    ]
    assert body["found"][3]["paper_title"] == "Mixtral of Experts"
    assert client.post("/api/v1/collections/default/import", files=files).status_code == 401
    broken = {"file": ("x.ris", b"TY  - JOUR\nTI  - x\n")}
    problem = client.post("/api/v1/collections/default/import", files=broken, headers=headers)
    assert problem.status_code == 400 and problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["detail"] == "x.ris: line 1: the record has no 'ER  - ' line ending it"


# -- For you, over the indexed web-test library ----------------------------------------------------


@pytest.fixture
def reader(indexed_app: FastAPI, request: pytest.FixtureRequest) -> TestClient:
    """A signed-in browser of the shared, indexed app, as a fresh account (saves change nobody else's pages)."""
    client = TestClient(indexed_app)
    sign_in(client, f"{request.node.name}@example.org")
    return client


def test_for_you_explains_how_to_get_recommendations(reader: TestClient) -> None:
    html = re.sub(r"\s+", " ", reader.get("/for-you").text)
    assert "Nothing to go on yet." in html
    assert "import your reference manager's BibTeX or RIS export" in html
    assert reader.get("/api/v1/for-you").json() == {"window": "month", "since": "2024-09-26", "fallback_from": None,
                                                    "based_on": 0, "results": []}  # fmt: skip


def test_for_you_recommends_from_saved_papers_with_reasons(reader: TestClient) -> None:
    for paper_id in ("1706.03762", "2106.09685"):
        post_form(reader, f"/paper/{paper_id}/save", {"change": "add:"})
    html = reader.get("/for-you", params={"window": "all"}).text
    cards = re.findall(r'class="card-title"><a href="/paper/([^"]+)"', html)
    reasons = re.findall(r'<p class="reason">Similar to <a href="/paper/([^"]+)"', html)
    assert len(cards) == len(reasons) == 12  # every other paper of the 14, each with its reason
    assert not {"1706.03762", "2106.09685"} & set(cards)  # what was saved is not recommended back
    assert set(reasons) <= {"1706.03762", "2106.09685"}
    assert "which you saved" in html
    api = reader.get("/api/v1/for-you", params={"window": "all", "limit": 3}).json()
    assert api["based_on"] == 2 and len(api["results"]) == 3
    first = api["results"][0]
    assert first["paper"]["id"] not in ("1706.03762", "2106.09685")
    assert first["because"]["id"] in ("1706.03762", "2106.09685") and first["because"]["saved"] is True
    assert first["reason"] == f"Similar to “{first['because']['title']}”, which you saved"


def test_for_you_needs_an_account(client: TestClient) -> None:
    assert client.get("/for-you", follow_redirects=False).headers["location"] == "/signin?next=%2Ffor-you"
    assert client.get("/api/v1/for-you").status_code == 401


def test_doubling_macros_are_a_413_through_the_api_and_the_page(client: TestClient) -> None:
    """Issue 21's 1 KB upload (a0 = 10 x's, a<n> = a<n-1> # a<n-1> up to a39) is refused at once, storing nothing."""
    lines = ["@string{a0={xxxxxxxxxx}}", *(f"@string{{a{n} = a{n - 1} # a{n - 1}}}" for n in range(1, 40))]
    attack = ("\n".join([*lines, "@misc{k, title=a39}"]) + "\n").encode()
    limit = "the limit is 4 times the file's size"
    _, headers = bearer(client, "api@example.org")
    files = {"file": ("attack.bib", attack)}
    problem = client.post("/api/v1/collections/default/import", files=files, headers=headers)
    assert problem.status_code == 413 and problem.headers["content-type"] == "application/problem+json"
    assert problem.json()["detail"].startswith("attack.bib: line 9 (@string from line 9): field 'a8': expanding")
    assert limit in problem.json()["detail"]
    assert client.get("/api/v1/collections", headers=headers).json() == {"collections": []}
    sign_in(client)
    page = upload(client, "attack.bib", attack)
    assert page.status_code == 413
    assert "Nothing was imported" in page.text and limit.replace("'", "&#39;") in page.text
    assert collection_ids(client) == {}
