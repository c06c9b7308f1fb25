"""Passwordless sign-in: a link mailed to the address, good once, for ``sign_in_link_minutes``.

The link's token is random and stored only as a digest. Following the link (a GET) changes
nothing, so mail scanners that fetch links do not use them up; the page it opens asks for one
press of a button, and that POST uses the token. The account is created on first sign-in.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from papertide.accounts.rate_limits import RateLimiter, mail_limits
from papertide.accounts.tokens import LinkState, new_token, token_hash
from papertide.config import Settings
from papertide.errors import Forbidden, Gone, InvalidInput, NotFound, PapertideError
from papertide.mail import Mailer, compose
from papertide.store.accounts.store import AccountStore, User

# Liberal on purpose (the mail relay is the real judge), but nothing that could split an address
# list or a header: no spaces, commas, semicolons, angle brackets, quotes or control characters.
_EMAIL = re.compile(r"[^@\s<>,;:\"()\[\]\\]{1,64}@[^@\s<>,;:\"()\[\]\\]+")
_MAX_EMAIL = 254
_MAX_NEXT = 2000
_SIGN_IN_PATHS = ("/signin", "/signout")

_mail_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def normalise_email(value: str) -> str:
    """The address as accounts know it (lower-cased), or InvalidInput naming the problem."""
    email = value.strip()
    if not email:
        raise InvalidInput("email: enter the email address to send the sign-in link to")
    if len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email):
        shown = email if len(email) <= 80 else email[:80] + "…"
        raise InvalidInput(f"email: {shown!r} is not an email address (expected something like name@example.org)")
    return email.lower()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site, else ``/`` (no redirects to other sites)."""
    if (
        not value
        or len(value) > _MAX_NEXT
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value  # browsers read /\\host as //host
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in value)  # and drop tabs and newlines
    ):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    if any(parts.path == path or parts.path.startswith(path + "/") for path in _SIGN_IN_PATHS):
        return "/"
    return value


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """What a sign-in link can do now; ``email`` is known for every link we sent."""

    state: LinkState
    email: str | None = None
    next_url: str = "/"
    lifetime_minutes: int = 0

    @property
    def error(self) -> PapertideError | None:
        """Why the link cannot sign anyone in, as the error to answer with; None when it can."""
        match self.state:
            case LinkState.EXPIRED:
                return Gone(
                    f"This sign-in link has expired: a link works for {self.lifetime_minutes} minutes after it "
                    "is sent. Ask for a new one below."
                )
            case LinkState.USED:
                return Gone(
                    "This sign-in link has already been used: each link signs in once. Ask for a new one below."
                )
            case LinkState.UNKNOWN:
                return NotFound(
                    "This is not a sign-in link we know: it may have been cut short when it was copied, or be more "
                    "than a day old. Ask for a new one below."
                )
        return None


@dataclass(frozen=True, slots=True)
class SentLink:
    email: str
    expires_at: datetime


class SignInLinks:
    """Send sign-in links, check them, and use them to sign in."""

    def __init__(
        self,
        settings: Settings,
        accounts: AccountStore,
        limiter: RateLimiter,
        mailer: Mailer,
        *,
        site_url: Callable[[], str] | None = None,
    ) -> None:
        """``site_url``: the address links point at (in the web app, the request's); default ``settings.site_url``."""
        self._settings = settings
        self._site_url = site_url or (lambda: settings.site_url)
        self._accounts = accounts
        self._limiter = limiter
        self._mailer = mailer
        self._lifetime = timedelta(minutes=settings.sign_in_link_minutes)

    def send(self, email: str, next_url: str | None, client: str | None) -> SentLink:
        """Mail a new link to ``email`` (within the mail rate limits of the address and the client)."""
        address = normalise_email(email)
        self._limiter.hit(*mail_limits(self._settings, address=address, client=client))
        token = new_token()
        expires_at = self._accounts.now() + self._lifetime
        self._accounts.add_login_token(token_hash(token), address, safe_next(next_url), expires_at)
        self._mailer.send(self._message(address, token, expires_at))
        return SentLink(address, expires_at)

    def check(self, token: str) -> LinkCheck:
        """Whether the link would sign in now, without using it (a GET may look, never use)."""
        link = self._accounts.login_token(token_hash(token))
        minutes = self._settings.sign_in_link_minutes
        if link is None:
            return LinkCheck(LinkState.UNKNOWN, lifetime_minutes=minutes)
        if link.used_at is not None:
            state = LinkState.USED
        elif link.expires_at <= self._accounts.now():
            state = LinkState.EXPIRED
        else:
            state = LinkState.USABLE
        return LinkCheck(state, link.email, safe_next(link.next_url), minutes)

    def redeem(self, token: str) -> tuple[User, str]:
        """Use the link: its account (created on first use) and where to go next; or why it cannot."""
        link = self._accounts.use_login_token(token_hash(token))
        if link is None:
            checked = self.check(token)
            # It was used or expired a moment ago; only a clock stepping back could call it usable now.
            raise checked.error or replace(checked, state=LinkState.EXPIRED).error
        user, _ = self._accounts.get_or_create_user(link.email)
        if self._accounts.suspension_note(user.pk) is not None:
            raise Forbidden("this account is suspended by the site's admins: it cannot sign in")
        return user, safe_next(link.next_url)

    def _message(self, address: str, token: str, expires_at: datetime) -> EmailMessage:
        site = self._site_url()
        context = {
            "link": f"{site}/signin/{token}",
            "minutes": self._settings.sign_in_link_minutes,
            "expires_at": expires_at,
            "base_url": site,
        }
        return compose(
            self._settings,
            to=address,
            subject="Your papertide sign-in link",
            text=_mail_templates.get_template("sign_in_link.txt").render(context),
            html=_mail_templates.get_template("sign_in_link.html").render(context),
            date=self._accounts.now(),
        )
