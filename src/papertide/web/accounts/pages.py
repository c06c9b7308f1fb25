"""The account page: sessions, personal API tokens, the data export and deleting the account.

Every route here needs a browser session (an API token is refused on them, see :mod:`papertide.web.kit.auth`),
and every form the CSRF token. A new token is shown once, after a redirect (post/redirect/get): the
secret waits in a short-lived cookie scoped to ``/account/tokens`` that the page reads and clears, so a
reload neither shows it again nor creates a second token, and the secret never travels in a URL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.accounts.api_tokens import create_api_token, revoke_api_token
from papertide.accounts.personal_data import delete_account, export_account
from papertide.accounts.tokens import token_hash
from papertide.errors import Forbidden, InvalidInput
from papertide.store.accounts.store import User
from papertide.web.kit.auth import SESSION_COOKIE, CsrfDep, UserDep, clear_session_cookie, forget_user
from papertide.web.kit.border import DbId
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.problems import page_with_error
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

TOKENS_PATH = "/account/tokens"
NEW_TOKEN_COOKIE = "papertide_new_token"
_NEW_TOKEN_SECONDS = 300  # long enough for the redirect, short enough not to linger in the browser

# What a finished action says on the page it returns to (?done=...): fixed texts, nothing echoed.
DONE = {"token-revoked": "The API token has been revoked: requests using it are now refused."}


def _account_context(request: Request, services: Services, user: User) -> dict:
    session = request.cookies.get(SESSION_COOKIE, "")
    minutes = services.settings.delete_sign_in_minutes
    return {
        "user": user,
        "session_count": services.accounts.count_sessions(user.pk),
        "tokens": services.accounts.api_tokens(user.pk),
        "delete_minutes": minutes,
        "delete_ready": services.sessions.signed_in_within(session, timedelta(minutes=minutes)),
    }


@router.get("/account")
def account_page(request: Request, services: ServicesDep, user: UserDep, done: str | None = None) -> Response:
    context = {**_account_context(request, services, user), "done": DONE.get(done or "")}
    return templates.TemplateResponse(request, "account.html", context)


@router.get(TOKENS_PATH)
def tokens_page(request: Request, services: ServicesDep, user: UserDep) -> Response:
    """The account page; right after a token was created, with that token shown this once."""
    context = _account_context(request, services, user)
    secret = request.cookies.get(NEW_TOKEN_COOKIE)
    created = services.accounts.own_api_token(user.pk, token_hash(secret)) if secret else None
    if created is not None:
        context |= {"new_token": secret, "new_token_info": created}
    response = templates.TemplateResponse(request, "account.html", context)
    response.headers["Cache-Control"] = "no-store"  # the page may hold the secret: keep it out of caches
    if secret is not None:
        response.delete_cookie(
            NEW_TOKEN_COOKIE,
            path=TOKENS_PATH,
            httponly=True,
            samesite="strict",
            secure=services.settings.secure_cookies,
        )
    return response


@router.post(TOKENS_PATH, dependencies=[CsrfDep])
def create_token(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    name: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "read",
) -> Response:
    """Create a token, then redirect to the page that shows it once: only its digest is kept."""
    try:
        token = create_api_token(services.accounts, user, name, scope)
    except InvalidInput as exc:
        context = {**_account_context(request, services, user), "token_name": name}
        return page_with_error(request, "account.html", context, exc)
    response = RedirectResponse(TOKENS_PATH, status_code=303)
    response.set_cookie(
        NEW_TOKEN_COOKIE,
        token,
        max_age=_NEW_TOKEN_SECONDS,
        path=TOKENS_PATH,
        httponly=True,
        samesite="strict",
        secure=services.settings.secure_cookies,
    )
    return response


@router.post(TOKENS_PATH + "/{token_pk}/revoke", dependencies=[CsrfDep])
def revoke_token(services: ServicesDep, user: UserDep, token_pk: DbId) -> Response:
    revoke_api_token(services.accounts, user, token_pk)
    return RedirectResponse("/account?done=token-revoked", status_code=303)


@router.post("/account/signout-everywhere", dependencies=[CsrfDep])
def sign_out_everywhere(
    services: ServicesDep, user: UserDep, revoke_tokens: Annotated[bool, Form()] = False
) -> Response:
    """End every session of the user, this browser's included; with ``revoke_tokens`` (the form's
    checkbox, ticked by default) every API token too, since any session could have created one."""
    services.sessions.end_all(user)
    if revoke_tokens:
        services.accounts.delete_api_tokens(user.pk)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, services)
    return response


@router.get("/account/export")
def export(services: ServicesDep, user: UserDep) -> Response:
    """All of the user's data as one JSON file, downloaded rather than shown."""
    data = export_account(services.stores, user)
    filename = f"papertide-{data['exported_at']:%Y-%m-%d}.json"
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.post("/account/delete", dependencies=[CsrfDep])
def delete(request: Request, services: ServicesDep, user: UserDep, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete the account after a recent sign-in and with its address typed to confirm; then say so, signed out."""
    context = _account_context(request, services, user)
    if not context["delete_ready"]:
        error: InvalidInput | Forbidden = Forbidden(
            f"Deleting the account needs a sign-in within the last {context['delete_minutes']} minutes: sign in "
            "again with a new emailed link, then delete it."
        )
        return page_with_error(request, "account.html", context, error)
    if confirm.strip().lower() != user.email:
        error = InvalidInput("confirm: type your email address exactly as shown to delete the account")
        return page_with_error(request, "account.html", context, error)
    delete_account(services.stores, services.rate_limiter, user)
    forget_user(request)
    response = templates.TemplateResponse(request, "account_deleted.html", {"email": user.email})
    clear_session_cookie(response, services)
    return response
