"""The library end to end in headless Chromium: upvotes with and without JavaScript, saving to a
collection, BibTeX export and import, and "For you", against the real server over the demo corpus.

Readers are signed in by handing the browser a session cookie (the accounts tests follow the
emailed link itself). Every tab fails its test on a request to another host or a console error.
"""

from __future__ import annotations

import email
import mailbox
import re
from collections.abc import Iterator
from pathlib import Path

import bibtexparser
import pytest
from playwright import sync_api

from papertide.web.app import create_app
from tests.web.browser import BROWSER_TESTS, PHONE, Site, Tab, open_tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve

pytestmark = BROWSER_TESTS

PAPER = "0704.0001"  # in the demo corpus, with a DOI and a journal reference


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo corpus served by uvicorn, with the app at hand to make accounts and sessions."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    app = create_app(demo_library(tmp_path_factory.mktemp("demo"), cache))
    with serve(app) as url:
        yield Site(url, app)


def vote_button(page: sync_api.Page) -> sync_api.Locator:
    return page.locator(".paper-actions form.vote button")


def test_voting_with_javascript_changes_no_page(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "js-voter@example.org")
    page = tab.open(f"/paper/{PAPER}")
    button = vote_button(page)
    assert button.get_attribute("aria-pressed") == "false"
    before = int(button.locator(".vote-count").inner_text())
    page.evaluate("window.stillTheSamePage = true")
    button.click()
    sync_api.expect(button).to_have_attribute("aria-pressed", "true")
    sync_api.expect(button.locator(".vote-count")).to_have_text(str(before + 1))
    assert page.evaluate("window.stillTheSamePage") is True  # no reload
    tab.screenshot("library-paper-voted")
    button.click()
    sync_api.expect(button).to_have_attribute("aria-pressed", "false")
    sync_api.expect(button.locator(".vote-count")).to_have_text(str(before))
    with page.expect_response(lambda response: response.url.endswith(f"/papers/{PAPER}/vote")) as stored:
        button.click()
    assert stored.value.ok
    sync_api.expect(button).to_have_attribute("aria-pressed", "true")
    page.reload()
    assert vote_button(page).get_attribute("aria-pressed") == "true"  # stored, not just drawn


def test_voting_without_javascript_posts_the_form_and_comes_back(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "no-js-voter@example.org", java_script_enabled=False)
    page = tab.open("/new?window=all")
    card = page.locator(".card").first
    button = card.locator("form.vote button")
    before = int(button.locator(".vote-count").inner_text())
    button.click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site.url}/new?window=all"  # back on the page the vote came from
    button = page.locator(".card").first.locator("form.vote button")
    assert button.get_attribute("aria-pressed") == "true"
    assert int(button.locator(".vote-count").inner_text()) == before + 1
    tab.screenshot("library-cards-voted-without-js")


LINK_PATH = re.compile(r"https?://[^/\s]+(/signin/[A-Za-z0-9_-]+)")


