"""Collections through the app: the save menu, "My library", collection pages, privacy, the JSON API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.web.app import create_app
from papertide.web.kit import viewer as viewer_module
from tests.web.library_helpers import bearer, post_form
from tests.web.signin import csrf_token, services_of, sign_in

PAPER, OTHER, OLD_STYLE = "1706.03762", "1512.03385", "hep-th/9711200"


@pytest.fixture
def app(settings: Settings, own_store):
    return create_app(settings, own_store)


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app)


@pytest.fixture
def stranger(app) -> TestClient:
    """Another browser, signed in as someone else."""
    other = TestClient(app)
    sign_in(other, "stranger@example.org")
    return other


def collection_ids(client: TestClient) -> dict[str, str]:
    """Name -> public id of the client's collections, as /library links them."""
    html = client.get("/library").text
    return {
        name: public_id
        for public_id, name in re.findall(r'href="/library/([\w-]+)">\s*<span class="collection-name">([^<]+)<', html)
    }


def card_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/paper/([^"]+)" data-math>', html)


def save(client: TestClient, paper_id: str, collection: str = "", *, back: str = "/") -> None:
    response = post_form(client, f"/paper/{paper_id}/save", {"change": f"add:{collection}", "next": back},
                         follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text


def test_the_first_save_creates_saved_and_returns_to_the_page(client: TestClient) -> None:
    sign_in(client)
    empty = client.get("/library").text
    assert "Nothing saved yet" in empty
    response = post_form(client, f"/paper/{PAPER}/save", {"change": "add:", "next": "/search?q=resnet"},
                         follow_redirects=False)  # fmt: skip
    assert response.headers["location"] == "/search?q=resnet"
    (saved_id,) = collection_ids(client).values()
    assert "1 paper · Private" in client.get("/library").text
    assert card_ids(client.get(f"/library/{saved_id}").text) == [PAPER]
    paper_page = client.get(f"/paper/{PAPER}").text
    assert re.search(rf'value="remove:{saved_id}" data-collection="{saved_id}" aria-pressed="true">Saved<', paper_page)
    assert '<span class="save-label">Saved</span>' in paper_page


def test_the_save_menu_creates_a_collection_and_saves_into_it_without_leaving_the_page(client: TestClient) -> None:
    """Without JavaScript: the menu's "New collection…" field posts to the paper's save form and comes back."""
    sign_in(client)
    page = client.get(f"/paper/{PAPER}").text
    new_form = re.search(rf'<form class="save-new-form" id="new-collection-{PAPER}" method="post" '
                         rf'action="/paper/{PAPER}/save".*?</form>', page, re.S)  # fmt: skip
    assert new_form and 'name="csrf_token"' in new_form.group(0)
    assert f'<input form="new-collection-{PAPER}" name="name"' in page
    create = f'<button form="new-collection-{PAPER}" type="submit" class="save-create" name="change" value="new:">'
    assert create in page
    response = post_form(client, f"/paper/{PAPER}/save", {"change": "new:", "name": "  Reading   group ",
                         "next": f"/paper/{PAPER}"}, follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == f"/paper/{PAPER}"
    created = collection_ids(client)["Reading group"]
    assert card_ids(client.get(f"/library/{created}").text) == [PAPER]
    page = client.get(f"/paper/{PAPER}").text
    assert re.search(rf'value="remove:{created}" data-collection="{created}" aria-pressed="true">Reading group<', page)

    # A name taken, or none: refused with the reason, and nothing changes.
    taken = post_form(client, f"/paper/{OTHER}/save", {"change": "new:", "name": "Reading group"})
    assert taken.status_code == 409 and "Reading group" in taken.text
    empty = post_form(client, f"/paper/{OTHER}/save", {"change": "new:", "name": "   "})
    assert empty.status_code == 400 and "a collection name needs 1 to 100 characters, got 0" in empty.text
    assert sorted(collection_ids(client)) == ["Reading group", "Saved"]
    assert card_ids(client.get(f"/library/{created}").text) == [PAPER]


def test_signed_out_readers_are_sent_to_sign_in(client: TestClient) -> None:
    response = client.post(f"/paper/{PAPER}/save", follow_redirects=False)  # a visitor's bare button
    assert response.headers["location"] == f"/signin?next=%2Fpaper%2F{PAPER}"
    assert client.get("/library", follow_redirects=False).headers["location"] == "/signin?next=%2Flibrary"
    assert "Sign in" in client.get(f"/paper/{PAPER}").text  # the nav
    assert 'href="/library"' not in client.get("/").text  # no library link for visitors


def test_named_collections_hold_papers_in_the_order_saved(client: TestClient) -> None:
    sign_in(client)
    created = post_form(client, "/library/new", {"name": "Vision", "public": "true"}, follow_redirects=False)
    assert created.status_code == 303
    vision = created.headers["location"].removeprefix("/library/")
    for paper_id in (OTHER, PAPER, OLD_STYLE):
        save(client, paper_id, vision)
    assert card_ids(client.get(f"/library/{vision}").text) == [OLD_STYLE, PAPER, OTHER]
    assert card_ids(client.get(f"/library/{vision}?order=oldest").text) == [OTHER, PAPER, OLD_STYLE]
    post_form(client, f"/library/{vision}/remove", {"paper": PAPER})
    assert card_ids(client.get(f"/library/{vision}").text) == [OLD_STYLE, OTHER]
    assert list(collection_ids(client)) == ["Saved", "Vision"]  # the default exists before any other
    again = post_form(client, "/library/new", {"name": " Vision"})
    assert again.status_code == 409
    assert "already have a collection named &#39;Vision&#39;" in again.text


def test_notes_are_edited_and_escaped(client: TestClient) -> None:
    sign_in(client)
    save(client, PAPER)
    saved = collection_ids(client)["Saved"]
    note = "Compare with <script>alert(1)</script> & section 3"
    response = post_form(client, f"/library/{saved}/note", {"paper": PAPER, "note": note}, follow_redirects=False)
    assert response.headers["location"] == f"/library/{saved}"
    html = client.get(f"/library/{saved}").text
    assert "Compare with &lt;script&gt;alert(1)&lt;/script&gt; &amp; section 3" in html
    assert "<script>alert(1)" not in html
    assert post_form(client, f"/library/{saved}/note", {"paper": OTHER, "note": "x"}).status_code == 404


def test_rename_publish_and_delete(client: TestClient) -> None:
    sign_in(client)
    post_form(client, "/library/new", {"name": "Draft"})
    draft = collection_ids(client)["Draft"]
    save(client, PAPER, draft)
    post_form(client, f"/library/{draft}/rename", {"name": "Thesis, chapter 2"})
    assert collection_ids(client)["Thesis, chapter 2"] == draft
    assert TestClient(client.app).get(f"/c/{draft}").status_code == 404  # private
    post_form(client, f"/library/{draft}/visibility", {"public": "true"})
    page = TestClient(client.app).get(f"/c/{draft}")
    assert page.status_code == 200
    assert "Thesis, chapter 2" in page.text and card_ids(page.text) == [PAPER]
    assert "reader@example.org" not in page.text  # the owner is not named
    post_form(client, f"/library/{draft}/visibility", {"public": "false"})
    assert TestClient(client.app).get(f"/c/{draft}").status_code == 404
    response = post_form(client, f"/library/{draft}/delete", follow_redirects=False)
    assert response.headers["location"] == "/library"
    assert "Thesis" not in collection_ids(client)
    refused = post_form(client, f"/library/{collection_ids(client)['Saved']}/delete")
    assert refused.status_code == 409  # a conflict with what the collection is (issue 21: it was a 400)
    assert "cannot be deleted" in refused.text


def test_someone_elses_private_collection_is_404_in_pages_and_api(client: TestClient, stranger: TestClient) -> None:
    sign_in(client)
    save(client, PAPER)
    private = collection_ids(client)["Saved"]
    for path in (f"/library/{private}", f"/c/{private}", f"/api/v1/collections/{private}"):
        assert stranger.get(path).status_code == 404, path
        assert client.get(path).status_code == 200, path
    assert TestClient(client.app).get(f"/api/v1/collections/{private}").status_code == 404
    for path, data in [
        (f"/library/{private}/rename", {"name": "Mine"}),
        (f"/library/{private}/note", {"paper": PAPER, "note": "x"}),
        (f"/library/{private}/remove", {"paper": PAPER}),
        (f"/library/{private}/visibility", {"public": "true"}),
        (f"/paper/{PAPER}/save", {"change": f"add:{private}"}),
    ]:
        assert post_form(stranger, path, data).status_code == 404, path
    assert card_ids(client.get(f"/library/{private}").text) == [PAPER]  # untouched


FORMS = [
    ("/paper/{paper}/save", {"change": "add:"}),
    ("/paper/{paper}/save", {"change": "new:", "name": "Forged"}),
    ("/library/new", {"name": "Forged"}),
    ("/library/{saved}/rename", {"name": "Forged"}),
    ("/library/{saved}/visibility", {"public": "true"}),
    ("/library/{saved}/note", {"paper": "{paper}", "note": "forged"}),
    ("/library/{saved}/remove", {"paper": "{paper}"}),
    ("/library/{saved}/delete", {}),
]


@pytest.mark.parametrize(("path", "data"), FORMS, ids=[path for path, _ in FORMS])
def test_every_library_form_needs_the_csrf_token(client: TestClient, path: str, data: dict) -> None:
    sign_in(client)
    save(client, PAPER)
    saved = collection_ids(client)["Saved"]
    fill = {"paper": PAPER, "saved": saved}
    before = client.get(f"/library/{saved}").text
    response = client.post(path.format(**fill), data={k: v.format(**fill) for k, v in data.items()})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert client.get(f"/library/{saved}").text == before
    assert list(collection_ids(client)) == ["Saved"]


def test_the_api_manages_collections_with_a_bearer_token(client: TestClient) -> None:
    _, headers = bearer(client, "api@example.org")
    assert client.get("/api/v1/collections", headers=headers).json() == {"collections": []}
    saved = client.put(f"/api/v1/collections/default/papers/arXiv:{PAPER}v3", headers=headers)
    assert saved.status_code == 200
    body = saved.json()
    assert (body["paper_id"], body["saved"], body["collection"]["name"], body["collection"]["papers"]) == (
        PAPER, True, "Saved", 1,
    )  # fmt: skip
    created = client.post("/api/v1/collections", json={"name": "Reading group", "public": True}, headers=headers)
    assert created.status_code == 201
    group = created.json()
    assert group["url"] == f"{services_of(client).site.default}/c/{group['id']}"
    assert client.post("/api/v1/collections", json={"name": "Reading group"}, headers=headers).status_code == 409
    put = client.put(f"/api/v1/collections/{group['id']}/papers/{OLD_STYLE}", json={"note": "classic"}, headers=headers)
    assert put.json()["collection"]["papers"] == 1
    client.put(f"/api/v1/collections/{group['id']}/papers/{OTHER}", headers=headers)
    detail = TestClient(client.app).get(f"/api/v1/collections/{group['id']}", params={"order": "oldest"}).json()
    assert [(i["paper"]["id"], i["note"]) for i in detail["items"]] == [(OLD_STYLE, "classic"), (OTHER, "")]
    assert detail["items"][0]["paper"]["title"]
    paged = client.get(f"/api/v1/collections/{group['id']}", params={"limit": 1}, headers=headers).json()
    assert [i["paper"]["id"] for i in paged["items"]] == [OTHER] and paged["next_cursor"]
    renamed = client.patch(
        f"/api/v1/collections/{group['id']}", json={"name": "Group", "public": False}, headers=headers
    )
    assert (renamed.json()["name"], renamed.json()["public"], renamed.json()["url"]) == ("Group", False, None)
    removed = client.delete(f"/api/v1/collections/{group['id']}/papers/{OTHER}", headers=headers).json()
    assert (removed["saved"], removed["collection"]["papers"]) == (False, 1)
    names = [c["name"] for c in client.get("/api/v1/collections", headers=headers).json()["collections"]]
    assert names == ["Saved", "Group"]
    default_id = client.get("/api/v1/collections", headers=headers).json()["collections"][0]["id"]
    assert client.delete(f"/api/v1/collections/{default_id}", headers=headers).status_code == 409  # was 400 (issue 21)
    assert client.delete(f"/api/v1/collections/{group['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/collections/{group['id']}", headers=headers).status_code == 404


def test_api_writes_need_an_account_and_others_collections_are_404(client: TestClient) -> None:
    _, owner = bearer(client, "owner@example.org")
    _, other = bearer(client, "other@example.org")
    private = client.post("/api/v1/collections", json={"name": "Mine"}, headers=owner).json()["id"]
    writes = [
        ("post", "/api/v1/collections", {"json": {"name": "x"}}),
        ("patch", f"/api/v1/collections/{private}", {"json": {"name": "x"}}),
        ("delete", f"/api/v1/collections/{private}", {}),
        ("put", f"/api/v1/collections/{private}/papers/{PAPER}", {}),
        ("delete", f"/api/v1/collections/{private}/papers/{PAPER}", {}),
    ]
    for method, path, extra in writes:
        anonymous = getattr(client, method)(path, **extra)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["content-type"] == "application/problem+json"
        if path != "/api/v1/collections":
            assert getattr(client, method)(path, headers=other, **extra).status_code == 404, (method, path)
    assert client.get("/api/v1/collections").status_code == 401
    assert client.get(f"/api/v1/collections/{private}", headers=other).status_code == 404
    assert client.put(f"/api/v1/collections/{private}/papers/2999.99999", headers=owner).status_code == 404


def test_api_writes_from_a_page_need_the_csrf_header(client: TestClient) -> None:
    sign_in(client)
    assert client.put(f"/api/v1/collections/default/papers/{PAPER}").status_code == 403
    token = csrf_token(client, "/")
    answer = client.put(f"/api/v1/collections/default/papers/{PAPER}", headers={"X-CSRF-Token": token})
    assert answer.json()["saved"] is True  # what app.js sends


def test_a_large_library_is_looked_up_per_paper_shown(client: TestClient, monkeypatch) -> None:
    """Past PRELOAD votes or saves a page asks about its own papers only; the buttons look the same."""
    sign_in(client)
    save(client, PAPER)
    save(client, OTHER)
    post_form(client, f"/paper/{PAPER}/vote", {"voted": "true"})
    post_form(client, f"/paper/{OLD_STYLE}/vote", {"voted": "true"})
    small = client.get("/new?window=all").text
    monkeypatch.setattr(viewer_module, "PRELOAD", 1)
    large = client.get("/new?window=all").text
    assert large == small
    assert large.count('aria-pressed="true" title="Upvote on papertide"') == 2
    assert large.count('<span class="save-label">Saved</span>') == 2
