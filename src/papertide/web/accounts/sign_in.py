"""Signing in by emailed link and signing out: pages and form posts (the rules are in accounts.sign_in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.accounts.sign_in import LinkCheck, safe_next
from papertide.errors import Gone, InvalidInput, MailError, NotFound, TooManyRequests
from papertide.web.kit.auth import SESSION_COOKIE, CsrfDep, clear_session_cookie, set_session_cookie
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.problems import page_with_error
from papertide.web.kit.templating import templates
from papertide.web.library import pending

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

NextQuery = Annotated[str | None, Query(alias="next")]
NextField = Annotated[str, Form(alias="next")]
_MAIL_FAILED = (
    "The sign-in link could not be sent just now: the mail server did not take the message. "
    "Please try again in a few minutes."
)


def client_address(request: Request) -> str | None:
    """The client's IP address, as the server saw it (behind a proxy, uvicorn's --proxy-headers decide)."""
    return request.client.host if request.client else None


def _form_context(services: Services, email: str, next_url: str | None) -> dict:
    return {
        "email": email,
        "next": safe_next(next_url),
        "minutes": services.settings.sign_in_link_minutes,
        "maildir": None if services.settings.smtp_host else services.settings.mail_dir,
    }


@router.get("/signin")
def sign_in_page(request: Request, services: ServicesDep, next_url: NextQuery = None) -> Response:
    return templates.TemplateResponse(request, "signin.html", _form_context(services, "", next_url))


@router.post("/signin", dependencies=[CsrfDep])
def send_link(
    request: Request, services: ServicesDep, email: Annotated[str, Form()] = "", next_url: NextField = "/"
) -> Response:
    """Mail a sign-in link. The answer is the same whether or not the address has an account."""
    context = _form_context(services, email.strip(), next_url)
    try:
        sent = services.sign_in.send(email, next_url, client_address(request))
    except (InvalidInput, TooManyRequests) as exc:
        return page_with_error(request, "signin.html", context, exc)
    except MailError as exc:
        return page_with_error(request, "signin.html", context, exc, detail=_MAIL_FAILED)
    return templates.TemplateResponse(request, "signin_sent.html", {**context, "email": sent.email})


@router.get("/signin/{token}")
def sign_in_link(request: Request, services: ServicesDep, token: str) -> Response:
    """The page a mailed link opens: one button that signs in. Looking at it uses nothing up."""
    return _link_page(request, services, token, services.sign_in.check(token))


@router.post("/signin/{token}", dependencies=[CsrfDep])
def use_sign_in_link(request: Request, services: ServicesDep, token: str) -> Response:
    """Use the link: start a session in this browser (ending the one it had), do the vote or save this
    browser pressed before signing in (web/library/pending.py), and go where it leads."""
    try:
        user, next_url = services.sign_in.redeem(token)
    except (NotFound, Gone):  # expired, used (perhaps a moment ago, by a second press) or unknown
        return _link_page(request, services, token, services.sign_in.check(token))
    if previous := request.cookies.get(SESSION_COOKIE):
        services.sessions.end(previous)
    response = RedirectResponse(next_url, status_code=303)
    set_session_cookie(response, services.sessions.start(user, request.headers.get("user-agent")), services)
    pending.finish(request, response, services, user)
    return response


def _link_page(request: Request, services: Services, token: str, link: LinkCheck) -> Response:
    context = {**_form_context(services, link.email or "", link.next_url), "token": token, "link": link}
    if link.error:
        return page_with_error(request, "signin_link.html", context, link.error)
    return templates.TemplateResponse(request, "signin_link.html", context)


@router.post("/signout", dependencies=[CsrfDep])
def sign_out(request: Request, services: ServicesDep) -> Response:
    """End this browser's session (signed out already: nothing to do) and go to the home page."""
    if session := request.cookies.get(SESSION_COOKIE):
        services.sessions.end(session)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, services)
    return response
