"""Author pages through the ASGI app: papers by name after normalisation, agreement with search, following, feeds."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from urllib.parse import quote

import feedparser
import pytest
from fastapi.testclient import TestClient

from papertide.author_names import author_path
from papertide.config import load_settings
from papertide.model import Paper
from papertide.search.upkeep.update import update_indexes
from papertide.store import open_store
from papertide.web.app import create_app
from tests.postgres import fresh_database_url
from tests.web.signin import csrf_token, sign_in
from tests.web.voting import add_voter, vote

BASE = "https://papers.example.org"


def day(n: int) -> datetime:
    return datetime(2025, 1, n, tzinfo=UTC)


# Case, accents and initials vary; "Jurgen Schmidhuberr" and "Jürgen Schmid" must not join in.
PAPERS = [
    Paper(id="2501.00001", title="Long short-term memory revisited", authors=["Jürgen Schmidhuber", "Sepp Hochreiter"],
          categories=["cs.LG", "cs.NE"], submitted=day(1)),
    Paper(id="2501.00002", title="Highway networks", authors=["JURGEN SCHMIDHUBER", "Rupesh Srivastava"],
          categories=["cs.LG"], submitted=day(2)),
    Paper(id="2501.00003", title="World models", authors=["David Ha", "Jurgen Schmidhuber"],
          categories=["cs.LG", "cs.AI"], submitted=day(3)),
    Paper(id="2501.00004", title="Gödel machines", authors=["J. Schmidhuber"], categories=["cs.AI"], submitted=day(4)),
    Paper(id="2501.00005", title="Not him", authors=["Jurgen Schmidhuberr", "Jürgen Schmid"], categories=["cs.CV"],
          submitted=day(5)),
    Paper(id="2501.00006", title="Recurrent highway", authors=["Sepp Hochreiter", "Jürgen Schmidhuber"],
          categories=["cs.LG"], submitted=day(6)),
    # Two full names share the initials J. Smith: "J. Smith" stands for neither.
    Paper(id="2501.00007", title="Smith one", authors=["John Smith"], categories=["math.AG"], submitted=day(7)),
    Paper(id="2501.00008", title="Smith two", authors=["Jane Smith"], categories=["math.AG"], submitted=day(8)),
    Paper(id="2501.00009", title="Smith three", authors=["J. Smith"], categories=["math.AG"], submitted=day(9)),
    # Names a URL must carry intact.
    Paper(id="2501.00010", title="Slashed", authors=["AC/DC Collaboration", "Who? #1 Ünïcode 李"], submitted=day(10)),
    Paper(id="2501.00011", title="Quoted", authors=['Evil "><script>alert(1)</script>'], submitted=day(11)),
]  # fmt: skip
SCHMIDHUBER = {"2501.00001", "2501.00002", "2501.00003", "2501.00004", "2501.00006"}


def make_client(data_dir: Path, database_url: str, **options: str) -> TestClient:
    settings = load_settings(data_dir=data_dir, database_url=database_url, **options)
    store = open_store(settings.resolved_database_url)
    store.write_batch(PAPERS)
    update_indexes(store, settings)
    return TestClient(create_app(settings, store))


@pytest.fixture(scope="module")
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("authors")
    with make_client(data_dir, fresh_database_url(request, data_dir), base_url=BASE) as test_client:
        yield test_client


@pytest.fixture
def own(tmp_path: Path, database_url: str) -> Iterator[TestClient]:
    with make_client(tmp_path, database_url) as test_client:
        yield test_client


def listed(page: str) -> list[str]:
    return re.findall(r'<span class="paper-id">([^<]+)</span>', page)


def search_ids(client: TestClient, q: str) -> set[str]:
    response = client.get("/api/v1/search", params={"q": q, "mode": "lexical", "limit": 100})
    assert response.status_code == 200, response.text
    return {hit["paper"]["id"] for hit in response.json()["results"]}


@pytest.mark.parametrize("name", ["Jürgen Schmidhuber", "jurgen schmidhuber", "JÜRGEN  Schmidhuber", "J. Schmidhuber"])
def test_every_spelling_lists_the_same_papers_newest_first(client: TestClient, name: str) -> None:
    response = client.get(author_path(name))
    assert response.status_code == 200, response.text
    assert listed(response.text) == ["2501.00006", "2501.00004", "2501.00003", "2501.00002", "2501.00001"]
    assert "<h1>Jürgen Schmidhuber</h1>" in response.text  # as most papers write it
    assert "not by a verified identity" in response.text


@pytest.mark.parametrize(
    "name", ["Jürgen Schmidhuber", "JURGEN SCHMIDHUBER", "J. Schmidhuber", "Jurgen Schmid", "John Smith", "J. Smith"]
)
def test_search_and_the_author_page_agree(client: TestClient, name: str) -> None:
    page = set(listed(client.get(author_path(name)).text))
    assert page == search_ids(client, f'author:"{name}"')
    if "Schmidhuber" in name:
        assert page == SCHMIDHUBER


def test_initials_stand_for_a_full_name_only_when_unambiguous(client: TestClient) -> None:
    assert listed(client.get(author_path("J. Smith")).text) == ["2501.00009"]
    assert listed(client.get(author_path("John Smith")).text) == ["2501.00007"]


def test_most_upvoted_tab_and_coauthors_and_categories(client: TestClient) -> None:
    page = client.get(author_path("Jürgen Schmidhuber"), params={"order": "upvoted"}).text
    assert sorted(listed(page)) == sorted(SCHMIDHUBER)  # no votes yet: newest first among equals
    coauthors = re.search(r'<ul class="coauthors">(.*?)</ul>', page, re.S)[1]
    assert re.findall(r">([^<]+)</a>", coauthors) == ["Sepp Hochreiter", "David Ha", "Rupesh Srivastava"]
    assert f'href="{author_path("Sepp Hochreiter")}"' in coauthors
    assert "Machine Learning" in page and "Artificial Intelligence" in page  # categories by name


def test_names_round_trip_through_their_urls(client: TestClient) -> None:
    for name in ("AC/DC Collaboration", "Who? #1 Ünïcode 李"):
        path = author_path(name)
        assert "/" not in path.removeprefix("/author/") and "?" not in path and "#" not in path
        response = client.get(path)
        assert response.status_code == 200, (name, response.text)
        assert listed(response.text) == ["2501.00010"]
        assert f'href="{path}"' in client.get("/paper/2501.00010").text  # the paper page links it
        assert f'href="{path}"' in client.get("/search", params={"q": "Slashed"}).text  # and so do cards


def test_names_are_escaped_in_the_page_and_its_links(client: TestClient) -> None:
    name = 'Evil "><script>alert(1)</script>'
    page = client.get(author_path(name)).text
    assert listed(page) == ["2501.00011"]
    assert "<script>alert(1)" not in page
    assert "<h1>Evil &#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in page
    assert f'href="{author_path(name)}"' in page and "%22%3E%3Cscript%3E" in author_path(name)
    # The page's search link cannot quote a double quote: it searches the name's key instead.
    assert "<code>author:&#34;evil script alert 1 script&#34;</code>" in page


def test_unknown_and_absurd_names_are_clear_errors(client: TestClient) -> None:
    response = client.get(author_path("Nobody Atall"))
    assert response.status_code == 404
    assert "no paper in this library has an author named &#39;Nobody Atall&#39;" in response.text
    response = client.get(author_path("x" * 5000))
    assert response.status_code == 400 and "at most 200 characters, got 5,000" in response.text
    assert client.get("/author/%3F%23%2F").status_code == 404  # no letters: not a name
    assert client.get(author_path("Jürgen Schmidhuber"), params={"page": 0}).status_code == 422
    assert client.get(author_path("<script>x</script>")).status_code == 404


def test_the_feed_lists_the_pages_papers(client: TestClient) -> None:
    page = client.get(author_path("J. Schmidhuber")).text
    atom = unescape(re.search(r'type="application/atom\+xml" title="[^"]*" href="([^"]+)"', page)[1])
    assert atom == "/feeds/author/jurgen%20schmidhuber.atom"
    parsed = feedparser.parse(client.get(atom).content)
    assert {entry.link.rsplit("/", 1)[1] for entry in parsed.entries} == SCHMIDHUBER
    assert parsed.feed.title == "Papers by Jürgen Schmidhuber · papertide"
    assert client.get("/feeds/author/nobody.atom").status_code == 404


def test_most_upvoted_puts_the_most_voted_first(own: TestClient) -> None:
    store = own.app.state.services.store
    for n, paper_id in enumerate(["2501.00001", "2501.00001", "2501.00003"]):
        vote(store, add_voter(store, f"voter{n}-{paper_id}@example.org"), paper_id)
    page = own.get(author_path("J. Schmidhuber"), params={"order": "upvoted"}).text
    assert listed(page) == ["2501.00001", "2501.00003", "2501.00006", "2501.00004", "2501.00002"]
    assert 'aria-current="page">Most upvoted<' in page


def test_following_is_one_click_and_again_stops(own: TestClient) -> None:
    name = "Jürgen Schmidhuber"
    path = author_path(name)
    visitor = own.post("/authors/follow", data={"name": "J. Schmidhuber"}, follow_redirects=False)
    back = quote(author_path("J. Schmidhuber"), safe="")
    assert visitor.status_code == 303 and visitor.headers["location"] == f"/signin?next={back}"
    sign_in(own, "fan@example.org")
    token = csrf_token(own, path)
    refused = own.post("/authors/follow", data={"name": name}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = own.post("/authors/follow", data={"name": "jurgen schmidhuber", "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == author_path("jurgen schmidhuber")
    digest = own.app.state.digest.subscriptions
    user = own.app.state.services.accounts.get_or_create_user("fan@example.org")[0]
    mine = digest.of_user(user)
    assert mine.is_active
    assert [(a.kind, a.value) for a in digest.alerts(mine)] == [("author", "Jürgen Schmidhuber")]
    assert "Following in your digest" in own.get(path).text
    own.post("/authors/follow", data={"name": name, "csrf_token": token})  # again: nothing doubles
    assert len(digest.alerts(mine)) == 1
    own.post("/authors/follow", data={"name": name, "following": "false", "csrf_token": token})
    assert digest.alerts(mine) == []
    assert "Follow in your digest" in own.get(path).text
    unknown = own.post("/authors/follow", data={"name": "Nobody Atall", "csrf_token": token})
    assert unknown.status_code == 404 and digest.alerts(mine) == []
