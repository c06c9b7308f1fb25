"""Sign-in links without the web: addresses, where links lead, their states, and using them once."""

from __future__ import annotations

import mailbox
import re
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.sign_in import SignInLinks, normalise_email, safe_next
from papertide.accounts.tokens import LinkState, token_hash
from papertide.config import Settings, load_settings
from papertide.errors import Gone, InvalidInput, NotFound, TooManyRequests
from papertide.mail import Mailer
from papertide.store import PaperStore
from papertide.store.accounts.rate_limits import RateLimitStore
from papertide.store.accounts.store import AccountStore
from papertide.store.db.schema import login_tokens
from tests.clock import ControlledClock

LINK = re.compile(r"http://127\.0\.0\.1:8000/signin/([A-Za-z0-9_-]+)")


@pytest.fixture
def clock() -> ControlledClock:
    return ControlledClock()


@pytest.fixture
def settings(tmp_path) -> Settings:
    """No relay configured: messages go to the Maildir in the data directory."""
    return load_settings(data_dir=tmp_path)


@pytest.fixture
def accounts(store: PaperStore, clock: ControlledClock) -> AccountStore:
    return AccountStore(store.engine, clock)


@pytest.fixture
def links(settings: Settings, accounts: AccountStore, store: PaperStore, clock: ControlledClock) -> SignInLinks:
    limiter = RateLimiter(RateLimitStore(store.engine, clock))
    return SignInLinks(settings, accounts, limiter, Mailer.from_settings(settings))


def delivered(settings: Settings) -> list[EmailMessage]:
    """The messages in the Maildir, in no particular order (its file names do not sort by time)."""
    if not settings.mail_dir.exists():
        return []
    box = mailbox.Maildir(settings.mail_dir, create=False)
    return [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.iterkeys()]


def send_and_read(links: SignInLinks, settings: Settings, email: str, next_url: str | None = None) -> str:
    """Send a link to ``email`` and return the token of the message that arrived."""
    before = {token_in(message) for message in delivered(settings)}
    links.send(email, next_url, client=None)
    [token] = {token_in(message) for message in delivered(settings)} - before
    return token


def token_in(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = LINK.search(text)
    assert match, text
    return match.group(1)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("reader@example.org", "reader@example.org"),
        ("  Reader@Example.ORG ", "reader@example.org"),
        ("a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"),
        ("root@localhost", "root@localhost"),
    ],
)
def test_addresses_are_trimmed_and_lower_cased(value: str, expected: str) -> None:
    assert normalise_email(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "no-at-sign",
        "two@@example.org",
        "a@b@example.org",
        "with space@example.org",
        "a@example.org, b@example.org",
        "a@example.org\r\nBcc: victim@example.org",
        "<a@example.org>",
        "x" * 65 + "@example.org",
        "a@" + "d" * 260 + ".org",
    ],
)
def test_what_is_not_an_address_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(InvalidInput, match=r"^email: "):
        normalise_email(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/paper/2401.00001", "/paper/2401.00001"),
        ("/search?q=diffusion&mode=hybrid", "/search?q=diffusion&mode=hybrid"),
        (None, "/"),
        ("", "/"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/\t/evil.example", "/"),
        ("/%0a/evil.example", "/%0a/evil.example"),  # percent-escaped stays a path on this site
        ("evil.example", "/"),
        ("/signin", "/"),
        ("/signin/sometoken", "/"),
        ("/signout", "/"),
        ("/" + "a" * 3000, "/"),
    ],
)
def test_next_is_a_path_on_this_site_or_the_home_page(value: str | None, expected: str) -> None:
    assert safe_next(value) == expected


