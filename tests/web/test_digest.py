"""Digest subscriptions through the app: double opt-in with the link read from a real SMTP server,
the manage page, alerts, one-click unsubscribe without cookies, the JSON API, and every refusal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from papertide.config import Settings
from papertide.digest.links import MANAGE, UNSUBSCRIBE
from papertide.digest.preferences import Preferences
from papertide.digest.schedule import due_period, latest_period
from papertide.ingest.pipeline import ingest
from papertide.store import PaperStore
from papertide.store.digest.subscriptions import Subscription
from papertide.web.app import create_app
from tests.clock import ControlledClock
from tests.digest.conftest import paper
from tests.web.signin import csrf_token, sign_in

CONFIRM_PATH = re.compile(r"http://testserver(/digest/confirm/[A-Za-z0-9_-]+)")
MANAGE_PATH = re.compile(r"http://testserver(/digest/manage/[0-9]+\.[A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture
def app(mail_settings: Settings, own_store: PaperStore, clock: ControlledClock) -> FastAPI:
    settings = mail_settings.model_copy(update={"base_url": "http://testserver"})
    return create_app(settings, own_store, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def digest_of(client: TestClient):
    return client.app.state.digest


def subscription(client: TestClient, email: str) -> Subscription:
    found = digest_of(client).subscriptions.store.by_email(email)
    assert found is not None
    return found


def plain(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def ask(client: TestClient, email: str, **fields: str):
    return client.post(
        "/digest/subscribe", data={"email": email, "csrf_token": csrf_token(client, "/digest"), **fields}
    )


def press(client: TestClient, path: str, **fields: str):
    """Press a page's button: a form POST with the page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_token(client, path), **fields}, follow_redirects=False)


def confirmed(client: TestClient, smtp_server, email: str, **fields: str) -> str:
    """Subscribe ``email`` and follow the mailed link; the manage page's path."""
    before = len(smtp_server.messages)
    assert ask(client, email, **fields).status_code == 202
    link = CONFIRM_PATH.search(plain(smtp_server.wait_for(before + 1)[before])).group(1)
    done = press(client, link)
    assert done.status_code == 303
    return done.headers["location"].split("?")[0]


# -- double opt-in -------------------------------------------------------------------------------


def test_subscribe_confirm_with_the_mailed_link(client: TestClient, smtp_server, clock: ControlledClock) -> None:
    page = ask(client, "New.Reader@Example.org", categories="cs.lg, math.*", timezone="Europe/Berlin")
    assert page.status_code == 202 and "Check your inbox" in page.text and "new.reader@example.org" in page.text

    [message] = smtp_server.wait_for(1)
    assert message["To"] == "new.reader@example.org"
    assert message["Subject"] == "Confirm your papertide digest"
    assert "List-Unsubscribe" not in message  # not a digest: nothing to unsubscribe from yet
    link = CONFIRM_PATH.search(plain(message)).group(1)
    assert f"http://testserver{link}" in message.get_body(preferencelist=("html",)).get_content()
    assert "7 days" in plain(message)

    pending = subscription(client, "new.reader@example.org")
    assert pending.status == "pending"
    assert due_period(pending, clock.now.replace(hour=23)) is None  # nothing is sent before confirmation
    assert Preferences.from_dict(pending.preferences).categories == ("cs.LG", "math.*")
    assert Preferences.from_dict(pending.preferences).timezone == "Europe/Berlin"

    for _ in range(2):  # a mail scanner opening the link confirms nothing
        shown = client.get(link)
        assert shown.status_code == 200 and ">Confirm my subscription</button>" in shown.text
    assert subscription(client, "new.reader@example.org").status == "pending"

    done = press(client, link)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=confirmed")
    manage = client.get(done.headers["location"])
    assert manage.status_code == 200 and "Your subscription is confirmed" in manage.text
    active = subscription(client, "new.reader@example.org")
    assert active.status == "active" and active.confirmed_at == clock.now

    again = press(client, link)  # the link works once
    assert again.status_code == 410 and "already been used" in again.text


