"""``/admin``: the instance at a glance, accounts (find, suspend, delete), their API tokens (revoke), and the log.

Every page and form answers 404 to anyone who is not an admin, signed in or not (the checks live in
accounts.administration). Forms post with the CSRF token and come back with a 303 (post/redirect/get).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.store.db.schema import MAX_KEY
from papertide.web.kit.auth import CsrfDep, OptionalUserDep
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

Key = Annotated[int, Path(ge=1, le=MAX_KEY)]
LOG_LENGTH = 50
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/admin")
def admin_page(request: Request, services: ServicesDep, user: OptionalUserDep, email: str = "") -> Response:
    """The overview, the account searched for by ``email`` (if any), and the latest admin actions."""
    admin = services.admin
    overview = admin.overview(user)  # NotFound for anyone who is not an admin
    found = admin.find(user, email) if email.strip() else None
    context = {
        "overview": overview,
        "index_caught_up": services.follower.state.caught_up if services.follower is not None else None,
        "email": email.strip(),
        "found": found,
        "log": admin.log(user, LOG_LENGTH),
    }
    return templates.TemplateResponse(request, "admin.html", context, headers=_NO_STORE)


def _back_to(email: str) -> RedirectResponse:
    return RedirectResponse(f"/admin?email={quote(email)}#account" if email else "/admin", status_code=303)


@router.post("/admin/accounts/{account_id}/delete", dependencies=[CsrfDep])
def delete_account(
    services: ServicesDep, user: OptionalUserDep, account_id: Key, confirm: Annotated[str, Form()] = ""
) -> Response:
    services.admin.delete(user, account_id, confirm)
    return _back_to("")


@router.post("/admin/accounts/{account_id}/tokens/{token_id}/revoke", dependencies=[CsrfDep])
def revoke_token(services: ServicesDep, user: OptionalUserDep, account_id: Key, token_id: Key) -> Response:
    owner = services.admin.account(user, account_id)
    services.admin.revoke_token(user, account_id, token_id)
    return _back_to(owner.email)


@router.post("/admin/accounts/{account_id}/suspend", dependencies=[CsrfDep])
def suspend(
    services: ServicesDep, user: OptionalUserDep, account_id: Key, note: Annotated[str, Form()] = ""
) -> Response:
    services.admin.suspend(user, account_id, note)
    return _back_to(services.admin.account(user, account_id).email)


@router.post("/admin/accounts/{account_id}/unsuspend", dependencies=[CsrfDep])
def unsuspend(services: ServicesDep, user: OptionalUserDep, account_id: Key) -> Response:
    services.admin.unsuspend(user, account_id)
    return _back_to(services.admin.account(user, account_id).email)
