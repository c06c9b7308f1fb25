"""RSS and Atom feeds through the ASGI app, each parsed back with feedparser as a feed reader would."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from fastapi.testclient import TestClient

from papertide.config import load_settings
from papertide.ingest.pipeline import ingest
from papertide.model import Paper, Signal
from papertide.search.upkeep.update import update_indexes
from papertide.store import PaperStore, open_store
from papertide.store.library.collections import Collection
from papertide.web.app import create_app
from papertide.web.feeds import pages as feeds
from tests.postgres import fresh_database_url
from tests.web.corpus import load_papers
from tests.web.signin import services_of, sign_in
from tests.web.voting import add_voter, vote

BASE = "https://papers.example.org"
FORMATS = ["atom", "rss"]
STORED_AT = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
# cs.CV or cs.CL, without cs.AI, newest first (the same selection tests/web/test_pages.py pages through)
VISION_OR_LANGUAGE = ["2410.17243", "2410.05258", "2401.04088", "1706.03762", "1512.03385"]


class Clock:
    """The stores' "now", moved by the tests: Last-Modified comes from when papers were stored."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make_client(data_dir: Path, database_url: str, clock: Clock) -> tuple[TestClient, PaperStore]:
    # A trailing slash on the base URL must not double the feeds' slashes.
    settings = load_settings(data_dir=data_dir, database_url=database_url, base_url=BASE + "/", feed_items=20)
    store = PaperStore(open_store(settings.resolved_database_url).engine, clock=clock)
    load_papers(store)
    update_indexes(store, settings)
    return TestClient(create_app(settings, store)), store


@pytest.fixture(scope="module")
def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The web tests' papers, indexed, served with a public base URL; shared by the tests that only read."""
    data_dir = tmp_path_factory.mktemp("feeds")
    test_client, _ = make_client(data_dir, fresh_database_url(request, data_dir), Clock(STORED_AT))
    with test_client:
        yield test_client


@pytest.fixture
def clock() -> Clock:
    return Clock(STORED_AT)


@pytest.fixture
def own(tmp_path: Path, database_url: str, clock: Clock) -> tuple[TestClient, PaperStore]:
    """A client over papers this test may add to."""
    return make_client(tmp_path, database_url, clock)


def parse(response) -> feedparser.FeedParserDict:
    assert response.status_code == 200, response.text
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def entry_ids(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.link.removeprefix(f"{BASE}/paper/") for entry in parsed.entries]


def summary_text(entry: feedparser.FeedParserDict) -> str:
    """The abstract as a reader shows it: RSS descriptions are HTML, Atom summaries plain text."""
    if entry.summary_detail.type == "text/html":
        return html.unescape(re.sub(r"</?p>", "\n", entry.summary)).strip()
    return entry.summary


# -- newest papers -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_papers_feed_lists_the_newest_first_with_everything_a_reader_shows(client: TestClient, fmt: str) -> None:
    response = client.get(f"/feeds/new.{fmt}")
    parsed = parse(response)
    assert parsed.version == ("atom10" if fmt == "atom" else "rss20")
    assert response.headers["content-type"] == f"application/{fmt}+xml; charset=utf-8"
    listed = client.get("/api/v1/papers", params={"limit": 20}).json()["papers"]
    assert entry_ids(parsed) == [paper["id"] for paper in listed]  # all 14, newest first
    assert parsed.feed.title == "New papers · papertide"
    assert parsed.feed.link == f"{BASE}/new"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == f"{BASE}/feeds/new.{fmt}"
    assert parsed.feed.updated_parsed[:6] == STORED_AT.timetuple()[:6]

    maldacena = parsed.entries[entry_ids(parsed).index("hep-th/9711200")]
    assert maldacena.title == "The Large N Limit of Superconformal Field Theories and Supergravity"
    assert maldacena.link == f"{BASE}/paper/hep-th/9711200"
    assert maldacena.id == f"{BASE}/paper/hep-th/9711200"
    assert maldacena.published_parsed[:6] == (1997, 11, 27, 17, 59, 0)  # submitted
    assert [author.name for author in maldacena.authors] == ["Juan M. Maldacena"]
    assert [tag.term for tag in maldacena.tags] == ["hep-th", "gr-qc"]
    abstract = summary_text(maldacena)
    assert abstract.startswith("We show that the large $N$ limit of certain conformal field theories")
    assert abstract.endswith("type IIB on $AdS_5\\times S^5$.")  # TeX stays as text
    if fmt == "atom":
        assert maldacena.tags[0].label == "High Energy Physics - Theory"
        assert maldacena.updated_parsed[:3] == (1998, 1, 22)  # its latest version


