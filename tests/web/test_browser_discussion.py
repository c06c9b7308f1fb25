"""The discussion end to end in headless Chromium, against the real server over the demo corpus: comment,
reply, vote, edit, report, moderate and delete with JavaScript (no reload), and commenting without it.

Every tab fails its test on a request to another host or a console error (a CSP violation is one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright import sync_api

from papertide.web.app import create_app
from tests.web.browser import BROWSER_TESTS, Site, Tab, open_tab
from tests.web.corpus import demo_library
from tests.web.live_server import serve

pytestmark = BROWSER_TESTS

PAPER = "0704.0001"


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The demo corpus served by uvicorn; accounts count as established at once (the link rule is tested apart)."""
    cache = request.config.cache.mkdir("papertide-web-demo") if getattr(request.config, "cache", None) else None
    settings = demo_library(tmp_path_factory.mktemp("demo"), cache).model_copy(update={"comment_new_account_hours": 0})
    app = create_app(settings)
    with serve(app) as url:
        yield Site(url, app)


def comment(page: sync_api.Page, text: str) -> sync_api.Locator:
    """The comment whose own text (not a reply's) holds ``text``."""
    return page.locator(".comment-body", has_text=text).locator("xpath=..")


def write(form: sync_api.Locator, text: str, button: str) -> None:
    form.locator("textarea, input[name=reason]").first.fill(text)
    form.get_by_role("button", name=button).click()


def test_a_discussion_with_javascript_changes_no_page(browser, site: Site, tabs: list[Tab]) -> None:
    alice = open_tab(tabs, browser, site, "alice@example.org")
    page = alice.open(f"/paper/{PAPER}")
    page.evaluate("window.stillTheSamePage = true")
    write(page.locator("#discussion > form.comment-form"), "The bound $x^2 \\le n$ is *tight*", "Comment")
    mine = comment(page, "The bound")
    sync_api.expect(mine.locator(".katex")).to_be_visible()  # TeX typeset by KaTeX, as in abstracts
    sync_api.expect(mine.locator("em")).to_have_text("tight")

    bob = open_tab(tabs, browser, site, "bob@example.org")
    bob_page = bob.open(f"/paper/{PAPER}")
    bob_page.evaluate("window.stillTheSamePage = true")
    theirs = comment(bob_page, "The bound")
    theirs.locator("summary", has_text="Reply").click()
    write(theirs.locator("form.comment-form"), "Only for n > 1", "Reply")
    reply = comment(bob_page, "Only for n")
    sync_api.expect(reply).to_be_visible()
    assert reply.evaluate("node => node.parentElement.closest('article.comment').textContent").count("The bound") == 1
    vote = comment(bob_page, "The bound").locator("form.comment-vote button").first
    vote.click()
    sync_api.expect(comment(bob_page, "The bound").locator("form.comment-vote button").first).to_have_attribute(
        "aria-pressed", "true"
    )
    sync_api.expect(comment(bob_page, "The bound").locator(".vote-count").first).to_have_text("1")
    theirs = comment(bob_page, "The bound")
    theirs.locator("> .comment-actions summary", has_text="Report").click()
    write(theirs.locator("form.comment-report"), "Wrong claim, and rude", "Report")
    sync_api.expect(comment(bob_page, "The bound").locator("details[open]")).to_have_count(0)  # swapped in afresh
    assert bob_page.evaluate("window.stillTheSamePage") is True
    bob.screenshot("discussion-reply-vote-report")

    mine = comment(page, "The bound")
    mine.locator("> .comment-actions summary", has_text="Edit").click()
    write(mine.locator("form.comment-edit"), "The bound $x^2 \\le n$ holds", "Save")
    sync_api.expect(comment(page, "holds").locator("> .comment-head .comment-edited")).to_have_text("edited")
    assert page.evaluate("window.stillTheSamePage") is True

    moderator = open_tab(tabs, browser, site, "mod@example.org")  # the account exists from here
    site.app.state.services.discussion.roles.grant("moderator", "mod@example.org")
    queue = moderator.open("/moderation")
    report = queue.locator("article.report", has_text="Wrong claim, and rude")
    sync_api.expect(report).to_be_visible()
    report.locator("input[name=note]").first.fill("Rude")
    report.get_by_role("button", name="Hide").click()
    queue.wait_for_load_state("networkidle")
    sync_api.expect(queue.get_by_text("No open reports.")).to_be_visible()
    moderator.screenshot("discussion-moderation")

    bob_page.reload()
    sync_api.expect(bob_page.get_by_text("This comment was hidden by a moderator.")).to_be_visible()
    assert comment(bob_page, "holds").count() == 0
    sync_api.expect(comment(bob_page, "Only for n")).to_be_visible()  # the reply keeps its place
    page.reload()
    sync_api.expect(page.get_by_text("Hidden by a moderator: Rude.", exact=False)).to_be_visible()

    reply = comment(bob_page, "Only for n")
    bob_page.evaluate("window.stillTheSamePage = true")
    reply.locator("form.comment-delete button").click()
    sync_api.expect(bob_page.get_by_text("Only for n")).to_have_count(0)
    assert bob_page.evaluate("window.stillTheSamePage") is True


def test_refusals_show_beside_the_form(browser, site: Site, tabs: list[Tab]) -> None:
    services = site.app.state.services
    user, _ = services.accounts.get_or_create_user("suspended@example.org")
    moderator, _ = services.accounts.get_or_create_user("mod2@example.org")
    services.discussion.roles.grant("moderator", moderator.email)
    services.discussion.moderators.suspend(moderator, user.pk, "spam")
    tab = open_tab(tabs, browser, site, "suspended@example.org")
    page = tab.open(f"/paper/{PAPER}")
    write(page.locator("#discussion > form.comment-form"), "Let me in", "Comment")
    error = page.locator("#discussion > form.comment-form .form-error")
    sync_api.expect(error).to_contain_text("a moderator suspended it (spam)")
    assert comment(page, "Let me in").count() == 0
    # Chromium logs every refused fetch as a console error: this one was meant to be refused.
    assert [e for e in tab.errors if "status of 403" in e] != []
    tab.errors[:] = [e for e in tab.errors if "status of 403" not in e]


def test_commenting_without_javascript_posts_and_comes_back(browser, site: Site, tabs: list[Tab]) -> None:
    tab = open_tab(tabs, browser, site, "plain@example.org", java_script_enabled=False)
    page = tab.open(f"/paper/{PAPER}")
    write(page.locator("#discussion > form.comment-form"), "Posted the old way", "Comment")
    page.wait_for_load_state("networkidle")
    assert page.url.startswith(f"{site.url}/paper/{PAPER}#comment-")
    posted = comment(page, "Posted the old way")
    sync_api.expect(posted).to_be_visible()
    posted.locator("summary", has_text="Edit").click()
    write(posted.locator("form.comment-edit"), "Posted the old way, edited", "Save")
    page.wait_for_load_state("networkidle")
    sync_api.expect(comment(page, "edited").locator(".comment-edited")).to_be_visible()
    tab.screenshot("discussion-without-js")