def test_an_expired_link_confirms_nothing(client: TestClient, smtp_server, clock: ControlledClock) -> None:
    ask(client, "late@example.org")
    link = CONFIRM_PATH.search(plain(smtp_server.wait_for(1)[0])).group(1)
    clock.advance(days=7, seconds=1)
    assert client.get(link).status_code == 410
    refused = press(client, link)
    assert refused.status_code == 410 and "expired" in refused.text
    assert subscription(client, "late@example.org").status == "pending"


@pytest.mark.parametrize("token", ["forged", "A" * 43, "x" * 200])
def test_an_unknown_or_forged_link_is_not_found(client: TestClient, smtp_server, token: str) -> None:
    ask(client, "someone@example.org")
    smtp_server.wait_for(1)
    assert client.get(f"/digest/confirm/{token}").status_code == 404
    assert press(client, f"/digest/confirm/{token}").status_code == 404
    assert subscription(client, "someone@example.org").status == "pending"


def test_a_confirmation_without_the_csrf_token_is_refused(client: TestClient, smtp_server) -> None:
    ask(client, "csrf@example.org")
    link = CONFIRM_PATH.search(plain(smtp_server.wait_for(1)[0])).group(1)
    assert client.post(link, follow_redirects=False).status_code == 403
    assert subscription(client, "csrf@example.org").status == "pending"


def test_asking_again_for_a_subscribed_address_mails_its_manage_link(client: TestClient, smtp_server) -> None:
    manage = confirmed(client, smtp_server, "twice@example.org")
    page = ask(client, "twice@example.org", categories="q-bio.*")  # the same answer as for a new address
    assert page.status_code == 202 and "Check your inbox" in page.text
    message = smtp_server.wait_for(2)[1]
    assert message["Subject"] == "Your papertide digest settings"
    assert MANAGE_PATH.search(plain(message)).group(1) == manage
    assert Preferences.from_dict(subscription(client, "twice@example.org").preferences).categories == ()


@pytest.mark.parametrize(
    ("email", "named"),
    [
        ("", "email: enter"),
        ("not-an-address", "is not an email address"),
        ("a@b.c\r\nBcc: victim@example.org", "is not an email address"),
        ("reader@example.org, other@example.org", "is not an email address"),
        ("x" * 250 + "@example.org", "is not an email address"),
    ],
)
def test_a_bad_address_is_refused_and_nothing_is_sent(client: TestClient, smtp_server, email: str, named: str) -> None:
    page = ask(client, email)
    assert page.status_code == 400 and named in page.text
    assert smtp_server.messages == []
    assert digest_of(client).subscriptions.store.active_after() == []


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone: &#39;Mars/Olympus&#39; is not an IANA time zone"),
        ({"categories": "cs.LG, no such thing!"}, "categories: &#39;thing!&#39;"),
        ({"hour": "31"}, "hour: must be from 0 to 23"),
    ],
)
def test_bad_preferences_when_subscribing_send_nothing(
    client: TestClient, smtp_server, fields: dict, named: str
) -> None:
    page = ask(client, "picky@example.org", **fields)
    assert page.status_code == 400 and named in page.text
    assert smtp_server.messages == []
    assert digest_of(client).subscriptions.store.by_email("picky@example.org") is None


def test_subscribing_is_rate_limited_like_sign_in(client: TestClient, smtp_server, mail_settings: Settings) -> None:
    burst = mail_settings.mail_burst_per_client_address  # one client, one address: a burst, then a cool-down
    for _ in range(burst):
        assert ask(client, "flood@example.org").status_code == 202
    refused = ask(client, "flood@example.org")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(smtp_server.wait_for(burst)) == burst


