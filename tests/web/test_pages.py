"""The HTML pages through the ASGI app: what they list, link and say when something is wrong."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from datetime import UTC, datetime

import anyio.to_thread
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.ingest.demo import load_demo
from papertide.ingest.pipeline import ingest
from papertide.model import Paper, Version
from papertide.search.lexical import maxscore
from papertide.search.lexical.index import LexicalIndex
from papertide.store.papers.store import PaperStore
from papertide.web.app import create_app
from papertide.web.kit.dependencies import INLINE_SEARCH_CHARS
from papertide.web.papers.pages import PAGE_SIZE, SIMILAR_COUNT


def card_ids(html: str) -> list[str]:
    return re.findall(r'<a href="/paper/([^"]+)" data-math>', html)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("day", ["2410.21276"]),
        ("week", ["2410.21276", "2410.17243"]),
        ("month", ["2410.21276", "2410.17243", "2410.13720", "2410.05258"]),
    ],
)
def test_windows_end_at_the_newest_paper(client: TestClient, window: str, expected: list[str]) -> None:
    html = client.get("/new", params={"window": window}).text
    assert card_ids(html) == expected
    assert "25 Oct 2024" in html  # the page says where the window ends


def test_new_defaults_to_the_past_week(client: TestClient) -> None:
    html = client.get("/new").text
    assert card_ids(html) == ["2410.21276", "2410.17243"]
    assert re.search(r'aria-current="page">Past week<', html)
    assert "Listed 19 Oct 2024 – 25 Oct 2024" in html


def test_window_follows_the_category_filter(client: TestClient) -> None:
    """hep-th's newest paper is from 1997: its past week is that week, not an empty one."""
    html = client.get("/new", params={"category": "hep-th"}).text
    assert card_ids(html) == ["hep-th/9711200"]
    assert "27 Nov 1997" in html
    assert "High Energy Physics - Theory" in html  # the active filter is named, not just its id


def test_all_time_lists_everything_and_filters_combine(client: TestClient) -> None:
    everything = client.get("/new", params={"window": "all"}).text
    assert len(card_ids(everything)) == 14
    assert 'rel="next"' not in everything
    cv = client.get("/new", params={"window": "all", "category": ["cs.CV", "cs.CL"], "exclude": "cs.AI"}).text
    assert card_ids(cv) == ["2410.17243", "2410.05258", "2401.04088", "1706.03762", "1512.03385"]


def test_older_pages_follow_the_cursor_and_keep_the_filters(settings: Settings, own_store: PaperStore) -> None:
    day = datetime(2024, 10, 24, tzinfo=UTC)
    extra = [Paper(id=f"2410.{20000 + n}", title=f"Paper {n}", categories=["cs.LG"], submitted=day) for n in range(25)]
    ingest(extra, own_store)
    client = TestClient(create_app(settings, own_store))
    first = client.get("/new", params={"category": "cs.LG"}).text
    assert len(card_ids(first)) == PAGE_SIZE
    older = re.search(r'<a class="button" rel="next" href="([^"]+)"', first)[1].replace("&amp;", "&")
    assert "category=cs.LG" in older
    second = client.get(older).text
    # the past week of cs.LG: GPT-4o, then the extra papers (same day: newest stored first)
    assert card_ids(first) + card_ids(second) == ["2410.21276", *(f"2410.{20000 + n}" for n in reversed(range(25)))]
    assert "← Newest" in second


def test_cards_show_what_a_reader_scans_for(client: TestClient) -> None:
    html = client.get("/new", params={"window": "day"}).text
    assert "GPT-4o System Card" in html
    # Each name links to its author page (issue 24): the text reads as before.
    assert re.search(r'<a class="author-link" href="/author/OpenAI">OpenAI</a>, <a [^>]+>Aaron Hurst</a>, ', html)
    assert re.search(r'<a class="author-link" href="/author/Adam%20Lerer">Adam Lerer</a> et al.</span>', html)
    assert '<time datetime="2024-10-25">25 Oct 2024</time>' in html
    assert 'title="Machine Learning">cs.LG</a>' in html
    assert 'href="https://arxiv.org/pdf/2410.21276"' in html
    assert '<span class="hf-count">61</span> on Hugging Face' in html  # Hugging Face's upvotes, labelled
    assert re.search(r'<span class="vote-count">0</span>', html)  # papertide's own, none yet


