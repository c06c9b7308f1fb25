"""The JSON API's view of the caller's own account: a way for a script to check its token."""

from __future__ import annotations

from fastapi import APIRouter

from papertide.web.kit.auth import UserDep
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.problems import problem_responses
from papertide.web.kit.schemas import Account

router = APIRouter(prefix="/api/v1", responses=problem_responses(401, 503))


@router.get("/account", tags=["account"], summary="The account of this token")
def account(services: ServicesDep, user: UserDep) -> Account:
    """Answers 401 without credentials, or with an unknown or revoked API token."""
    return Account(email=user.email, created_at=user.created_at, api_tokens=len(services.accounts.api_tokens(user.pk)))
