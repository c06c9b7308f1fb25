"""Digest pages: subscribe, confirm, manage (by signed link or signed in), preview and unsubscribe.

The rules live in :mod:`papertide.digest`; these handlers translate forms into calls. Manage
pages are reached through the signed link of every digest, so no sign-in is needed; a
signed-in subscriber is sent to the same pages. Every form posts with a CSRF token except the
unsubscribe POST, which RFC 8058 mail clients send without cookies: its signed token is the
authentication, and it only ever turns digests off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

import papertide.services
from papertide.category_filter import category_patterns
from papertide.digest.alerts import search_text
from papertide.digest.compose import Composer
from papertide.digest.links import MANAGE, UNSUBSCRIBE
from papertide.digest.preferences import WEEKDAYS, Frequency, Preferences, Section, describe_schedule
from papertide.digest.render import DigestMail
from papertide.digest.schedule import is_paused, next_period
from papertide.digest.subscriptions import Subscriptions
from papertide.errors import Conflict, InvalidInput, MailError, NotFound, PapertideError, TooManyRequests
from papertide.search.query import Filters
from papertide.store.digest.subscriptions import Subscription
from papertide.web.accounts.sign_in import client_address
from papertide.web.feeds.pages import search_link
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, page_user
from papertide.web.kit.border import DbId
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.problems import page_with_error
from papertide.web.kit.site import SiteAddress
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

_MAIL_FAILED = (
    "The confirmation could not be sent just now: the mail server did not take the message. "
    "Please try again in a few minutes."
)
# What a finished action says on the manage page it returns to (?done=...): fixed texts, nothing echoed.
DONE = {
    "confirmed": "Your subscription is confirmed. The first digest comes at the next delivery time.",
    "saved": "Your preferences are saved; the next digest follows them.",
    "alert-added": "The alert is added: its new matches come in your next digest.",
    "alert-removed": "The alert is removed.",
    "links-replaced": "Every earlier manage and unsubscribe link has stopped working; this page has a new address.",
    "resubscribed": "Welcome back: your digest is on again.",
}


@dataclass(frozen=True, slots=True)
class DigestServices:
    subscriptions: Subscriptions
    mail: DigestMail
    composer: Composer

    @classmethod
    def over(cls, services: papertide.services.Services, site: SiteAddress) -> DigestServices:
        """The digest's rules over the process's stores, composer, mailer, limits and key; links to ``site``."""
        settings = services.settings
        mail = DigestMail(settings, services.signer, site.current)
        subscriptions = Subscriptions(
            settings, services.stores.subscriptions, services.rate_limiter, services.mailer, mail
        )
        return cls(subscriptions=subscriptions, mail=mail, composer=services.composer)


async def _digest(request: Request) -> DigestServices:
    return request.app.state.digest


def my_digest(request: Request) -> dict | None:
    """For templates (the account page): the signed-in reader's subscription, its schedule and manage page."""
    user = page_user(request)
    digest: DigestServices = request.app.state.digest
    mine = digest.subscriptions.of_user(user) if user else None
    if mine is None:
        return None
    return {
        "subscription": mine,
        "schedule": describe_schedule(Preferences.from_dict(mine.preferences)),
        "manage_path": _manage_path(digest, mine),
    }


templates.env.globals["my_digest"] = my_digest


DigestDep = Annotated[DigestServices, Depends(_digest)]
EmailField = Annotated[str, Form()]


def _preference_form(form) -> dict:
    """The manage form's fields as Preferences.parse takes them (categories split and spelled here)."""
    data: dict = {}
    for name in ("frequency", "weekday", "hour", "timezone", "max_papers", "paused_until"):
        if name in form:
            data[name] = form[name]
    if "categories" in form:
        data["categories"] = list(category_patterns(form.getlist("categories")))
    if "exclude" in form:
        data["exclude"] = list(category_patterns(form.getlist("exclude")))
    if form.get("sections_shown"):  # the checkboxes were on the form: none ticked means none
        data["sections"] = form.getlist("sections")
    return data


def _form_context(subscription: Subscription | None = None, email: str = "") -> dict:
    return {
        "email": email,
        "subscription": subscription,
        "frequencies": list(Frequency),
        "weekdays": WEEKDAYS,
        "sections": list(Section),
    }


# -- subscribing ---------------------------------------------------------------------------------


@router.get("/digest")
def digest_page(request: Request, digest: DigestDep, user: OptionalUserDep) -> Response:
    """What the digest is, and the form to get it; a subscriber who is signed in goes to their settings."""
    if user is not None and (mine := digest.subscriptions.of_user(user)) and mine.is_active:
        return RedirectResponse(_manage_path(digest, mine), status_code=303)
    return templates.TemplateResponse(request, "digest.html", _form_context(email=user.email if user else ""))