@pytest.mark.parametrize("fmt", FORMATS)
def test_new_papers_feed_takes_the_listings_category_filters(client: TestClient, fmt: str) -> None:
    response = client.get(
        f"/feeds/new.{fmt}", params=[("category", "cs.CV"), ("category", "cs.CL"), ("exclude", "cs.AI")]
    )
    parsed = parse(response)
    assert entry_ids(parsed) == VISION_OR_LANGUAGE
    assert all("cs.AI" not in [tag.term for tag in entry.tags] for entry in parsed.entries)
    title = "New papers in Computer Vision and Pattern Recognition (cs.CV), Computation and Language (cs.CL), "
    assert parsed.feed.title == title + "excluding Artificial Intelligence (cs.AI) · papertide"
    # the canonical self link joins repeated parameters; the page link shows the same selection
    assert parsed.feed.link == f"{BASE}/new?category=cs.CV%2Ccs.CL&exclude=cs.AI"
    canonical = f"/feeds/new.{fmt}?category=cs.CV%2Ccs.CL&exclude=cs.AI"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == BASE + canonical
    assert entry_ids(parse(client.get(canonical))) == VISION_OR_LANGUAGE
    archive = parse(client.get(f"/feeds/new.{fmt}", params={"category": "cs.*", "exclude": "cs.CL,cs.AI"}))
    assert entry_ids(archive) == ["2410.17243", "1606.08415", "1512.03385"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_feeds_are_valid_feeds(client: TestClient, fmt: str) -> None:
    for path, params in [("new", {"category": "nucl-th"}), ("search", {"q": "xylophone", "mode": "lexical"})]:
        response = client.get(f"/feeds/{path}.{fmt}", params=params)
        parsed = parse(response)
        assert parsed.entries == []
        assert parsed.feed.title
        assert response.headers["etag"]
        assert parsedate_to_datetime(response.headers["last-modified"]) == datetime(1970, 1, 1, tzinfo=UTC)


# -- searches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("mode", ["lexical", "hybrid"])
def test_search_feed_lists_the_matches_newest_first(client: TestClient, fmt: str, mode: str) -> None:
    query = {"q": "attention transformer", "mode": mode, "category": "cs.*"}
    parsed = parse(client.get(f"/feeds/search.{fmt}", params=query))
    api = client.get("/api/v1/search", params={**query, "sort": "newest"}).json()
    assert entry_ids(parsed) == [hit["paper"]["id"] for hit in api["results"]]
    assert len(parsed.entries) >= 2
    dates = [entry.published_parsed for entry in parsed.entries]
    assert dates == sorted(dates, reverse=True)
    assert parsed.feed.title == "Search “attention transformer” in Computer Science (all) (cs.*) · papertide"
    mode_param = "&mode=lexical" if mode == "lexical" else ""  # hybrid is the default, left out
    page = f"{BASE}/search?q=attention+transformer{mode_param}&category=cs.%2A&sort=newest"
    assert parsed.feed.link == page


def test_a_phrase_search_feed_is_titled_without_doubled_quotes(client: TestClient) -> None:
    parsed = parse(client.get("/feeds/search.atom", params={"q": '"attention is all"', "mode": "lexical"}))
    assert parsed.feed.title == "Search “attention is all” · papertide"


def test_search_feed_takes_the_query_language(client: TestClient) -> None:
    parsed = parse(client.get("/feeds/search.atom", params={"q": 'author:"Maldacena"', "mode": "lexical"}))
    assert entry_ids(parsed) == ["hep-th/9711200"]
    words = parse(client.get("/feeds/search.atom", params={"q": "transformer -cat:cs.AI year:2017", "mode": "lexical"}))
    assert entry_ids(words) == ["1706.03762"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "year:2024..2020"}, "the range is reversed"),
        ({}, "q: a search feed needs a query; for the newest papers follow /feeds/new.atom"),
        ({"q": "  ", "category": "cs.LG"}, "q: a search feed needs a query"),
        ({"q": "year:20x4"}, "expected a year or a range"),
        ({"q": "x" * 20_001}, "query is too long"),
        ({"q": "gpt", "category": "not a category!"}, "is not a category pattern"),
    ],
)
def test_bad_search_feed_query_is_a_400_problem_naming_it(client: TestClient, params: dict, message: str) -> None:
    response = client.get("/feeds/search.atom", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["title"] == "Bad query"
    assert message in problem["detail"]


def test_bad_feed_addresses_and_parameters_are_problems(client: TestClient) -> None:
    wrong_format = client.get("/feeds/new.json")
    assert wrong_format.status_code == 404
    assert "no feed format 'json': use .atom or .rss" in wrong_format.json()["detail"]
    assert client.get("/feeds/nothing.atom").status_code == 404
    assert client.get("/feeds/new.atom", params={"category": "!!"}).status_code == 400
    assert client.get("/feeds/search.rss", params={"q": "x", "mode": "telepathy"}).status_code == 422


# -- conditional GET ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_unchanged_feed_answers_304_to_either_validator_without_rendering(
    client: TestClient, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"})
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["cache-control"] == "public, max-age=300"
    assert parsedate_to_datetime(last_modified) == STORED_AT
    renders = []
    original = feeds.render
    monkeypatch.setattr(feeds, "render", lambda *args: renders.append(args) or original(*args))

    later = format_datetime(STORED_AT + timedelta(days=1), usegmt=True)
    for headers in (
        {"If-None-Match": etag},
        {"If-None-Match": f'"other", W/{etag}'},  # a list, and a weak tag compared weakly
        {"If-None-Match": "*"},
        {"If-Modified-Since": last_modified},
        {"If-Modified-Since": later},
    ):
        response = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"}, headers=headers)
        assert response.status_code == 304, headers
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["last-modified"] == last_modified
        assert response.headers["cache-control"] == "public, max-age=300"
    assert renders == []  # a 304 built no XML

    earlier = format_datetime(STORED_AT - timedelta(seconds=1), usegmt=True)
    for headers in (
        {"If-None-Match": '"other"'},
        {"If-None-Match": '"other"', "If-Modified-Since": last_modified},  # the ETag decides when both come
        {"If-Modified-Since": earlier},
        {"If-Modified-Since": "not a date"},
    ):
        response = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"}, headers=headers)
        assert response.status_code == 200, headers
        assert response.content == first.content
    assert len(renders) == 4


def test_each_feed_has_its_own_validator(client: TestClient) -> None:
    etags = {
        client.get(path, params=params).headers["etag"]
        for path, params in [
            ("/feeds/new.atom", {}),
            ("/feeds/new.rss", {}),
            ("/feeds/new.atom", {"category": "cs.LG"}),
            ("/feeds/search.atom", {"q": "attention"}),
            ("/feeds/search.atom", {"q": "attention", "mode": "lexical"}),
        ]
    }
    assert len(etags) == 5
    repeat = client.get("/feeds/new.atom", params=[("category", "cs.LG"), ("category", "")])
    assert repeat.headers["etag"] == client.get("/feeds/new.atom", params={"category": "cs.LG"}).headers["etag"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_new_paper_changes_the_feed_and_its_validators(
    own: tuple[TestClient, PaperStore], clock: Clock, fmt: str
) -> None:
    client, store = own
    before = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"})
    elsewhere = client.get(f"/feeds/new.{fmt}", params={"category": "hep-th"})
    clock.now = STORED_AT + timedelta(hours=2)
    submitted = datetime(2024, 10, 26, 9, 0, tzinfo=UTC)
    ingest([Paper(id="2410.30001", title="Fresh results", categories=["cs.LG"], submitted=submitted)], store)

    for headers in ({"If-None-Match": before.headers["etag"]}, {"If-Modified-Since": before.headers["last-modified"]}):
        after = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"}, headers=headers)
        assert after.status_code == 200
        assert after.headers["etag"] != before.headers["etag"]
        assert parsedate_to_datetime(after.headers["last-modified"]) == clock.now
        assert entry_ids(parse(after))[0] == "2410.30001"
    # a feed that does not list the new paper is unchanged
    untouched = client.get(
        f"/feeds/new.{fmt}", params={"category": "hep-th"}, headers={"If-None-Match": elsewhere.headers["etag"]}
    )
    assert untouched.status_code == 304


def test_a_newly_indexed_match_changes_the_search_feed(own: tuple[TestClient, PaperStore], clock: Clock) -> None:
    client, store = own
    query = {"q": "tokamak", "mode": "lexical"}
    before = client.get("/feeds/search.atom", params=query)
    assert parse(before).entries == []
    clock.now = STORED_AT + timedelta(days=1)
    ingest([Paper(id="2410.30002", title="Tokamak plasma control")], store)  # like Hugging Face's: no date
    update_indexes(store, client.app.state.services.settings, embed=False)
    after = client.get("/feeds/search.atom", params=query, headers={"If-None-Match": before.headers["etag"]})
    assert entry_ids(parse(after)) == ["2410.30002"]
    undated = parse(after).entries[0]
    assert undated.published_parsed[:6] == clock.now.timetuple()[:6]  # no submission date: when it was stored
    assert not undated.get("tags") and not undated.get("authors")


# -- escaping ----------------------------------------------------------------------------------


TRICKY_TITLE = "Bounds for $a<b$ & <script>alert(1)</script> in $\\alpha$-nets"
TRICKY_ABSTRACT = "We show x < y && z > w, that $\\sum_{i<n} x_i \\geq 0$ and <b>nothing</b> is bold; R&D.\x01"


@pytest.mark.parametrize("fmt", FORMATS)
def test_markup_and_tex_in_titles_and_abstracts_stay_text(own: tuple[TestClient, PaperStore], fmt: str) -> None:
    client, store = own
    paper = Paper(
        id="2410.30003",
        title=TRICKY_TITLE,
        abstract=TRICKY_ABSTRACT,
        authors=["Ann <O'Neil>", "Bo & Co"],
        categories=["cs.LG"],
        submitted=datetime(2024, 10, 27, tzinfo=UTC),
    )
    ingest([paper], store)
    response = client.get(f"/feeds/new.{fmt}", params={"category": "cs.LG"})
    assert b"<script>" not in response.content and b"<b>" not in response.content
    entry = parse(response).entries[0]
    assert entry.title == TRICKY_TITLE
    assert summary_text(entry) == TRICKY_ABSTRACT.removesuffix("\x01")  # a character XML cannot carry is dropped
    if fmt == "rss":  # readers treat the description as HTML: the markup arrives escaped, as text
        assert "&lt;b&gt;nothing&lt;/b&gt;" in entry.summary and "<b>" not in entry.summary
    assert [author.name for author in entry.authors] == ["Ann <O'Neil>", "Bo & Co"]


# -- public collections ------------------------------------------------------------------------


def shared_collection(client: TestClient, clock: Clock, name: str = "Reading <group> & co") -> Collection:
    """A public collection of three papers saved an hour apart, the second with a note."""
    services = services_of(client)
    owner, _ = services.accounts.get_or_create_user("collector@example.org")
    collections = services.library.collections
    shared = collections.create(owner, name, public=True)
    for paper_id, note in [
        ("1706.03762", ""),
        ("hep-th/9711200", "Read §2 first: $AdS_5$ & <b>CFT</b>"),
        ("2410.21276", ""),
    ]:
        clock.now += timedelta(hours=1)
        collections.save(owner, services.store.get(paper_id), shared.public_id, note)
    return collections.owned(owner, shared.public_id)


@pytest.mark.parametrize("fmt", FORMATS)
def test_public_collection_feed_lists_the_latest_saves_with_their_notes(
    own: tuple[TestClient, PaperStore], clock: Clock, fmt: str
) -> None:
    client, _ = own
    shared = shared_collection(client, clock)
    response = client.get(f"/feeds/c/{shared.public_id}.{fmt}")
    parsed = parse(response)
    assert entry_ids(parsed) == ["2410.21276", "hep-th/9711200", "1706.03762"]  # latest save first
    saved_at = [(STORED_AT + timedelta(hours=hours)).timetuple()[:6] for hours in (3, 2, 1)]
    assert [entry.published_parsed[:6] for entry in parsed.entries] == saved_at  # dated when saved
    assert parsed.feed.title == "Reading <group> & co · papertide"
    assert parsed.feed.link == f"{BASE}/c/{shared.public_id}"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == f"{BASE}/feeds/c/{shared.public_id}.{fmt}"
    noted = summary_text(parsed.entries[1])
    assert noted.startswith("Note: Read §2 first: $AdS_5$ & <b>CFT</b>\n")
    assert noted.endswith("type IIB on $AdS_5\\times S^5$.")
    assert parsedate_to_datetime(response.headers["last-modified"]) == STORED_AT + timedelta(hours=3)


def test_collection_feed_changes_with_the_collection(own: tuple[TestClient, PaperStore], clock: Clock) -> None:
    client, store = own
    shared = shared_collection(client, clock)
    owner = services_of(client).accounts.user_by_email("collector@example.org")
    collections = services_of(client).library.collections
    path = f"/feeds/c/{shared.public_id}.atom"

    def validators() -> dict[str, str]:
        response = client.get(path)
        return {"If-None-Match": response.headers["etag"], "If-Modified-Since": response.headers["last-modified"]}

    changes = [
        lambda: collections.update(owner, shared.public_id, name="Renamed"),
        lambda: collections.remove(owner, shared.public_id, store.get("2410.21276")),  # the newest entry leaves
        lambda: collections.set_note(owner, shared.public_id, store.get("1706.03762"), "A classic"),
        lambda: collections.save(owner, store.get("1512.03385"), shared.public_id),
    ]
    for change in changes:
        before = validators()
        assert client.get(path, headers=before).status_code == 304
        clock.now += timedelta(minutes=1)
        change()
        for header, value in before.items():  # each validator alone sees the change
            assert client.get(path, headers={header: value}).status_code == 200, (change, header)
    parsed = parse(client.get(path))
    assert parsed.feed.title == "Renamed · papertide"
    assert entry_ids(parsed) == ["1512.03385", "hep-th/9711200", "1706.03762"]
    assert summary_text(parsed.entries[2]).startswith("Note: A classic\n")


def test_private_and_unknown_collections_have_no_feed(own: tuple[TestClient, PaperStore], clock: Clock) -> None:
    client, _ = own
    shared = shared_collection(client, clock)
    sign_in(client, "collector@example.org")  # not even its owner reads a private collection's feed
    services = services_of(client)
    owner = services.accounts.user_by_email("collector@example.org")
    services.library.collections.update(owner, shared.public_id, public=False)
    private = services.library.collections.default(owner)
    for public_id in (shared.public_id, private.public_id, "no-such-collection"):
        for fmt in FORMATS:
            response = client.get(f"/feeds/c/{public_id}.{fmt}")
            assert response.status_code == 404
            assert response.headers["content-type"] == "application/problem+json"
            assert f"there is no collection {public_id!r}, or it is private" in response.json()["detail"]
            assert "Reading" not in response.text


@pytest.mark.parametrize("fmt", FORMATS)
def test_empty_public_collection_feed_is_valid(own: tuple[TestClient, PaperStore], clock: Clock, fmt: str) -> None:
    client, _ = own
    services = services_of(client)
    owner, _ = services.accounts.get_or_create_user("collector@example.org")
    empty = services.library.collections.create(owner, "Nothing yet", public=True)
    response = client.get(f"/feeds/c/{empty.public_id}.{fmt}")
    assert parse(response).entries == []
    assert parsedate_to_datetime(response.headers["last-modified"]) == STORED_AT  # when it was created


# -- trending ----------------------------------------------------------------------------------

# as on the trending page (tests/web/test_trending.py): GPT-4o +100 Hugging Face upvotes, then 3, 2 and 1 votes
TRENDING = ["2410.21276", "2410.17243", "1706.03762", "hep-th/9711200"]
REASONS = ["+100 Hugging Face upvotes", "+3 upvotes", "+2 upvotes", "+1 upvote"]


def add_attention(client: TestClient, clock: Clock) -> None:
    """A week's attention on four papers, one hour after the papers were stored, refreshed."""
    store = services_of(client).store
    clock.now += timedelta(hours=1)
    voters = [add_voter(store, f"reader{n}@example.org") for n in range(3)]
    for count, paper_id in ((3, "2410.17243"), (2, "1706.03762"), (1, "hep-th/9711200")):
        for voter in voters[:count]:
            vote(store, voter, paper_id)
    gpt4o = store.get("2410.21276").paper
    store.write_batch([replace(gpt4o, signals=[Signal("hf_upvotes", 161, clock.now)])])  # was 61
    services_of(client).trending.refresh()


@pytest.mark.parametrize("fmt", FORMATS)
def test_trending_feed_lists_what_trends_best_first_and_why(
    own: tuple[TestClient, PaperStore], clock: Clock, fmt: str
) -> None:
    client, _ = own
    add_attention(client, clock)
    response = client.get(f"/feeds/trending.{fmt}")
    parsed = parse(response)
    assert entry_ids(parsed) == TRENDING  # best first, as the page lists them
    assert [summary_text(entry).split("\n")[0] for entry in parsed.entries] == [f"{r} this week" for r in REASONS]
    assert parsed.feed.title == "Trending this week · papertide"
    assert parsed.feed.link == f"{BASE}/?window=week"
    assert {link.rel: link.href for link in parsed.feed.links}["self"] == f"{BASE}/feeds/trending.{fmt}?window=week"
    first = parsed.entries[0]
    assert first.title == "GPT-4o System Card"
    assert first.published_parsed[:6] == (2024, 10, 25, 17, 59, 0)  # dated by its submission
    assert parsedate_to_datetime(response.headers["last-modified"]) == clock.now  # the latest refresh
    assert entry_ids(parse(client.get(f"/feeds/trending.{fmt}", params={"window": "week"}))) == TRENDING


@pytest.mark.parametrize(
    "params",
    [{"window": "day"}, {"window": "month", "category": "cs.CV"}, {"category": "cs.*", "exclude": "cs.CV"}],
)
def test_trending_feed_takes_the_window_and_categories(
    own: tuple[TestClient, PaperStore], clock: Clock, params: dict
) -> None:
    client, _ = own
    add_attention(client, clock)
    parsed = parse(client.get("/feeds/trending.rss", params=params))
    api = client.get("/api/v1/trending", params={**params, "limit": 50}).json()["papers"]
    assert entry_ids(parsed) == [item["paper"]["id"] for item in api]
    assert entry_ids(parsed)  # each selection trends something
    window = params.get("window", "week")
    assert parsed.feed.title.startswith(f"Trending {'today' if window == 'day' else 'this ' + window}")


def test_trending_feed_changes_with_the_attention(own: tuple[TestClient, PaperStore], clock: Clock) -> None:
    client, store = own
    add_attention(client, clock)
    before = client.get("/feeds/trending.atom")
    validators = {"If-None-Match": before.headers["etag"], "If-Modified-Since": before.headers["last-modified"]}
    assert client.get("/feeds/trending.atom", headers=validators).status_code == 304
    clock.now += timedelta(minutes=5)
    for voter in (add_voter(store, f"late{n}@example.org") for n in range(3)):
        vote(store, voter, "hep-th/9711200")  # now 4 votes: past Inf-CLIP's 3
    services_of(client).trending.refresh()
    for header, value in validators.items():
        after = client.get("/feeds/trending.atom", headers={header: value})
        assert after.status_code == 200, header
        assert entry_ids(parse(after)) == ["2410.21276", "hep-th/9711200", "2410.17243", "1706.03762"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_trending_feed_of_nothing_is_valid(own: tuple[TestClient, PaperStore], clock: Clock, fmt: str) -> None:
    client, _ = own
    add_attention(client, clock)
    response = client.get(f"/feeds/trending.{fmt}", params={"category": "quant-ph", "window": "day"})
    assert parse(response).entries == []
    assert parsedate_to_datetime(response.headers["last-modified"]) == clock.now


def test_bad_trending_feed_parameters_are_problems(client: TestClient) -> None:
    window = client.get("/feeds/trending.atom", params={"window": "decade"})
    assert window.status_code == 422
    assert window.headers["content-type"] == "application/problem+json"
    assert client.get("/feeds/trending.atom", params={"category": "!!"}).status_code == 400


# -- pages link their feeds --------------------------------------------------------------------


def alternates(page: str) -> dict[str, str]:
    links = re.findall(r'<link rel="alternate" type="([^"]+)" title="[^"]*" href="([^"]+)">', page)
    return {kind: html.unescape(href) for kind, href in links}


def visible_feed_links(page: str) -> list[str]:
    block = re.search(r'<p class="feed-links">(.*?)</p>', page, re.S)
    return [html.unescape(href) for href in re.findall(r'<a href="([^"]+)"', block[1])] if block else []


def test_new_papers_page_links_the_feed_of_its_selection(client: TestClient) -> None:
    page = client.get("/new", params={"window": "month", "category": "cs.CV,cs.CL", "exclude": "cs.AI"}).text
    found = alternates(page)
    query = "?category=cs.CV%2Ccs.CL&exclude=cs.AI"
    assert found == {"application/atom+xml": f"/feeds/new.atom{query}", "application/rss+xml": f"/feeds/new.rss{query}"}
    assert visible_feed_links(page) == list(found.values())
    assert "Follow new papers in these categories:" in page
    for href in found.values():
        assert entry_ids(parse(client.get(href))) == VISION_OR_LANGUAGE
    assert alternates(client.get("/new").text)["application/atom+xml"] == "/feeds/new.atom"


def test_trending_page_links_the_feed_of_its_window_and_categories(client: TestClient) -> None:
    page = client.get("/", params={"window": "month", "category": "cs.CV"}).text
    expected = "/feeds/trending.{}?window=month&category=cs.CV"
    assert alternates(page) == {
        "application/atom+xml": expected.format("atom"),
        "application/rss+xml": expected.format("rss"),
    }
    assert visible_feed_links(page) == list(alternates(page).values())
    assert "Follow what trends this month in these categories:" in page
    assert alternates(client.get("/").text)["application/atom+xml"] == "/feeds/trending.atom?window=week"


def test_search_page_links_the_feed_of_its_query(client: TestClient) -> None:
    page = client.get("/search", params={"q": "attention", "mode": "lexical", "category": "cs.CL"}).text
    found = alternates(page)
    assert found["application/atom+xml"] == "/feeds/search.atom?q=attention&mode=lexical&category=cs.CL"
    assert visible_feed_links(page) == list(found.values())
    expected = [
        hit["paper"]["id"]
        for hit in client.get(
            "/api/v1/search", params={"q": "attention", "mode": "lexical", "category": "cs.CL", "sort": "newest"}
        ).json()["results"]
    ]
    for href in found.values():
        assert entry_ids(parse(client.get(href))) == expected
    assert alternates(client.get("/search").text) == {}  # nothing searched yet: nothing to follow


def test_public_collection_pages_link_their_feed(own: tuple[TestClient, PaperStore], clock: Clock) -> None:
    client, _ = own
    shared = shared_collection(client, clock)
    feed = f"/feeds/c/{shared.public_id}"
    expected = {"application/atom+xml": f"{feed}.atom", "application/rss+xml": f"{feed}.rss"}
    page = client.get(f"/c/{shared.public_id}").text
    assert alternates(page) == expected
    assert visible_feed_links(page) == list(expected.values())
    assert "Follow this collection in a feed reader:" in page
    owner = sign_in(client, "collector@example.org")
    assert alternates(client.get(f"/library/{shared.public_id}").text) == expected
    services_of(client).library.collections.update(owner, shared.public_id, public=False)
    private = client.get(f"/library/{shared.public_id}").text
    assert alternates(private) == {} and visible_feed_links(private) == []


def test_a_feed_opened_in_a_browser_finds_the_site_icon(client: TestClient) -> None:
    """A feed has no <link rel="icon">, so browsers showing one ask for /favicon.ico."""
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"] == "image/svg+xml"


def test_a_search_page_with_filters_alone_links_the_new_papers_feed_it_lists(client: TestClient) -> None:
    page = client.get("/search", params={"category": "cs.CL"}).text
    found = alternates(page)
    assert found["application/atom+xml"] == "/feeds/new.atom?category=cs.CL"
    assert all(client.get(href).status_code == 200 for href in found.values())