def test_bad_filters_get_an_error_page_not_a_crash(client: TestClient) -> None:
    response = client.get("/new", params={"category": "not a category!"})
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "is not a category pattern" in response.text
    assert client.get("/new", params={"cursor": "garbage"}).status_code == 422  # its pattern is checked (issue 21)
    assert client.get("/new", params={"window": "decade"}).status_code == 422


def test_paper_page_shows_everything_with_math_left_for_katex(client: TestClient) -> None:
    response = client.get("/paper/hep-th/9711200")
    assert response.status_code == 200
    html = response.text
    assert "<h1 data-math>The Large N Limit of Superconformal Field Theories and Supergravity</h1>" in html
    assert "$AdS_5\\times S^5$" in html
    assert 'href="/author/Juan%20M.%20Maldacena">Juan M. Maldacena</a>' in html  # author pages (issue 24)
    assert 'href="https://doi.org/10.1023/A:1026654312961"' in html
    assert "Adv.Theor.Math.Phys.2:231-252,1998" in html
    assert '<time datetime="1998-01-22">22 Jan 1998</time>' in html
    assert "High Energy Physics - Theory" in html
    assert "/static/katex/katex.min.js" in html


def test_a_paper_without_categories_shows_no_empty_categories_box(settings: Settings, own_store: PaperStore) -> None:
    day = datetime(2024, 10, 25, tzinfo=UTC)
    hf_paper = Paper(id="2410.99999", title="A Hugging Face daily paper", abstract="No arXiv categories.",
                     authors=["A. Author"], submitted=day, source="hf-daily")  # fmt: skip
    ingest([hf_paper], own_store)
    client = TestClient(create_app(settings, own_store))
    page = client.get("/paper/2410.99999").text
    assert "A Hugging Face daily paper" in page
    assert "<dt>Categories</dt>" not in page and 'aria-label="Categories"' not in page
    home = client.get("/new", params={"window": "all"}).text
    assert "2410.99999" in card_ids(home)
    card = home[home.index('href="/paper/2410.99999"') :].split("</article>", 1)[0]
    assert 'class="chips"' not in card
    with_categories = client.get("/paper/2410.17243").text
    assert "<dt>Categories</dt>" in with_categories and 'aria-label="Categories"' in with_categories
    # Nothing else to detail either (no versions, DOI, comments or code): no Details box at all (issue 22).
    assert 'class="details"' not in page and ">Details<" not in page
    assert 'class="details"' in with_categories


def test_the_details_box_shows_every_stored_fact(settings: Settings, own_store: PaperStore) -> None:
    day = datetime(2024, 10, 25, tzinfo=UTC)
    full = Paper(
        id="2410.99998", title="A paper with everything", authors=["A. Author"], source="arxiv",
        abstract="We release weights at huggingface.co/example/widget-7b).", categories=["cs.LG", "quant-ph", "xx.YY"],
        submitted=day, updated=day.replace(month=11), version=2, doi="10.1234/widget.2024",
        journal_ref="Proc. NeurIPS 37 (2024) 1-12", comments="Accepted at NeurIPS 2024; code: https://github.com/example/widget.",
        url_code="https://gitlab.com/example/widget-data",
        versions=[Version(1, day), Version(2, day.replace(month=11))],
    )  # fmt: skip
    ingest([full], own_store)
    client = TestClient(create_app(settings, own_store))
    html = re.sub(r"\s+", " ", client.get("/paper/2410.99998").text)
    details = html[html.index('<aside class="details"') : html.index("</aside>")]
    chip = '<a class="chip" href="/new?category={0}">{0}</a> <span class="category-name">{1}</span>'
    assert chip.format("cs.LG", "Machine Learning") in details
    assert chip.format("quant-ph", "Quantum Physics") in details
    assert '<a class="chip" href="/new?category=xx.YY">xx.YY</a></li>' in details  # an unknown one, not named twice
    assert '<li>v1 · <time datetime="2024-10-25">25 Oct 2024</time></li>' in details
    assert '<li>v2 · <time datetime="2024-11-25">25 Nov 2024</time></li>' in details
    assert '<a href="https://doi.org/10.1234/widget.2024" rel="noopener">10.1234/widget.2024</a>' in details
    assert "<dd data-math>Proc. NeurIPS 37 (2024) 1-12</dd>" in details
    assert "<dd data-math>Accepted at NeurIPS 2024; code: https://github.com/example/widget.</dd>" in details
    link = r'<li><a href="([^"]+)" rel="noopener nofollow">[^<]+</a> <span class="found-in">([^<]+)</span>'
    links = re.findall(link, details)
    assert links == [
        ("https://gitlab.com/example/widget-data", "GitLab, from arXiv"),  # issue 24: each labelled by its origin
        ("https://huggingface.co/example/widget-7b", "Hugging Face, from the abstract"),
        ("https://github.com/example/widget", "GitHub, from arXiv comments"),
    ]
    api = client.get("/api/v1/papers/2410.99998").json()
    assert [(link["site"], link["found_in"]) for link in api["code_links"]] == [
        ("GitLab", "source"), ("Hugging Face", "abstract"), ("GitHub", "comments"),
    ]  # fmt: skip


