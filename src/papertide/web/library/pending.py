"""A vote or save pressed while signed out, done once the reader has signed in.

A visitor's press from one of our own pages (the browser says so: Fetch Metadata, else Origin) is
answered with the sign-in page and a cookie naming the action: the paper, vote or save, the
collection and an expiry, signed together with this browser's CSRF cookie. Pressing "Sign in" on
the mailed link's page, itself a CSRF-checked POST, performs it for the new session and clears the
cookie. Each carries a random nonce, counted once in the rate-limit store (whose window outlasts
the cookie), so even a copy of the cookie is done at most once. Nobody else can forge one (the
signature), plant one in a victim's browser (a form on another site is not from our pages, and
scripts cannot set those headers; the cookie is HttpOnly and SameSite=Strict), or use one from
another browser (bound to the CSRF cookie it was made in) or after it expired. The link opened in
another browser signs in without the action: that browser never pressed it. Visitors' buttons need
no token, so listings stay as small as before.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from fastapi import Request, Response

from papertide.accounts.rate_limits import HOUR, Limit
from papertide.accounts.tokens import new_token
from papertide.errors import NotFound, TooManyRequests
from papertide.library.lookup import find_paper
from papertide.store.accounts.store import User
from papertide.web.kit.auth import CSRF_COOKIE
from papertide.web.kit.dependencies import Services

PENDING_COOKIE = "papertide_pending"
_PURPOSE = "pending-action"
# Time to type an address and ask for a link, on top of the link's own lifetime; at most the
# rate limiter's window, which remembers each nonce used for that long.
_ASKING_TIME = timedelta(minutes=15)
_LONGEST = HOUR

log = logging.getLogger(__name__)


class Action(StrEnum):
    VOTE = "vote"
    SAVE = "save"


@dataclass(frozen=True, slots=True)
class PendingAction:
    """What a signed-out reader asked for: upvote ``paper_id``, or save it (``collection``: "" is "Saved")."""

    action: Action
    paper_id: str
    collection: str = ""


def from_our_pages(request: Request) -> bool:
    """Whether the browser says this request comes from a page of this site: ``Sec-Fetch-Site`` (sent by
    every current browser), else ``Origin``. A page's script can set neither."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site == "same-origin"
    return request.headers.get("origin") == f"{request.url.scheme}://{request.url.netloc}"


def remember(request: Request, response: Response, services: Services, pending: PendingAction) -> None:
    """Set the cookie that carries ``pending`` through sign-in, if the press came from our pages in a
    browser that has a CSRF cookie (it has, once it has seen a page) to bind it to."""
    browser = request.cookies.get(CSRF_COOKIE)
    if not browser or not from_our_pages(request):
        return
    lifetime = min(timedelta(minutes=services.settings.sign_in_link_minutes) + _ASKING_TIME, _LONGEST)
    expires = int((services.accounts.now() + lifetime).timestamp())
    fields = [pending.action.value, pending.paper_id, pending.collection, expires, new_token()]
    value = base64.urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    signature = services.signer.signature(_PURPOSE, f"{browser}\x00{value}")
    response.set_cookie(
        PENDING_COOKIE,
        f"{value}.{signature}",
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=services.settings.secure_cookies,
        path="/",
    )


def finish(request: Request, response: Response, services: Services, user: User) -> PendingAction | None:
    """Perform this browser's pending action for ``user``, who just signed in, and clear it; the action
    done, or None when there was none or it is not valid here (forged, from another browser, expired).
    """
    cookie = request.cookies.get(PENDING_COOKIE)
    if cookie is None:
        return None
    response.delete_cookie(
        PENDING_COOKIE, httponly=True, samesite="strict", secure=services.settings.secure_cookies, path="/"
    )
    read = _read(cookie, request.cookies.get(CSRF_COOKIE) or "", services)
    if read is None:
        log.info("a pending vote or save was refused: forged, from another browser, or expired")
        return None
    pending, nonce = read
    try:
        services.rate_limiter.hit(Limit(f"pending-action:{nonce}", 1, "this vote or save was done already"))
    except TooManyRequests:
        log.info("a pending %s was refused: it was done already", pending.action)
        return None
    try:
        if pending.action is Action.VOTE:
            services.library.votes.cast(user, pending.paper_id, True)
        else:
            paper = find_paper(services.store, pending.paper_id)
            services.library.collections.save(user, paper, pending.collection or None)
    except NotFound as exc:  # the paper went, or the collection is not this reader's
        log.info("a pending %s was not done: %s", pending.action, exc.message)
        return None
    return pending


def _read(cookie: str, browser: str, services: Services) -> tuple[PendingAction, str] | None:
    """The action and its nonce, if this browser's cookie is one we signed for it and still valid."""
    value, _, signature = cookie.rpartition(".")
    if not value or not browser or not services.signer.verify(_PURPOSE, f"{browser}\x00{value}", signature):
        return None
    action, paper_id, collection, expires, nonce = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    if expires <= services.accounts.now().timestamp():
        return None
    return PendingAction(Action(action), paper_id, collection), nonce