def mailed_link(site: Site, address: str) -> str:
    """The sign-in link last mailed to ``address`` (the demo site delivers to its Maildir: no relay is set)."""
    inbox = mailbox.Maildir(site.app.state.services.settings.mail_dir, create=False)
    messages = [message for message in inbox if address in message["To"]]
    assert messages, f"no message to {address}"
    body = email.message_from_bytes(messages[-1].as_bytes(), policy=email.policy.default)
    match = LINK_PATH.search(body.get_body(preferencelist=("plain",)).get_content())
    assert match
    return match.group(1)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signed_out_voters_sign_in_and_find_the_vote_counted(browser, site: Site, tabs: list[Tab], javascript) -> None:
    """Issue 22: the upvote pressed before signing in is counted on arrival, once (before, it had to be
    pressed again)."""
    tab = open_tab(tabs, browser, site, None, java_script_enabled=javascript)
    page = tab.open(f"/paper/{PAPER}")
    before = int(vote_button(page).locator(".vote-count").inner_text())
    vote_button(page).click()
    page.wait_for_url(f"{site.url}/signin?next=%2Fpaper%2F{PAPER}")
    address = sign_in_by_mail(site, page, "returning", javascript)
    button = vote_button(page)
    assert button.get_attribute("aria-pressed") == "true"
    assert int(button.locator(".vote-count").inner_text()) == before + 1
    page.reload()  # done once: reloading, or the used link, does not count it again
    assert int(vote_button(page).locator(".vote-count").inner_text()) == before + 1
    services = site.app.state.services
    voter = services.accounts.user_by_email(address)
    assert services.library.votes.voted_among(voter, [services.store.get(PAPER).pk])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_signed_out_savers_sign_in_and_find_the_paper_saved(browser, site: Site, tabs: list[Tab], javascript) -> None:
    tab = open_tab(tabs, browser, site, None, java_script_enabled=javascript)
    page = tab.open(f"/paper/{PAPER}")
    save_menu(page).get_by_role("button", name="Save").click()
    page.wait_for_url(f"{site.url}/signin?next=%2Fpaper%2F{PAPER}")
    address = sign_in_by_mail(site, page, "saving", javascript)
    assert save_menu(page).locator("summary").inner_text().strip() == "Saved"
    services = site.app.state.services
    reader = services.accounts.user_by_email(address)
    [saved] = services.library.collections.mine(reader)
    assert (saved.name, saved.size) == ("Saved", 1)


def sign_in_by_mail(site: Site, page: sync_api.Page, who: str, javascript: bool) -> str:
    """On the sign-in page: ask for a link, open the one the Maildir received, press "Sign in", and
    arrive back on the paper; the address used."""
    address = f"{who}-{'js' if javascript else 'no-js'}@example.org"
    page.get_by_label("Email address").fill(address)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.wait_for_load_state("networkidle")
    page.goto(site.url + mailed_link(site, address))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/paper/{PAPER}")  # back on the paper, signed in
    page.wait_for_load_state("networkidle")
    return address


def save_menu(page: sync_api.Page) -> sync_api.Locator:
    return page.locator(".paper-actions .save-form")


def test_saving_to_collections_notes_and_a_public_page(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "saver@example.org")
    page = tab.open(f"/paper/{PAPER}")
    menu = save_menu(page)
    menu.locator("summary").click()
    page.evaluate("window.stillTheSamePage = true")
    menu.get_by_role("button", name="Saved").click()
    sync_api.expect(menu.get_by_role("button", name="Saved")).to_have_attribute("aria-pressed", "true")
    sync_api.expect(menu.locator(".save-label")).to_have_text("Saved")
    assert page.evaluate("window.stillTheSamePage") is True
    tab.screenshot("library-save-menu")

    page = tab.open("/library")
    page.get_by_label("Name").fill("Reading group")
    page.get_by_role("button", name="Create collection").click()
    page.wait_for_url("**/library/*")
    collection_url = page.url
    assert page.locator("h1").inner_text() == "Reading group"

    page = tab.open(f"/paper/{PAPER}")
    save_menu(page).locator("summary").click()
    option = save_menu(page).get_by_role("button", name="Reading group")
    option.click()
    sync_api.expect(option).to_have_attribute("aria-pressed", "true")

    page.goto(collection_url)
    assert page.locator(".card .paper-id").all_inner_texts() == [PAPER]
    page.get_by_text("Add a note").click()
    page.get_by_label(f"Note on {PAPER}").fill("Read section 3 before Thursday.\nCompare with 0704.0002.")
    page.get_by_role("button", name="Save note").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".note").inner_text() == "Read section 3 before Thursday.\nCompare with 0704.0002."
    page.get_by_text("Manage collection").click()
    page.get_by_role("button", name="Make public").click()
    page.wait_for_load_state("networkidle")
    public_path = page.get_by_role("link", name="Public page").get_attribute("href")
    tab.screenshot("library-collection")

    page = tab.open("/library")
    assert page.locator(".collection-name").all_inner_texts() == ["Saved", "Reading group"]
    tab.screenshot("library-collections")

    visitor = open_tab(tabs, browser, site, None)
    page = visitor.open(public_path)
    assert page.locator("h1").inner_text() == "Reading group"
    assert page.locator(".card .paper-id").all_inner_texts() == [PAPER]
    assert "Read section 3" in page.locator(".note").inner_text()
    visitor.screenshot("library-public-collection")


