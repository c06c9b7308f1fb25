"""The paper page (issue 24): details from every source, labelled links, Hugging Face's notes, and the
Trending, Similar and From-the-same-authors sections, each present only when it has papers; the API's fields."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from papertide.ingest.pipeline import ingest
from papertide.model import Paper
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from papertide.web.app import create_app
from tests.postgres import fresh_database_url
from tests.web.paper_page_library import HF_PAPER, HOSTILE, LICENSED, SCRIPT, build_library
from tests.web.signin import services_of


@pytest.fixture(scope="module")
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("paper-page")
    settings = build_library(data_dir, fresh_database_url(request, data_dir))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def page(client: TestClient, paper_id: str) -> str:
    response = client.get(f"/paper/{paper_id}")
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.text)


def section(html: str, heading_id: str) -> str:
    """The section, or the details aside, holding the heading ``heading_id``; '' when the page has none."""
    start = html.find(f'id="{heading_id}"')
    if start < 0:
        return ""
    opening = max(html.rfind("<section", 0, start), html.rfind("<aside", 0, start))
    closing = "</aside>" if html.startswith("<aside", opening) else "</section>"
    return html[opening : html.index(closing, start)]


def links_of(details: str) -> list[tuple[str, str]]:
    found = re.findall(
        r'<li><a href="([^"]+)" rel="noopener nofollow">[^<]+</a> <span class="found-in">(.*?)</span></li>', details
    )
    return [(url, re.sub(r"<[^>]+>", "", label).strip()) for url, label in found]


def compact_ids(html: str) -> list[str]:
    return re.findall(r'<a class="compact-title" href="/paper/([^"]+)"', html)


def test_hugging_face_paper_shows_its_links_stars_summary_and_keywords(client: TestClient) -> None:
    html = page(client, HF_PAPER)
    details = section(html, "details-heading")
    assert links_of(details) == [
        ("https://circle-lmm.github.io/", "from Hugging Face"),
        ("https://github.com/marco-garosi/CIRCLE", "GitHub, from Hugging Face · ★ 9"),
    ]
    assert "<dt>Project page</dt>" in details and "<dt>Code and data</dt>" in details
    notes = section(html, "hf-notes-heading")
    assert '<h2 id="hf-notes-heading">Hugging Face\'s summary</h2>' in notes
    assert "Large Multimodal Models demonstrate superior performance in closed-world classification" in notes
    assert re.findall(r'<a class="chip" href="/search\?q=[^"]+">([^<]+)</a>', notes)[:2] == [
        "Vision-Language Models", "Large Multimodal Models",
    ]  # fmt: skip
    assert "Machine-written by Hugging Face Papers, not by the authors." in notes
    assert "<dt>Licence</dt>" not in details  # Hugging Face gives none


def test_the_api_carries_the_new_fields(client: TestClient) -> None:
    detail = client.get(f"/api/v1/papers/{HF_PAPER}").json()
    assert detail["ai_summary"].startswith("Large Multimodal Models demonstrate")
    assert detail["ai_keywords"][-1] == "context refinement" and len(detail["ai_keywords"]) == 9
    assert detail["license"] is None and detail["license_name"] is None
    assert detail["code_links"] == [
        {"url": "https://github.com/marco-garosi/CIRCLE", "kind": "code", "site": "GitHub", "found_in": "source",
         "source": "hf-daily", "label": "from Hugging Face", "stars": 9},
        {"url": "https://circle-lmm.github.io/", "kind": "project", "site": "Project page", "found_in": "source",
         "source": "hf-daily", "label": "from Hugging Face", "stars": None},
    ]  # fmt: skip
    licensed = client.get(f"/api/v1/papers/{LICENSED}").json()
    assert licensed["license"] == "http://creativecommons.org/licenses/by-nc-nd/4.0/"
    assert licensed["license_name"] == "CC BY-NC-ND 4.0"
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    fields = set(schema["PaperDetail"]["properties"])
    assert {"license", "license_name", "ai_summary", "ai_keywords", "code_links"} <= fields
    assert {"kind", "source", "label", "stars"} <= set(schema["CodeLink"]["properties"])


def test_licence_is_named_and_linked(client: TestClient) -> None:
    details = section(page(client, LICENSED), "details-heading")
    url = "http://creativecommons.org/licenses/by-nc-nd/4.0/"
    licence = f'<a href="{url}" rel="noopener nofollow license">CC BY-NC-ND 4.0</a>'
    assert f"<dt>Licence</dt> <dd>{licence}</dd>" in details


def test_links_from_the_abstract_and_the_comments_are_labelled_so(client: TestClient) -> None:
    """LoRA: the source's repository; its abstract names the same one, which is shown once."""
    details = section(page(client, "2106.09685"), "details-heading")
    assert links_of(details) == [("https://github.com/microsoft/LoRA", "GitHub, from arXiv")]