@pytest.mark.parametrize("requested", ["/paper/1706.03762v5", "/paper/arXiv:1706.03762"])
def test_versioned_and_prefixed_ids_redirect_to_the_one_address(client: TestClient, requested: str) -> None:
    response = client.get(requested, follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/paper/1706.03762"


def test_unknown_paper_and_path_get_html_error_pages(client: TestClient) -> None:
    missing = client.get("/paper/2501.99999")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "there is no paper &#39;2501.99999&#39; in this library" in missing.text
    assert client.get("/no/such/page").status_code == 404


def test_pages_reference_only_this_server(client: TestClient) -> None:
    for path in ("/", "/new", "/paper/1606.08415", "/docs", "/no/such/page"):
        html = client.get(path).text
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            if url.startswith(("http://", "https://", "//")):
                assert re.search(r"<a [^>]*href=\"" + re.escape(url), html), f"{path} loads {url}"


def test_static_assets_are_served(client: TestClient) -> None:
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/katex/katex.min.js").status_code == 200
    assert client.get("/static/katex/fonts/KaTeX_Main-Regular.woff2").status_code == 200
    assert "MIT" in client.get("/static/katex/LICENSE").text


def test_search_page_shows_count_time_and_highlighted_results(client: TestClient) -> None:
    response = client.get("/search", params={"q": "attention", "mode": "lexical"})
    html = response.text
    assert response.status_code == 200
    assert re.search(r"\d+ results · \d+ ms", html)
    assert "<mark>Attention</mark> Is All You Need" in html
    assert 'id="mode-lexical" name="mode" value="lexical" checked' in html
    assert len(response.content) < 50_000


def test_a_pruned_count_is_shown_as_a_lower_bound(
    settings: Settings, store: PaperStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo corpus's 1,271 papers, "model" and "quantum" counted common: the page of the best 20
    # skips papers holding only one of them, and so does not count every match (search.maxscore).
    monkeypatch.setattr(maxscore, "COMMON_WORD_PAPERS", 40)
    load_demo(store)
    LexicalIndex.open(settings.index_dir / "lexical").update_from(store)
    with TestClient(create_app(settings, store)) as demo:
        newest = {"q": "model quantum", "mode": "lexical", "sort": "newest"}  # sorted by date: every match counted
        exact = demo.get("/api/v1/search", params=newest).json()
        body = demo.get("/api/v1/search", params={"q": "model quantum", "mode": "lexical", "limit": 20}).json()
        assert exact["total_exact"] and not body["total_exact"]
        assert 40 < body["total"] < exact["total"]
        html = demo.get("/search", params={"q": "model quantum", "mode": "lexical"}).text
        assert f"at least {body['total']:,} results" in html
        assert card_ids(html) == [hit["paper"]["id"] for hit in body["results"]]


def test_search_page_keeps_filters_and_pages(client: TestClient) -> None:
    first = client.get("/search", params={"q": "", "category": "cs.*"}).text
    assert "Page 1 of 1" not in first  # one page: no pager
    assert card_ids(first)[0] == "2410.21276"
    assert 'value="cs.*"' in first


def test_pasted_arxiv_link_jumps_to_the_paper(client: TestClient) -> None:
    response = client.get("/search", params={"q": "https://arxiv.org/pdf/1606.08415v5"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/paper/1606.08415"


def test_pasted_id_of_a_paper_we_lack_says_so(client: TestClient) -> None:
    html = client.get("/search", params={"q": "arXiv:2501.00001"}).text
    assert "<code>2501.00001</code> is not in this library yet" in html
    assert 'href="https://arxiv.org/abs/2501.00001"' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year:20x4", "expected a year or a range"),
        ("x" * 20_001, "query is too long"),
        ('author:""', "nothing to search for"),
    ],
)
def test_bad_query_gets_a_helpful_message_not_an_error(client: TestClient, query: str, message: str) -> None:
    response = client.get("/search", params={"q": query})
    assert response.status_code == 400
    assert "That query could not be read" in response.text
    assert message in response.text
    assert 'id="q"' in response.text  # the form is there to fix it


def test_the_related_papers_box_searches_pasted_text_as_prose(client: TestClient) -> None:
    pasted = 'Deeper neural networks are difficult to train -- a residual framework eases it; -networks "Fig'
    html = client.get("/search", params={"related": pasted, "find": "related", "q": "quantum"}).text
    assert card_ids(html)[0] == "1512.03385"
    assert '<details class="filters related" open>' in html and "related to the text you pasted" in html
    assert "<title>Related papers – Search" in html
    assert "a residual framework eases it; -networks &#34;Fig</textarea>" in html


def test_enter_in_the_query_box_searches_the_query_though_the_other_box_holds_text(client: TestClient) -> None:
    html = client.get("/search", params={"q": "Ricci flow", "related": "deep residual networks"}).text
    assert card_ids(html)[0] == "math/0211159" and "related to the text you pasted" not in html


def test_a_relaxed_phrase_is_noted_on_the_page(client: TestClient) -> None:
    html = client.get("/search", params={"q": '"flow Ricci entropy"', "mode": "lexical"}).text
    assert card_ids(html)[0] == "math/0211159"
    assert (
        "Note: no paper contains the exact phrase &#34;flow Ricci entropy&#34;; showing papers with its words." in html
    )


def test_empty_search_explains_the_syntax(client: TestClient) -> None:
    response = client.get("/search", params={"q": "   "})
    assert response.status_code == 200
    assert "How to search" in response.text
    assert 'class="result-summary"' not in response.text


def test_paper_page_lists_similar_papers(client: TestClient) -> None:
    html = client.get("/paper/2310.06825").text
    similar = card_ids(html.split('id="similar-heading"', 1)[1])
    assert len(similar) == SIMILAR_COUNT
    assert "2310.06825" not in similar
    assert "2401.04088" in similar  # Mixtral is Mistral's sibling


def test_blocking_handlers_get_as_many_threads_as_configured(settings: Settings, own_store: PaperStore) -> None:
    app = create_app(settings.model_copy(update={"web_threads": 3}), own_store)
    with TestClient(app) as client:
        assert client.get("/").status_code == 200  # a listing, served by a pool thread
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == 3


def test_paper_lookups_run_on_the_loop_over_sqlite_and_on_a_worker_thread_over_a_server(indexed_app: FastAPI) -> None:
    services = indexed_app.state.services

    async def on_the_loop() -> bool:
        return await services.lookup(threading.get_ident) == threading.get_ident()

    assert anyio.run(on_the_loop) == (services.store.engine.dialect.name == "sqlite")


@pytest.mark.parametrize("on_event_loop", [False, True])
def test_searches_run_on_a_worker_thread_unless_a_typed_query_may_run_where_lookups_run(
    indexed_app: FastAPI, monkeypatch: pytest.MonkeyPatch, on_event_loop: bool
) -> None:
    shared = indexed_app.state.services
    services = replace(shared, settings=shared.settings.model_copy(update={"search_on_event_loop": on_event_loop}))
    searching, ran_on = services.engine.search, []

    def search(text: str, **options):
        ran_on.append(threading.get_ident())
        return searching(text, **options)

    monkeypatch.setattr(services.engine, "search", search)
    pasted = "Low-rank adapters are trained beside the frozen weights of a large language model. " * 5
    assert len(pasted) > INLINE_SEARCH_CHARS

    async def searches() -> list[bool]:
        typed = await services.search("low-rank adaptation", mode="lexical")
        related = await services.search(pasted, mode="lexical", operators=False)
        assert [r.paper.paper_id for r in (typed.results[0], related.results[0])] == ["2106.09685"] * 2  # LoRA
        return [ident == threading.get_ident() for ident in ran_on]

    sqlite = services.store.engine.dialect.name == "sqlite"
    assert anyio.run(searches) == [on_event_loop and sqlite, False]