def test_saving_without_javascript(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "no-js-saver@example.org", java_script_enabled=False)
    page = tab.open("/new?window=all")
    first = page.locator(".card").first
    paper_id = first.locator(".paper-id").inner_text()
    first.locator(".save-menu summary").click()  # <details> opens without a script
    first.get_by_role("button", name="Saved").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site.url}/new?window=all"
    first = page.locator(".card").first
    assert first.locator(".save-label").inner_text() == "Saved"
    page = tab.open("/library")
    page.locator(".collection-tile").first.click()
    assert page.locator(".card .paper-id").all_inner_texts() == [paper_id]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_new_collection_from_the_save_menu_keeps_the_reader_on_the_paper(
    browser, site: Site, tabs: list[Tab], javascript: bool
) -> None:
    """Issue 22: "New collection…" in the save menu creates it with the paper in it, here: with JavaScript by
    the JSON API (no reload), without by a post that comes back to the paper."""
    address = f"new-collection-{'js' if javascript else 'no-js'}@example.org"
    tab = open_tab(tabs, browser, site, address, java_script_enabled=javascript)
    page = tab.open(f"/paper/{PAPER}")
    if javascript:
        page.evaluate("window.stillTheSamePage = true")
    menu = save_menu(page)
    menu.locator("summary").click()
    menu.get_by_label("New collection's name").fill("Diphotons")
    menu.get_by_label("New collection's name").press("Enter")  # Enter creates, not the first option
    if not javascript:
        page.wait_for_url(f"{site.url}/paper/{PAPER}")
        page.wait_for_load_state("networkidle")
        save_menu(page).locator("summary").click()
    menu = save_menu(page)
    option = menu.get_by_role("button", name="Diphotons")
    sync_api.expect(option).to_have_attribute("aria-pressed", "true")
    sync_api.expect(menu.locator(".save-label")).to_have_text("Saved")
    assert menu.get_by_role("button", name="Saved", exact=True).get_attribute("aria-pressed") == "false"
    if javascript:
        assert page.evaluate("window.stillTheSamePage") is True  # no reload
        sync_api.expect(menu.get_by_label("New collection's name")).to_have_value("")
        option.click()  # the new option works like the others: out again
        sync_api.expect(option).to_have_attribute("aria-pressed", "false")
        option.click()
        sync_api.expect(option).to_have_attribute("aria-pressed", "true")
    tab.screenshot(f"library-save-menu-new-collection-{'js' if javascript else 'no-js'}")
    services = site.app.state.services
    reader = services.accounts.user_by_email(address)
    mine = {c.name: c.size for c in services.library.collections.mine(reader)}
    assert mine == {"Saved": 0, "Diphotons": 1}


# A reference manager's export of a software-testing reading list, as Zotero writes it; three of
# its four papers are in the demo corpus (by arXiv URL, by DOI, by title), the fourth is not.
TESTING_READING_LIST = """
@misc{khandaker_augmentest_2025,
	title = {{AugmenTest}: {Enhancing} {Tests} with {LLM}-{Driven} {Oracles}},
	url = {http://arxiv.org/abs/2501.17461},
	doi = {10.48550/arXiv.2501.17461},
	author = {Khandaker, Shaker Mahmud and Kifetew, Fitsum and Prandi, Davide and Susi, Angelo},
	month = jan,
	year = {2025},
	note = {arXiv:2501.17461 [cs]},
}

@inproceedings{biagiola_improving_2025,
	title = {Improving the {Readability} of {Automatically} {Generated} {Tests} using {Large} {Language} {Models}},
	doi = {10.1109/ICST62969.2025.10989020},
	booktitle = {2025 {IEEE} {Conference} on {Software} {Testing}, {Verification} and {Validation} ({ICST})},
	author = {Biagiola, Matteo and Ghislotti, Gianluca and Tonella, Paolo},
	year = {2025},
}

@article{karhu_expectations_2025,
	title = {Expectations vs {Reality} -- {A} {Secondary} {Study} on {AI} {Adoption} in {Software} {Testing}},
	author = {Karhu, Katja and Kasurinen, Jussi and Smolander, Kari},
	year = {2025},
}

@book{myers_art_2011,
	title = {The {Art} of {Software} {Testing}},
	edition = {3},
	publisher = {Wiley},
	author = {Myers, Glenford J. and Sandler, Corey and Badgett, Tom},
	year = {2011},
}
"""


