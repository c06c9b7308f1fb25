"""The digest's part of the JSON API: subscribe (with an address alone, or the account's own in one
call), read and change one's subscription, its alerts, and preview the next digest.

Subscribing by address needs no account: it only mails a confirmation link, rate limited like
sign-in. Everything else acts on the caller's own subscription (a bearer token, or a session
cookie plus ``X-CSRF-Token``); without one it answers 401, and 404 when there is no subscription.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from papertide.digest.schedule import next_period
from papertide.errors import NotFound, Unauthorized
from papertide.store.accounts.store import User
from papertide.store.digest.subscriptions import Subscription
from papertide.web.accounts.sign_in import client_address
from papertide.web.digest.pages import DigestDep, DigestServices
from papertide.web.digest.schemas import (
    AlertIn,
    AlertOut,
    DigestPreferences,
    DigestPreview,
    SubscribeRequest,
    SubscribeResult,
    SubscriptionOut,
    alert_out,
    digest_sections,
    subscription_out,
)
from papertide.web.kit.auth import SESSION_COOKIE, CsrfDep, OptionalUserDep, UserDep, require_user, verify_csrf
from papertide.web.kit.border import DbId
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.problems import problem_responses

router = APIRouter(prefix="/api/v1/digest", tags=["digest"], responses=problem_responses(400, 401, 403, 422, 503))
WRITE = [Depends(require_user), CsrfDep]


async def _csrf_when_signed_in(request: Request, services: ServicesDep) -> None:
    """Subscribing by address is open to any client (it only mails a link, rate limited), so only a
    browser's session needs the CSRF token; a JSON body cannot come from another site's form anyway."""
    if request.cookies.get(SESSION_COOKIE):
        await verify_csrf(request, services)


def _mine(digest: DigestServices, user: User) -> Subscription:
    found = digest.subscriptions.of_user(user)
    if found is None:
        raise NotFound("this account has no digest subscription; POST /api/v1/digest/subscribe makes one")
    return found


def _out(digest: DigestServices, subscription: Subscription) -> SubscriptionOut:
    alerts = digest.subscriptions.alerts(subscription)
    return subscription_out(subscription, alerts, digest.mail.links.manage_url(subscription))


@router.post(
    "/subscribe",
    summary="Subscribe to the digest",
    dependencies=[Depends(_csrf_when_signed_in)],
    responses={**problem_responses(429), 202: {"model": SubscribeResult}},
)
def subscribe(
    request: Request, response: Response, digest: DigestDep, user: OptionalUserDep, body: SubscribeRequest
) -> SubscribeResult:
    """With an address: a confirmation link goes to it (202); nothing else is sent until it is followed.
    With an API token and no address (or the account's own): active at once (200)."""
    preferences = body.preferences.changes()
    if user is None and body.email is None:
        raise Unauthorized("give an email address, or an API token to subscribe the account's own address")
    if user is not None and (body.email is None or body.email.strip().lower() == user.email):
        subscription = digest.subscriptions.subscribe_user(user, preferences)
        return SubscribeResult(status=subscription.status, email=subscription.email)
    sent_to = digest.subscriptions.request(body.email or "", client=client_address(request), preferences=preferences)
    response.status_code = 202
    return SubscribeResult(status="confirmation_sent", email=sent_to)


@router.get("/subscription", summary="My subscription", responses=problem_responses(404))
def my_subscription(digest: DigestDep, user: UserDep) -> SubscriptionOut:
    return _out(digest, _mine(digest, user))


@router.patch("/subscription", summary="Change my preferences", dependencies=WRITE, responses=problem_responses(404))
def change_preferences(digest: DigestDep, user: UserDep, body: DigestPreferences) -> SubscriptionOut:
    """Only the fields given change; a bad one is a 400 naming it, and nothing changes."""
    return _out(digest, digest.subscriptions.change_preferences(_mine(digest, user), body.changes()))


@router.delete("/subscription", summary="Unsubscribe", dependencies=WRITE, responses=problem_responses(404))
def unsubscribe(digest: DigestDep, user: UserDep) -> SubscriptionOut:
    """No digest goes out from now on; the settings and alerts are kept for a return."""
    return _out(digest, digest.subscriptions.unsubscribe(_mine(digest, user)))


@router.post(
    "/subscription/alerts",
    summary="Add an alert",
    status_code=201,
    dependencies=WRITE,
    responses=problem_responses(404, 409),
)
def add_alert(digest: DigestDep, user: UserDep, body: AlertIn) -> AlertOut:
    """A saved search or a followed author, whose new matches come in each digest.

    409 if the same alert exists or the list is full.
    """
    return alert_out(digest.subscriptions.add_alert(_mine(digest, user), body.kind, body.value))


@router.delete(
    "/subscription/alerts/{alert_id}",
    summary="Remove an alert",
    status_code=204,
    dependencies=WRITE,
    responses=problem_responses(404),
)
def remove_alert(digest: DigestDep, user: UserDep, alert_id: DbId) -> Response:
    digest.subscriptions.remove_alert(_mine(digest, user), alert_id)
    return Response(status_code=204)


@router.get("/subscription/preview", summary="Preview my next digest", responses=problem_responses(404))
def preview(services: ServicesDep, digest: DigestDep, user: UserDep) -> DigestPreview:
    subscription = _mine(digest, user)
    period = next_period(subscription, services.store.now())
    composed = digest.composer.compose(subscription, period)
    return DigestPreview(
        period=period.day,
        subject=digest.mail.subject(composed) if composed else None,
        not_sent=digest.composer.why_empty(subscription, period) if composed is None else None,
        sections=digest_sections(composed),
    )
