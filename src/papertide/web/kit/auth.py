"""Who is asking, and whether a state-changing request really comes from our own pages.

A request is signed in by its session cookie (pages) or by ``Authorization: Bearer <API token>``
(the JSON API, under ``/api/``, only: anywhere else a token is refused, so it never reaches the account
pages that mint tokens, export, sign out or delete). Forms and ``fetch`` calls carry a CSRF token: the
signature of a random cookie (the signed double-submit pattern), checked by :data:`CsrfDep` on every
state-changing route. API requests authenticated by a bearer token need none: a browser never sends
one by itself. A 'read' token may only GET.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from papertide.accounts.tokens import new_token, token_hash
from papertide.errors import Forbidden, Unauthorized
from papertide.store.accounts.store import User
from papertide.web.kit.dependencies import Services, ServicesDep

SESSION_COOKIE = "papertide_session"
CSRF_COOKIE = "papertide_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_CSRF_PURPOSE = "csrf"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_PREFIX = "/api/"


def is_api(request: Request) -> bool:
    """Whether the request is to the JSON API, the one place an API token is a credential."""
    return request.url.path.startswith(API_PREFIX)


def _bearer(request: Request) -> str | None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


async def current_user(request: Request, services: ServicesDep) -> User | None:
    """The signed-in user, or None. A bad bearer token is an error, not an anonymous request."""
    if "user" in request.scope.get("state", {}):
        return request.state.user
    user = None
    if (bearer := _bearer(request)) is not None:
        user = _token_user(request, services, bearer)
    elif session := request.cookies.get(SESSION_COOKIE):
        user = services.sessions.user(session)
    request.state.user = user
    return user


def _token_user(request: Request, services: Services, bearer: str) -> User:
    """The owner of the API token, if the token may be used for this request."""
    if not is_api(request):
        raise Forbidden(
            f"API tokens work only on the JSON API ({API_PREFIX}...): the pages, and the account's tokens, export, "
            "sign-out and deletion, need a browser signed in by an emailed link"
        )
    found = services.accounts.api_token_use(token_hash(bearer))
    if found is None:
        raise Unauthorized("the API token is unknown or has been revoked")
    if request.method not in _SAFE_METHODS and not found.token.writes:
        raise Forbidden(
            f"the API token {found.token.name!r} is read-only; create a 'read and write' token on the account page "
            "to change things"
        )
    return found.user


OptionalUserDep = Annotated[User | None, Depends(current_user)]


def page_user(request: Request) -> User | None:
    """The signed-in user for a template: what :func:`current_user` found, or the session cookie's."""
    state = request.scope.setdefault("state", {})
    if "user" not in state:
        services: Services = request.app.state.services
        session = request.cookies.get(SESSION_COOKIE)
        state["user"] = services.sessions.user(session) if session else None
    return state["user"]


def forget_user(request: Request) -> None:
    """This request is signed out from here on (e.g. its account was just deleted): pages show no user."""
    request.scope.setdefault("state", {})["user"] = None


async def require_user(user: OptionalUserDep) -> User:
    """The signed-in user; otherwise 401 (pages turn it into a redirect to the sign-in page)."""
    if user is None:
        raise Unauthorized("sign in first: this needs an account (pages: a session; API: a bearer token)")
    return user


UserDep = Annotated[User, Depends(require_user)]


def sign_in_url(back: str) -> str:
    """The sign-in page, which returns to the local path ``back`` afterwards."""
    return f"/signin?{urlencode({'next': back})}"


def local_path(candidate: str | None, default: str) -> str:
    """``candidate`` if it is a path on this site (where a form may send the reader back), else ``default``."""
    if candidate and candidate.startswith("/") and not candidate.startswith(("//", "/\\")):
        return candidate
    return default


# -- CSRF --------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token forms and scripts send back: a signature of this browser's CSRF cookie."""
    services: Services = request.app.state.services
    return services.signer.signature(_CSRF_PURPOSE, _csrf_cookie(request))


def _csrf_cookie(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or request.scope.setdefault("state", {}).setdefault(
        "csrf_cookie", new_token()
    )


async def verify_csrf(request: Request, services: ServicesDep) -> None:
    """Refuse a state-changing request from a browser that does not carry this site's CSRF token."""
    if request.method in _SAFE_METHODS:
        return
    if _bearer(request) is not None and is_api(request):
        await current_user(request, services)  # the token is checked here, and its scope, before anything runs
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    cookie = request.cookies.get(CSRF_COOKIE)
    if not sent or not cookie or not services.signer.verify(_CSRF_PURPOSE, cookie, sent):
        raise Forbidden("the form's security token is missing or stale (CSRF check); reload the page and try again")


CsrfDep = Depends(verify_csrf)


class CsrfCookieMiddleware:
    """Gives every browser a random CSRF cookie on its first response (HttpOnly, SameSite=Lax)."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self._attributes = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or f"{CSRF_COOKIE}=".encode() in _cookie_header(scope):
            await self.app(scope, receive, send)
            return

        async def send_with_cookie(message: Message) -> None:
            issued = scope.get("state", {}).get("csrf_cookie")
            if message["type"] == "http.response.start" and issued:
                cookie = f"{CSRF_COOKIE}={issued}{self._attributes}".encode()
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie)]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _cookie_header(scope: Scope) -> bytes:
    return b"; ".join(value for name, value in scope["headers"] if name == b"cookie")


# -- the session cookie ------------------------------------------------------------------------


def set_session_cookie(response: Response, token: str, services: Services) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(services.sessions.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=services.settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, services: Services) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=services.settings.secure_cookies, path="/"
    )