def test_import_a_bibtex_file_export_it_and_see_for_you(browser, site: Site, tabs: list[Tab], tmp_path) -> None:
    tab = open_tab(tabs, browser, site, "importer@example.org")
    page = tab.open("/for-you")
    assert "Nothing to go on yet." in page.locator(".empty").inner_text()
    tab.screenshot("library-for-you-empty")

    reading_list = tmp_path / "testing.bib"
    reading_list.write_text(TESTING_READING_LIST)
    page = tab.open("/library")
    with page.expect_file_chooser() as chooser:
        page.get_by_label("File (.bib or .ris").click()
    chooser.value.set_files(reading_list)
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state("networkidle")
    assert "3 of 4 BibTeX entries matched" in page.locator(".lede").inner_text()
    assert page.locator(".unmatched tbody tr").all_inner_texts()[0].startswith("26\tThe Art of Software Testing")
    tab.screenshot("library-import-result")

    page.get_by_role("link", name="Open “Saved”").click()
    page.wait_for_url("**/library/*")
    assert sorted(page.locator(".card .paper-id").all_inner_texts()) == ["2412.18843", "2501.17461", "2504.04921"]
    with page.expect_download() as download:
        page.get_by_role("link", name="Export BibTeX").click()
    assert download.value.suggested_filename == "saved.bib"
    entries = bibtexparser.loads(Path(download.value.path()).read_text()).entries
    assert sorted(entry["eprint"] for entry in entries) == ["2412.18843", "2501.17461", "2504.04921"]
    assert {entry["archiveprefix"] for entry in entries} == {"arXiv"}

    page = tab.open("/for-you?window=year")
    cards = page.locator(".results .card")
    reasons = page.locator(".reason").all_inner_texts()
    assert cards.count() >= 5 and len(reasons) == cards.count()  # every paper of the past year, each with a reason
    assert all(reason.startswith("Similar to ") and reason.endswith("which you saved.") for reason in reasons)
    assert "2501.17461" not in page.locator(".card .paper-id").all_inner_texts()  # saved papers are not repeated
    tab.screenshot("library-for-you")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_library_pages_fit_a_phone(browser, site: Site, tabs: list[Tab], scheme: str) -> None:
    tab = open_tab(tabs, browser, site, f"phone-{scheme}@example.org", viewport=PHONE, color_scheme=scheme,
                   is_mobile=True, has_touch=True)  # fmt: skip
    services = site.app.state.services
    user = services.accounts.user_by_email(f"phone-{scheme}@example.org")
    collections = services.library.collections
    shared = collections.create(user, "A reading list with a rather long name for a phone", public=True)
    for paper_id in (PAPER, "2501.17461"):
        collections.save(user, services.store.get(paper_id), shared.public_id, note="Worth a second read.")
    pages = {
        "paper": f"/paper/{PAPER}",
        "library": "/library",
        "collection": f"/library/{shared.public_id}",
        "public": f"/c/{shared.public_id}",
        "for-you": "/for-you?window=all",
    }
    for name, path in pages.items():
        page = tab.open(path)
        if name == "paper":
            save_menu(page).locator("summary").click()  # the open menu must fit too
        tab.screenshot(f"library-{name}-phone-{scheme}")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], f"{path} scrolls sideways"