def test_a_signed_in_reader_subscribes_in_one_click(client: TestClient, smtp_server) -> None:
    user = sign_in(client, "member@example.org")
    form = client.get("/digest")
    assert "Subscribe in one click" in form.text
    done = press(client, "/digest/subscribe", email=user.email)
    assert done.status_code == 303 and "/digest/manage/" in done.headers["location"]
    mine = subscription(client, "member@example.org")
    assert mine.status == "active" and mine.user_pk == user.pk
    assert smtp_server.messages == []  # the address is confirmed already: no mail
    assert client.get("/digest", follow_redirects=False).headers["location"].startswith("/digest/manage/")


# -- managing ------------------------------------------------------------------------------------


def test_preferences_are_saved_from_the_manage_page(client: TestClient, smtp_server) -> None:
    manage = confirmed(client, smtp_server, "prefs@example.org")
    saved = press(
        client,
        manage,
        frequency="weekly",
        weekday="4",
        hour="18",
        timezone="America/New_York",
        categories="cs.CL, cs.LG",
        exclude="cs.CR",
        max_papers="20",
        sections_shown="1",
        sections="trending",
        paused_until="2026-04-01",
    )
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    preferences = Preferences.from_dict(subscription(client, "prefs@example.org").preferences)
    assert (preferences.frequency.value, preferences.weekday, preferences.hour) == ("weekly", 4, 18)
    assert preferences.timezone == "America/New_York" and preferences.categories == ("cs.CL", "cs.LG")
    assert preferences.max_papers == 20 and {s.value for s in preferences.sections} == {"trending"}
    page = client.get(manage)
    assert "every Friday at 18:00 (America/New_York)" in page.text
    assert "Paused: the next digest comes on or after 1 Apr 2026" in page.text


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"timezone": "Europe/Atlantis"}, "timezone: &#39;Europe/Atlantis&#39; is not an IANA time zone"),
        ({"hour": "24"}, "hour: must be from 0 to 23, got 24"),
        ({"max_papers": "500"}, "max_papers: must be from 1 to 50, got 500"),
        ({"frequency": "hourly"}, "frequency: &#39;hourly&#39; is not one of"),
        ({"weekday": "8"}, "weekday: must be from 0 to 6"),
        ({"paused_until": "soon"}, "paused_until: &#39;soon&#39; is not a date"),
        ({"sections_shown": "1"}, "sections: keep at least one section"),
        ({"categories": ",".join(f"cs.X{i}" for i in range(40))}, "categories: at most 32 categories, got 40"),
    ],
)
def test_each_bad_preference_is_named_and_changes_nothing(
    client: TestClient, smtp_server, fields: dict, named: str
) -> None:
    manage = confirmed(client, smtp_server, "careful@example.org")
    before = subscription(client, "careful@example.org").preferences
    refused = press(client, manage, **{"hour": "7", **fields})
    assert refused.status_code == 400 and named in refused.text
    assert subscription(client, "careful@example.org").preferences == before


def test_alerts_are_added_validated_listed_with_feeds_and_removed(client: TestClient, smtp_server) -> None:
    manage = confirmed(client, smtp_server, "alerts@example.org")
    assert press(client, f"{manage}/alerts", kind="search", value='"graph neural" cat:cs.LG').status_code == 303
    assert press(client, f"{manage}/alerts", kind="author", value="Zoë Ørsted").status_code == 303
    page = client.get(manage).text
    assert "&#34;graph neural&#34; cat:cs.LG" in page and "Zoë Ørsted" in page
    assert "/feeds/search.atom?q=%22graph+neural%22+cat%3Acs.LG&amp;mode=lexical" in page
    assert 'rel="alternate" type="application/atom+xml"' in page

    bad = press(client, f"{manage}/alerts", kind="search", value="year:20x4")
    assert bad.status_code == 400 and "query: &#39;year:20x4&#39;" in bad.text
    injected = press(client, f"{manage}/alerts", kind="author", value="Eve\r\nBcc: victim@example.org")
    assert injected.status_code == 400 and "author: contains a line break" in injected.text
    duplicate = press(client, f"{manage}/alerts", kind="author", value="Zoë Ørsted")
    assert duplicate.status_code == 409

    mine = subscription(client, "alerts@example.org")
    first = digest_of(client).subscriptions.alerts(mine)[0]
    assert press(client, f"{manage}/alerts/{first.pk}/delete").status_code == 303
    assert [a.value for a in digest_of(client).subscriptions.alerts(mine)] == ["Zoë Ørsted"]
    assert press(client, f"{manage}/alerts/{first.pk}/delete").status_code == 404