def test_trending_lists_the_category_without_the_paper_itself(client: TestClient) -> None:
    trending = section(page(client, "2410.17243"), "trending-heading")
    assert "Trending in Computer Vision" in trending
    assert compact_ids(trending) == ["1512.03385", "2410.13720"]  # 3 votes, 2 votes; Inf-CLIP itself left out
    assert re.findall(r'<span class="compact-reason">([^<]+)</span>', trending) == [
        "+3 upvotes this week", "+2 upvotes this week",
    ]  # fmt: skip
    assert 'href="/?category=cs.CV"' in trending
    # Nothing trends in hep-th: no section, not an empty one.
    assert section(page(client, "hep-th/9711200"), "trending-heading") == ""


def test_from_the_same_authors_lists_their_other_papers_newest_first(client: TestClient) -> None:
    mixtral = section(page(client, "2401.04088"), "by-authors-heading")
    assert compact_ids(mixtral) == ["2310.06825"]  # Mistral 7B: Albert Q. Jiang, Alexandre Sablayrolles, ...
    mistral = section(page(client, "2310.06825"), "by-authors-heading")
    assert compact_ids(mistral) == ["2401.04088"]
    # Perelman wrote nothing else here: no section.
    assert section(page(client, "math/0211159"), "by-authors-heading") == ""


def test_similar_papers_remain(client: TestClient) -> None:
    similar = section(page(client, "2401.04088"), "similar-heading")
    assert similar.count('class="card"') == 5


def test_every_new_field_is_escaped_and_no_script_address_becomes_a_link(client: TestClient) -> None:
    html = client.get(f"/paper/{HOSTILE}").text
    assert "<script>alert" not in html and "<img src=x" not in html
    assert f"Summary {escape(SCRIPT)}" in html  # shown, as text
    assert "&lt;img src=x onerror=alert(1)&gt;</a>" in html  # the keyword, as text
    assert not re.search(r"""href=["']?javascript:""", html, re.IGNORECASE)
    assert not re.search(r"<[^>]*\son(?:mouseover|error)=", html)  # no attribute smuggled into a tag
    details = section(re.sub(r"\s+", " ", html), "details-heading")
    assert "<dt>Licence</dt> <dd>javascript:alert(1)</dd>" in details  # an address that is no web address: text
    assert links_of(details) == [
        ("https://evil.github.io/", "from the abstract"),
        ("https://evil.example/", "from arXiv comments"),
    ]
    api = client.get(f"/api/v1/papers/{HOSTILE}").json()
    assert api["ai_summary"] == f"Summary {SCRIPT}" and api["links"]["code"] is None  # JSON carries the text


def test_a_paper_with_nothing_beside_it_has_no_empty_box(request: pytest.FixtureRequest, tmp_path) -> None:
    """A lone Hugging Face paper: no details, no Hugging Face notes, no sections at all."""
    from papertide.config import load_settings

    settings = load_settings(data_dir=tmp_path, database_url=fresh_database_url(request, tmp_path))
    store = open_store(settings.resolved_database_url)
    lone = Paper(id="2602.00002", title="Alone", abstract="Nothing else.", authors=["A. Author"],
                 submitted=datetime(2026, 2, 2, tzinfo=UTC), source="hf-daily")  # fmt: skip
    ingest([lone], store)
    update_indexes(store, settings)
    html = TestClient(create_app(settings, store)).get("/paper/2602.00002").text
    for absent in ('class="details"', 'class="hf-notes"', "trending-heading", "by-authors-heading",
                   "similar-heading", 'class="paper-aside"', "No similar papers"):  # fmt: skip
        assert absent not in html
    assert 'class="paper-body single"' in html


def test_a_category_no_filter_can_name_has_no_trending_section(client: TestClient) -> None:
    """A source's odd spelling ("physics_misc") is stored and shown, but names no trending list."""
    odd = Paper(id="2602.00003", title="Oddly filed", abstract="Text.", authors=["A. Author"],
                categories=["physics_misc", "cs.CV"], source="jsonl")  # fmt: skip
    ingest([odd], services_of(client).store)
    html = page(client, "2602.00003")
    assert section(html, "trending-heading") == ""  # though cs.CV, its second category, trends
    assert '<a class="chip" href="/new?category=physics_misc">physics_misc</a>' in section(html, "details-heading")