def test_a_link_is_mailed_and_only_its_digest_is_stored(links, settings, store) -> None:
    sent = links.send(" Reader@Example.org", "/paper/x", client="192.0.2.1")
    assert sent.email == "reader@example.org"
    [message] = delivered(settings)
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "Your papertide sign-in link"
    token = token_in(message)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert f"/signin/{token}" in html
    for part in (message.get_body(preferencelist=("plain",)).get_content(), html):
        assert "15 minutes" in part
        assert "until 09:15 UTC" in part
    with store.engine.connect() as conn:
        rows = conn.execute(select(login_tokens)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == token_hash(token)
    assert token not in repr(tuple(rows[0]))
    assert rows[0].next_url == "/paper/x"


def test_a_foreign_next_is_stored_as_the_home_page(links, settings) -> None:
    token = send_and_read(links, settings, "reader@example.org", "https://evil.example/")
    assert links.redeem(token)[1] == "/"


def test_a_link_signs_in_once_and_creates_the_account_on_first_use(links, settings, accounts) -> None:
    token = send_and_read(links, settings, "new@example.org", "/search?q=x")
    assert accounts.user_by_email("new@example.org") is None
    assert links.check(token).state == LinkState.USABLE
    assert links.check(token).state == LinkState.USABLE  # looking uses nothing up
    user, next_url = links.redeem(token)
    assert (user.email, next_url) == ("new@example.org", "/search?q=x")
    assert links.check(token).state == LinkState.USED
    with pytest.raises(Gone, match="already been used"):
        links.redeem(token)
    second, _ = links.redeem(send_and_read(links, settings, "NEW@example.org"))
    assert second == user  # the same account


def test_a_link_expires(links, settings, clock) -> None:
    token = send_and_read(links, settings, "late@example.org")
    clock.advance(minutes=14, seconds=59)
    assert links.check(token).state == LinkState.USABLE
    clock.advance(seconds=1)
    check = links.check(token)
    assert (check.state, check.email) == (LinkState.EXPIRED, "late@example.org")
    with pytest.raises(Gone, match="expired: a link works for 15 minutes"):
        links.redeem(token)


def test_an_unknown_link(links) -> None:
    assert links.check("not-a-token").state == LinkState.UNKNOWN
    assert links.check("not-a-token").email is None
    with pytest.raises(NotFound, match="not a sign-in link we know"):
        links.redeem("not-a-token")


def test_links_a_day_past_expiry_are_pruned(links, settings, clock) -> None:
    old = send_and_read(links, settings, "old@example.org")
    clock.advance(hours=23)
    links.send("other@example.org", None, client=None)
    assert links.check(old).state == LinkState.EXPIRED  # kept a day, to say "expired"
    clock.advance(hours=2)
    links.send("other@example.org", None, client=None)
    assert links.check(old).state == LinkState.UNKNOWN


def test_two_racing_uses_of_one_link_sign_in_once(links, settings) -> None:
    token = send_and_read(links, settings, "race@example.org")
    start = threading.Barrier(4)
    outcomes: list[str] = []

    def use() -> None:
        start.wait()
        try:
            links.redeem(token)
            outcomes.append("signed in")
        except Gone:
            outcomes.append("refused")

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "refused", "refused", "signed in"]


def test_sending_is_rate_limited_before_anything_is_stored_or_sent(links, settings, store) -> None:
    cap = settings.mail_limit_per_address
    for n in range(cap):  # from as many clients: only the address's own limit applies
        links.send("busy@example.org", None, client=f"192.0.2.{n}")
    with pytest.raises(TooManyRequests, match=f"This address has been sent {cap} messages in the past hour"):
        links.send("Busy@example.org", None, client="198.51.100.1")
    assert len(delivered(settings)) == cap
    with store.engine.connect() as conn:
        assert len(conn.execute(select(login_tokens)).all()) == cap


def test_a_new_session_clears_the_users_expired_ones(accounts, store, clock) -> None:
    from papertide.accounts.sessions import Sessions
    from papertide.store.db.schema import sessions as session_rows

    sessions = Sessions(accounts, days=30)
    user, _ = accounts.get_or_create_user("returning@example.org")
    other, _ = accounts.get_or_create_user("other@example.org")
    old = sessions.start(user)
    sessions.start(other)
    clock.advance(days=31)
    new = sessions.start(user)
    assert (sessions.user(old), sessions.user(new)) == (None, user)
    with store.engine.connect() as conn:
        rows = conn.execute(select(session_rows.c.user_pk)).scalars().all()
    assert sorted(rows) == sorted([user.pk, other.pk])  # the old one is gone; another user's stays