def test_a_forged_or_revoked_manage_link_is_refused(client: TestClient, smtp_server) -> None:
    manage = confirmed(client, smtp_server, "revoke@example.org")
    pk = manage.rsplit("/", 1)[1].split(".")[0]
    assert client.get(f"/digest/manage/{pk}.forged").status_code == 403
    replaced = press(client, f"{manage}/links")
    assert replaced.status_code == 303
    assert client.get(manage).status_code == 403  # the old link stopped working
    assert client.get(replaced.headers["location"]).status_code == 200


# -- unsubscribing -------------------------------------------------------------------------------


def test_one_click_unsubscribe_needs_no_cookie_and_takes_effect_at_once(
    app: FastAPI, client: TestClient, smtp_server, clock: ControlledClock
) -> None:
    confirmed(client, smtp_server, "leaving@example.org")
    mine = subscription(client, "leaving@example.org")
    clock.advance(days=1)
    assert due_period(mine, clock.now) is not None
    token = digest_of(client).mail.links.token(UNSUBSCRIBE, mine)

    mail_client = TestClient(app)  # a mail provider's server: no cookies, no CSRF token, no session
    shown = mail_client.get(f"/digest/unsubscribe/{token}")
    assert shown.status_code == 200 and ">Unsubscribe</button>" in shown.text
    assert subscription(client, "leaving@example.org").status == "active"  # looking changes nothing

    done = mail_client.post(
        f"/digest/unsubscribe/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "You are unsubscribed" in done.text
    assert not mail_client.cookies.get("papertide_session")
    gone = subscription(client, "leaving@example.org")
    assert gone.status == "unsubscribed" and gone.unsubscribed_at == clock.now
    assert due_period(gone, clock.now) is None  # the next send skips it
    assert mail_client.post(f"/digest/unsubscribe/{token}").status_code == 200  # again: still unsubscribed

    for forged in (f"{mine.pk}.forged", digest_of(client).mail.links.token(MANAGE, mine)):
        assert mail_client.post(f"/digest/unsubscribe/{forged}").status_code == 403


def test_an_unsubscribed_reader_can_come_back_from_the_manage_page(client: TestClient, smtp_server) -> None:
    manage = confirmed(client, smtp_server, "back@example.org")
    token = digest_of(client).mail.links.token(UNSUBSCRIBE, subscription(client, "back@example.org"))
    client.post(f"/digest/unsubscribe/{token}")
    assert "Subscribe again" in client.get(manage).text
    assert press(client, f"{manage}/resubscribe").status_code == 303
    assert subscription(client, "back@example.org").status == "active"


# -- the JSON API --------------------------------------------------------------------------------


def test_the_api_subscribes_an_address_by_confirmation_mail(client: TestClient, smtp_server) -> None:
    answer = client.post("/api/v1/digest/subscribe", json={"email": "api@example.org", "preferences": {"hour": 6}})
    assert answer.status_code == 202 and answer.json() == {"status": "confirmation_sent", "email": "api@example.org"}
    assert CONFIRM_PATH.search(plain(smtp_server.wait_for(1)[0]))
    bad = client.post("/api/v1/digest/subscribe", json={"email": "api2@example.org", "preferences": {"hour": 99}})
    # The schema states the range (issue 21), so validation refuses it with a 422 naming the field.
    assert bad.status_code == 422
    assert bad.json()["detail"] == "body.preferences.hour: must be less than or equal to 23, got 99"
    assert bad.headers["content-type"] == "application/problem+json"


def test_the_api_for_an_account(client: TestClient, smtp_server) -> None:
    user = sign_in(client, "token.user@example.org")
    headers = {"X-CSRF-Token": csrf_token(client, "/digest")}
    assert client.get("/api/v1/digest/subscription").status_code == 404
    made = client.post("/api/v1/digest/subscribe", json={}, headers=headers)
    assert made.status_code == 200 and made.json() == {"status": "active", "email": user.email}
    changed = client.patch("/api/v1/digest/subscription", json={"timezone": "Asia/Tokyo", "hour": 7}, headers=headers)
    assert changed.status_code == 200 and changed.json()["schedule"] == "every weekday at 07:00 (Asia/Tokyo)"
    refused = client.patch("/api/v1/digest/subscription", json={"timezone": "Asia/Atlantis"}, headers=headers)
    assert refused.status_code == 422  # the schema lists the zones (issue 21)
    assert refused.json()["detail"] == (
        "body.timezone: must be an IANA time zone name such as Europe/Berlin, got 'Asia/Atlantis'"
    )
    added = client.post("/api/v1/digest/subscription/alerts", json={"kind": "author", "value": "Ada"}, headers=headers)
    assert added.status_code == 201
    mine = client.get("/api/v1/digest/subscription").json()
    assert [a["value"] for a in mine["alerts"]] == ["Ada"] and mine["manage_url"].startswith("http://testserver/")
    assert client.get("/api/v1/digest/subscription/preview").status_code == 200
    alert_id = added.json()["id"]
    assert client.delete(f"/api/v1/digest/subscription/alerts/{alert_id}", headers=headers).status_code == 204
    assert client.delete("/api/v1/digest/subscription", headers=headers).json()["status"] == "unsubscribed"
    assert smtp_server.messages == []


def test_api_writes_need_an_account_and_the_csrf_token(client: TestClient) -> None:
    assert client.patch("/api/v1/digest/subscription", json={"hour": 7}).status_code == 401
    sign_in(client, "csrf.api@example.org")
    client.post("/api/v1/digest/subscribe", json={}, headers={"X-CSRF-Token": csrf_token(client, "/digest")})
    assert client.patch("/api/v1/digest/subscription", json={"hour": 7}).status_code == 403


# -- where subscribing starts --------------------------------------------------------------------


def test_the_home_page_offers_the_digest(client: TestClient, smtp_server) -> None:
    home = client.get("/")
    assert 'action="/digest/subscribe"' in home.text and "Send me the digest" in home.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', home.text).group(1)
    sent = client.post("/digest/subscribe", data={"email": "from.home@example.org", "csrf_token": token})
    assert sent.status_code == 202
    assert smtp_server.wait_for(1)[0]["To"] == "from.home@example.org"


def test_the_account_page_subscribes_in_one_click_then_links_the_settings(client: TestClient, smtp_server) -> None:
    sign_in(client, "account.page@example.org")
    page = client.get("/account").text
    assert "Daily digest" in page and "Subscribe in one click" in page
    press(client, "/digest/subscribe", email="account.page@example.org")
    page = client.get("/account").text
    assert "It comes every weekday at 08:00 (UTC)." in page
    manage = re.search(r'href="(/digest/manage/[0-9]+\.[A-Za-z0-9_-]+)"', page)
    assert manage and client.get(manage.group(1)).status_code == 200
    assert smtp_server.messages == []


def test_digest_tokens_stay_out_of_the_access_log(client: TestClient, smtp_server, caplog) -> None:
    with caplog.at_level("INFO", logger="papertide.access"):
        manage = confirmed(client, smtp_server, "private@example.org")
        client.get(f"{manage}/preview")
    token = manage.rsplit("/", 1)[1]
    logged = [record.getMessage() for record in caplog.records if record.name == "papertide.access"]
    assert any(" /digest/manage/<token>/preview " in line for line in logged)  # "GET <path> <status> <ms>"
    assert any(" /digest/confirm/<token> " in line for line in logged)
    assert not any(token in line for line in logged)


# -- the account's data ----------------------------------------------------------------------------


def test_a_subscription_by_address_joins_the_account_made_later_and_leaves_with_it(
    client: TestClient, smtp_server
) -> None:
    manage = confirmed(client, smtp_server, "early@example.org", categories="cs.LG")
    press(client, f"{manage}/alerts", kind="author", value="Ada Lovelace")
    assert subscription(client, "early@example.org").user_pk is None  # no account yet
    user = sign_in(client, "early@example.org")
    assert "It comes every weekday" in client.get("/account").text
    assert subscription(client, "early@example.org").user_pk == user.pk  # tied to it now

    exported = client.get("/account/export").json()["digest"]
    assert exported["status"] == "active" and exported["preferences"]["categories"] == ["cs.LG"]
    assert [(a["kind"], a["value"]) for a in exported["alerts"]] == [("author", "Ada Lovelace")]

    gone = press(client, "/account/delete", confirm="early@example.org")
    assert gone.status_code == 200
    assert digest_of(client).subscriptions.store.by_email("early@example.org") is None


# -- the preview ---------------------------------------------------------------------------------


def test_the_preview_shows_the_next_delivery_not_the_one_already_sent(
    client: TestClient, clock: ControlledClock, own_store: PaperStore, smtp_server
) -> None:
    clock.now = datetime.now(UTC)  # the store's own papers arrive on the system clock
    manage = confirmed(client, smtp_server, "next@example.org")
    reader = subscription(client, "next@example.org")
    preferences = Preferences.parse({"frequency": "daily", "hour": (clock.now - timedelta(hours=1)).hour})
    store = digest_of(client).subscriptions.store
    store.set_preferences(reader.pk, preferences.to_dict())
    latest = latest_period(preferences, clock.now)
    store.record(reader.pk, latest.key, latest.cutoff, [])  # the latest delivery went (empty, say)
    ingest([paper(99999, "Arrived After The Last Digest", submitted=clock.now - timedelta(days=1))], own_store)

    page = client.get(f"{manage}/preview").text
    assert "Arrived After The Last Digest" in page and "What the next delivery" in page
    assert '<a class="author-link" href="/author/Ada%20Lovelace">Ada Lovelace</a>' in page  # author pages (issue 24)
    sign_in(client, "next@example.org")
    preview = client.get("/api/v1/digest/subscription/preview").json()
    assert preview["period"] == (latest.day + timedelta(days=1)).isoformat() and preview["not_sent"] is None
    assert [item["paper"]["title"] for item in preview["sections"][0]["items"]] == ["Arrived After The Last Digest"]

    # Paused: the first delivery after the pause, and why it would be empty as things stand.
    until = latest.day + timedelta(days=5)
    store.set_preferences(reader.pk, Preferences.parse(preferences.to_dict() | {"paused_until": until}).to_dict())
    sent = own_store.get(paper(99999, "", submitted=clock.now).id)
    tomorrow = latest.day + timedelta(days=1)
    store.record(reader.pk, tomorrow.isoformat(), datetime.now(UTC), [sent.pk])  # say it went before the pause
    page = client.get(f"{manage}/preview").text
    assert "Nothing new yet" in page and "the one new paper is not in their categories" in page
    assert "The digest is paused until" in page
    preview = client.get("/api/v1/digest/subscription/preview").json()
    assert preview["period"] == until.isoformat() and preview["not_sent"].startswith("nothing new for them since")