@router.post("/digest/subscribe", dependencies=[CsrfDep])
async def subscribe(request: Request, services: ServicesDep, digest: DigestDep, user: OptionalUserDep) -> Response:
    """Subscribe: in one click for the signed-in user's own address, else by a confirmation mail."""
    form = await request.form()
    email = str(form.get("email", "")).strip()
    context = _form_context(email=email)
    try:
        preferences = _preference_form(form)
        if user is not None and (not email or email.lower() == user.email):
            subscription = digest.subscriptions.subscribe_user(user, preferences)
            return RedirectResponse(_manage_path(digest, subscription, "confirmed"), status_code=303)
        sent_to = digest.subscriptions.request(email, client=client_address(request), preferences=preferences)
    except (InvalidInput, TooManyRequests) as exc:
        return page_with_error(request, "digest.html", context, exc)
    except MailError as exc:
        return page_with_error(request, "digest.html", context, exc, detail=_MAIL_FAILED)
    settings = services.settings
    sent = {"email": sent_to, "days": settings.digest_confirm_days, "maildir": None}
    if not settings.smtp_host:
        sent["maildir"] = settings.mail_dir
    return templates.TemplateResponse(request, "digest_sent.html", {**context, **sent}, status_code=202)


@router.get("/digest/confirm/{token}")
def confirm_page(request: Request, digest: DigestDep, token: str) -> Response:
    """The page the confirmation mail links to: one button. Opening it confirms nothing."""
    check = digest.subscriptions.check(token)
    context = {"token": token, "check": check}
    if check.error:
        return page_with_error(request, "digest_confirm.html", context, check.error)
    return templates.TemplateResponse(request, "digest_confirm.html", context)


@router.post("/digest/confirm/{token}", dependencies=[CsrfDep])
def confirm(request: Request, digest: DigestDep, token: str) -> Response:
    try:
        subscription = digest.subscriptions.confirm(token)
    except PapertideError as exc:  # expired, used (perhaps by a second press a moment ago) or unknown
        context = {"token": token, "check": digest.subscriptions.check(token)}
        return page_with_error(request, "digest_confirm.html", context, exc)
    return RedirectResponse(_manage_path(digest, subscription, "confirmed"), status_code=303)


# -- managing ------------------------------------------------------------------------------------


def _managed(digest: DigestServices, token: str) -> Subscription:
    return digest.mail.links.verify(MANAGE, token, digest.subscriptions.store)


def _manage_path(digest: DigestServices, subscription: Subscription, done: str | None = None) -> str:
    path = "/digest/manage/" + digest.mail.links.token(MANAGE, subscription)
    return f"{path}?done={done}" if done else path


def _manage_context(digest: DigestServices, subscription: Subscription, token: str) -> dict:
    preferences = Preferences.from_dict(subscription.preferences)
    alerts = []
    for alert in digest.subscriptions.alerts(subscription):
        query = search_text(alert.kind, alert.value)
        # Lexical, as the digest matches it: the feed brings what the digest would.
        alerts.append({"alert": alert, "query": query, "feed": search_link(query, "lexical", Filters())})
    return {
        **_form_context(subscription),
        "token": token,
        "preferences": preferences,
        "schedule": describe_schedule(preferences),
        "alerts": alerts,
        "unsubscribe_token": digest.mail.links.token(UNSUBSCRIBE, subscription),
    }


def _manage_page(
    request: Request, digest: DigestServices, subscription: Subscription, token: str, done: str | None = None
) -> Response:
    context = {**_manage_context(digest, subscription, token), "done": DONE.get(done or "")}
    return templates.TemplateResponse(request, "digest_manage.html", context)


@router.get("/digest/manage/{token}")
def manage_page(request: Request, digest: DigestDep, token: str, done: str | None = None) -> Response:
    return _manage_page(request, digest, _managed(digest, token), token, done)


@router.post("/digest/manage/{token}", dependencies=[CsrfDep])
async def save_preferences(request: Request, digest: DigestDep, token: str) -> Response:
    """Save the preferences form; a bad field shows the form again with its error and changes nothing."""
    subscription = _managed(digest, token)
    form = await request.form()
    try:
        digest.subscriptions.change_preferences(subscription, _preference_form(form))
    except InvalidInput as exc:
        return page_with_error(request, "digest_manage.html", _manage_context(digest, subscription, token), exc)
    return RedirectResponse(f"/digest/manage/{token}?done=saved", status_code=303)


