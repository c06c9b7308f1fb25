"""The account page: sessions, personal API tokens, the data export and deleting the account."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.accounts.api_tokens import create_api_token, revoke_api_token
from papertide.accounts.personal_data import delete_account, export_account
from papertide.errors import InvalidInput
from papertide.store.accounts import User
from papertide.web.auth import CsrfDep, UserDep, clear_session_cookie, forget_user
from papertide.web.problems import page_with_error
from papertide.web.services import Services, ServicesDep
from papertide.web.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

# What a finished action says on the page it returns to (?done=...): fixed texts, nothing echoed.
DONE = {"token-revoked": "The API token has been revoked: requests using it are now refused."}


def _account_context(services: Services, user: User) -> dict:
    return {
        "user": user,
        "session_count": services.accounts.count_sessions(user.pk),
        "tokens": services.accounts.api_tokens(user.pk),
    }


@router.get("/account")
def account_page(request: Request, services: ServicesDep, user: UserDep, done: str | None = None) -> Response:
    context = {**_account_context(services, user), "done": DONE.get(done or "")}
    return templates.TemplateResponse(request, "account.html", context)


@router.post("/account/tokens", dependencies=[CsrfDep])
def create_token(request: Request, services: ServicesDep, user: UserDep, name: Annotated[str, Form()] = "") -> Response:
    """Create a token and show it, this once: only its digest is kept."""
    try:
        token = create_api_token(services.accounts, user, name)
    except InvalidInput as exc:
        return page_with_error(request, "account.html", {**_account_context(services, user), "token_name": name}, exc)
    context = {**_account_context(services, user), "new_token": token}
    response = templates.TemplateResponse(request, "account.html", context, status_code=201)
    response.headers["Cache-Control"] = "no-store"  # the page holds the secret: keep it out of caches
    return response


@router.post("/account/tokens/{token_pk}/revoke", dependencies=[CsrfDep])
def revoke_token(services: ServicesDep, user: UserDep, token_pk: int) -> Response:
    revoke_api_token(services.accounts, user, token_pk)
    return RedirectResponse("/account?done=token-revoked", status_code=303)


@router.post("/account/signout-everywhere", dependencies=[CsrfDep])
def sign_out_everywhere(services: ServicesDep, user: UserDep) -> Response:
    """End every session of the user, this browser's included."""
    services.sessions.end_all(user)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, services)
    return response


@router.get("/account/export")
def export(services: ServicesDep, user: UserDep) -> Response:
    """All of the user's data as one JSON file, downloaded rather than shown."""
    data = export_account(services.accounts, user)
    filename = f"papertide-{data['exported_at']:%Y-%m-%d}.json"
    return Response(
        orjson.dumps(data, option=orjson.OPT_INDENT_2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.post("/account/delete", dependencies=[CsrfDep])
def delete(request: Request, services: ServicesDep, user: UserDep, confirm: Annotated[str, Form()] = "") -> Response:
    """Delete the account once its address has been typed to confirm; then say so, signed out."""
    if confirm.strip().lower() != user.email:
        error = InvalidInput("confirm: type your email address exactly as shown to delete the account")
        return page_with_error(request, "account.html", _account_context(services, user), error)
    delete_account(services.accounts, services.rate_limiter, user)
    forget_user(request)
    response = templates.TemplateResponse(request, "account_deleted.html", {"email": user.email})
    clear_session_cookie(response, services)
    return response
