"""/admin in headless Chromium against the real server: an admin finds an account, suspends it and lifts the
suspension, revokes its API token and deletes it, each step in the log; anyone else gets a 404."""

from __future__ import annotations

from playwright import sync_api

from tests.web.browser import BROWSER_TESTS, Site, open_tab
from tests.web.test_browser_library import site  # noqa: F401 (a fixture)

pytestmark = BROWSER_TESTS


def test_an_admin_suspends_revokes_and_deletes_and_others_find_no_page(browser, site: Site, tabs) -> None:  # noqa: F811
    services = site.app.state.services
    target, _ = services.accounts.get_or_create_user("spammer@example.org")
    services.accounts.add_api_token(target.pk, "scraper", "0" * 64, "read")
    services.accounts.get_or_create_user("root@example.org")
    services.discussion.roles.grant("admin", "root@example.org")

    member = open_tab(tabs, browser, site, "member@example.org")
    answer = member.page.goto(site.url + "/admin")
    assert answer is not None and answer.status == 404
    member.errors.clear()  # Chromium logs the 404 itself as a console error

    admin = open_tab(tabs, browser, site, "root@example.org")
    page = admin.open("/admin")
    sync_api.expect(page.locator("#admin-papers")).to_have_text(str(services.store.count()))
    page.get_by_label("Email address").fill("spammer@example.org")
    page.get_by_role("button", name="Find").click()
    account = page.locator("#admin-account")
    sync_api.expect(account).to_contain_text("spammer@example.org")

    account.get_by_label("Why suspend spammer@example.org").fill("posts adverts")
    account.get_by_role("button", name="Suspend the account").click()
    sync_api.expect(page.locator(".admin-suspended")).to_have_text("Suspended: posts adverts")
    page.get_by_role("button", name="Lift the suspension").click()
    sync_api.expect(page.locator(".admin-suspended")).to_have_count(0)

    page.get_by_role("button", name="Revoke scraper").click()
    sync_api.expect(page.locator("#admin-account")).to_contain_text("No API tokens.")
    assert services.accounts.api_tokens(target.pk) == []

    page.get_by_label("Type spammer@example.org to confirm").fill("spammer@example.org")
    page.get_by_role("button", name="Delete the account").click()
    page.wait_for_url(site.url + "/admin")
    assert services.accounts.user(target.pk) is None
    log = page.locator("table.moderation-log tbody tr")
    sync_api.expect(log.first).to_contain_text("delete")
    actions = [row.split("\t")[2] for row in log.all_inner_texts()][:4]
    assert actions == ["delete", "revoke", "unsuspend", "suspend"]
    admin.screenshot("admin")