@router.post("/digest/manage/{token}/alerts", dependencies=[CsrfDep])
def add_alert(
    request: Request,
    digest: DigestDep,
    token: str,
    kind: Annotated[str, Form()] = "search",
    value: Annotated[str, Form()] = "",
) -> Response:
    subscription = _managed(digest, token)
    try:
        digest.subscriptions.add_alert(subscription, kind, value)
    except (InvalidInput, Conflict) as exc:
        context = {**_manage_context(digest, subscription, token), "alert_kind": kind, "alert_value": value}
        return page_with_error(request, "digest_manage.html", context, exc)
    return RedirectResponse(f"/digest/manage/{token}?done=alert-added#alerts", status_code=303)


@router.post("/digest/manage/{token}/alerts/{alert_pk}/delete", dependencies=[CsrfDep])
def remove_alert(digest: DigestDep, token: str, alert_pk: DbId) -> Response:
    digest.subscriptions.remove_alert(_managed(digest, token), alert_pk)
    return RedirectResponse(f"/digest/manage/{token}?done=alert-removed#alerts", status_code=303)


@router.post("/digest/manage/{token}/links", dependencies=[CsrfDep])
def replace_links(digest: DigestDep, token: str) -> Response:
    """Revoke every manage and unsubscribe link sent so far (a forwarded digest, say)."""
    subscription = digest.subscriptions.revoke_links(_managed(digest, token))
    return RedirectResponse(_manage_path(digest, subscription, "links-replaced"), status_code=303)


@router.post("/digest/manage/{token}/resubscribe", dependencies=[CsrfDep])
def resubscribe(digest: DigestDep, token: str) -> Response:
    """Turn the digest on again: the signed link came to this address, which proves it as a confirmation would."""
    subscription = digest.subscriptions.store.activate(_managed(digest, token).pk)
    return RedirectResponse(_manage_path(digest, subscription, "resubscribed"), status_code=303)


@router.get("/digest/manage/{token}/preview")
def preview_page(request: Request, services: ServicesDep, digest: DigestDep, token: str) -> Response:
    """The digest this subscriber would get at the next delivery, composed now from what has arrived so far,
    neither sent nor recorded."""
    subscription = _managed(digest, token)
    now = services.store.now()
    preferences = Preferences.from_dict(subscription.preferences)
    paused = is_paused(preferences, now.astimezone(preferences.zone).date())
    period = next_period(subscription, now)
    composed = digest.composer.compose(subscription, period)
    context = {
        **_manage_context(digest, subscription, token),
        "period": period,
        "paused_until": preferences.paused_until if paused else None,
        "digest": composed,
        "why_empty": digest.composer.why_empty(subscription, period) if composed is None else None,
        "subject": digest.mail.subject(composed) if composed else None,
        "text": digest.mail.text(composed) if composed else None,
    }
    return templates.TemplateResponse(request, "digest_preview.html", context)


@router.get("/digest/preview")
def my_preview(digest: DigestDep, user: OptionalUserDep) -> Response:
    """The signed-in subscriber's preview."""
    mine = digest.subscriptions.of_user(user) if user else None
    if mine is None:
        raise NotFound("there is no digest subscription for this account; subscribe at /digest")
    return RedirectResponse(_manage_path(digest, mine) + "/preview", status_code=303)


# -- unsubscribing -------------------------------------------------------------------------------


@router.get("/digest/unsubscribe/{token}")
def unsubscribe_page(request: Request, digest: DigestDep, token: str) -> Response:
    """The link in a digest's body: a page with one button (opening it changes nothing)."""
    subscription = digest.mail.links.verify(UNSUBSCRIBE, token, digest.subscriptions.store)
    context = {"subscription": subscription, "token": token, "done": False}
    return templates.TemplateResponse(request, "digest_unsubscribe.html", context)


@router.post("/digest/unsubscribe/{token}")
def unsubscribe(request: Request, digest: DigestDep, token: str) -> Response:
    """RFC 8058 one-click unsubscribe, and the page's button: no cookie, CSRF token or sign-in needed.

    Effective at once: the sender skips any subscription that is not active when it sends.
    """
    subscription = digest.mail.links.verify(UNSUBSCRIBE, token, digest.subscriptions.store)
    subscription = digest.subscriptions.unsubscribe(subscription)
    context = {
        "subscription": subscription,
        "token": token,
        "done": True,
        "manage_path": _manage_path(digest, subscription),
    }
    return templates.TemplateResponse(request, "digest_unsubscribe.html", context)
