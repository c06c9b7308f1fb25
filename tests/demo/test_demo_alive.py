"""The demo is alive on whatever day it is loaded, years after its corpus, and shows no date in the future.

Each date loads the demo under a controlled clock, replays its activity, indexes it (with the
shipped vectors) and looks at it the way a newcomer does: the home page, "New", "For you" after
three saves, a new subscriber's digest (preview and sent), and every page and feed for dates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from papertide.config import Settings, load_settings
from papertide.digest.preferences import Preferences
from papertide.digest.schedule import preview_period
from papertide.digest.send import mailer_relay
from papertide.ingest.demo import load_demo, replay_demo
from papertide.mail import Mailer
from papertide.search.upkeep.update import update_indexes
from papertide.services import Services
from papertide.store import Stores, open_store
from papertide.store.digest.subscriptions import SubscriptionStore
from papertide.store.papers.store import PaperStore
from papertide.web.app import create_app
from papertide.worker.runner import Worker
from tests.clock import ControlledClock
from tests.mail_server import MailServer
from tests.postgres import fresh_database_url
from tests.web.signin import sign_in

# Today, a Sunday years after the corpus, and a Monday morning before a weekday digest is due.
DATES = [
    datetime(2026, 12, 7, 16, 30, tzinfo=UTC),
    datetime(2031, 6, 1, 12, 0, tzinfo=UTC),
    datetime(2029, 2, 5, 6, 15, tzinfo=UTC),
]
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAY = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})")
_RFC822 = re.compile(r"\b(\d{1,2}) (" + "|".join(_MONTHS) + r") (\d{4}) (\d{2}):(\d{2})")


@dataclass
class Demo:
    settings: Settings
    clock: ControlledClock
    store: PaperStore
    client: TestClient
    mail: MailServer


@pytest.fixture(scope="module", params=DATES, ids=[d.date().isoformat() for d in DATES])
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    directory = tmp_path_factory.mktemp("demo")
    clock = ControlledClock(request.param)
    with MailServer() as mail:
        settings = load_settings(
            data_dir=directory,
            database_url=fresh_database_url(request, directory),
            smtp_host=mail.host,
            smtp_port=mail.port,
            smtp_security="none",
        )
        store = PaperStore(open_store(settings.resolved_database_url).engine, clock)
        load_demo(store)
        replay_demo(Stores.beside(store), settings)
        update_indexes(store, settings)
        with TestClient(create_app(settings, store, clock=clock)) as client:
            yield Demo(settings, clock, store, client, mail)
        store.engine.dispose()


def cards(html: str) -> list[str]:
    return re.findall(r'<a href="/paper/([^"]+)" data-math>', html)


def test_home_page_trends_at_least_twenty_papers_each_saying_why(demo: Demo) -> None:
    html = demo.client.get("/").text
    assert re.search(r'aria-current="page">This week<', html)  # the default window
    api = demo.client.get("/api/v1/trending", params={"limit": 50}).json()
    assert api["window"] == "week" and len(api["papers"]) >= 20
    assert all(re.fullmatch(r"\+\d+ .* this week", item["reason"]["text"]) for item in api["papers"])
    assert len(cards(html)) >= 20
    assert len(re.findall(r'class="trend-reason">.*?\+\d+ [^<]* this week</p>', html)) >= 20
    assert 'id="demo-note"' in html and "replayed relative to" in html


def test_new_shows_this_weeks_arrivals(demo: Demo) -> None:
    html = demo.client.get("/new").text
    listed = cards(html)
    assert len(listed) >= 10
    today = demo.clock().date()
    assert f"– {today.day} {_MONTHS[today.month - 1]} {today.year}" in html  # the window ends today
    assert 'id="demo-note"' in html


def test_for_you_recommends_after_three_saves_falling_back_to_a_wider_window(demo: Demo) -> None:
    reader = sign_in(demo.client, f"newcomer-{demo.clock().date()}@example.org")
    services = demo.client.app.state.services
    newest = cards(demo.client.get("/new").text)[:3]
    for paper_id in newest:
        services.library.collections.save(reader, demo.store.get(paper_id))
    found = demo.client.get("/api/v1/for-you").json()
    assert found["based_on"] == 3
    assert found["results"], found
    # "How new" counts submission dates, which stay true: the corpus's newest month holds one paper,
    # saved above, so the default falls back to the next wider window, and says so.
    assert (found["fallback_from"], found["window"]) == ("month", "year")
    html = demo.client.get("/for-you").text
    assert "Similar to" in html
    assert "Nothing from the past month is near what you saved and upvoted yet" in html
    asked = demo.client.get("/api/v1/for-you", params={"window": "month"}).json()
    assert (asked["window"], asked["fallback_from"], asked["results"]) == ("month", None, [])  # asked for: kept
    empty = re.sub(r"\s+", " ", demo.client.get("/for-you", params={"window": "month"}).text)
    assert "Recommendations need an up-to-date search index" in empty and "<code>papertide index</code>" in empty


def subscribe(demo: Demo, email: str) -> None:
    subscriptions = SubscriptionStore(demo.store.engine, demo.clock)
    subscription = subscriptions.get_or_create(email, Preferences().to_dict(), "nonce")
    subscriptions.activate(subscription.pk)


def test_a_new_subscriber_gets_a_digest_with_content(demo: Demo) -> None:
    email = f"subscriber-{demo.clock().date()}@example.org"
    subscribe(demo, email)
    services = Services(demo.settings, demo.store, clock=demo.clock)
    digests = services.digests
    subscription = digests.subscriptions.by_email(email)
    period = preview_period(Preferences.from_dict(subscription.preferences), demo.clock())
    digest = digests.composer.compose(subscription, period)
    assert digest is not None and digest.count >= 1  # the preview

    mailer = Mailer.from_settings(demo.settings)
    worker = Worker(services, digests, lambda: mailer_relay(mailer))
    enqueued, delivered = worker.send_now(to=email)
    assert delivered.sent == 1, (enqueued, delivered)
    assert any(email in message.envelope_to for message in demo.mail.wait_for(1))


def test_a_second_load_refreshes_without_duplicating(demo: Demo) -> None:
    from sqlalchemy import func, select

    from papertide.store.db.schema import paper_signals, users, votes

    def counts() -> tuple[int, int, int]:
        with demo.store.engine.connect() as conn:
            return tuple(
                conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (paper_signals, votes, users)
            )

    before = counts()
    replay_demo(Stores.beside(demo.store), demo.settings)
    assert counts() == before


def _future_dates(text: str, now: datetime) -> list[str]:
    found = []
    for day, month, year in _DAY.findall(text):
        if date(int(year), _MONTHS.index(month) + 1, int(day)) > now.date():
            found.append(f"{day} {month} {year}")
    for year, month, day, hour, minute in _ISO.findall(text):
        if datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=UTC) > now:
            found.append(f"{year}-{month}-{day}T{hour}:{minute}")
    return found


def test_no_page_or_feed_shows_a_date_in_the_future(demo: Demo) -> None:
    pages = ["/", "/?window=day", "/?window=month", "/new", "/new?window=day", "/new?window=month", "/for-you",
             "/feeds/new.atom", "/feeds/new.rss", "/feeds/trending.atom", "/api/v1/trending",
             "/api/v1/papers"]  # fmt: skip
    newest = cards(demo.client.get("/new").text)[:5]
    pages += [f"/paper/{paper_id}" for paper_id in newest]
    for path in pages:
        response = demo.client.get(path)
        assert response.status_code == 200, path
        assert _future_dates(response.text, demo.clock()) == [], path
