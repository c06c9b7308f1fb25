"""``/author/<name>``: the papers signed with a name, newest or most upvoted, and a button that follows it.

Following is the digest's followed-author alert (:mod:`papertide.digest.alerts`), one click from
here: a signed-in reader without a digest gets one started (their address is confirmed already),
with the author as its alert. A visitor's press leads to sign in and back to the page. The name
travels in the path, every character but letters and digits escaped (``/``, ``?`` and ``#`` too).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.author_names import author_path, checked_name, name_key
from papertide.authors.profile import AuthorProfile, Authors, Order
from papertide.digest.alerts import AUTHOR
from papertide.errors import Conflict, InvalidInput
from papertide.store.accounts.store import User
from papertide.store.digest.subscriptions import Alert
from papertide.web.feeds.links import author_link
from papertide.web.kit.auth import page_user, sign_in_url
from papertide.web.kit.dependencies import ServicesDep
from papertide.web.kit.problems import page_with_error
from papertide.web.kit.schemas import paper_summary
from papertide.web.kit.templating import templates
from papertide.web.library.pages import ReaderDep

PAGE_SIZE = 20
MAX_PAGE = 500  # 10,000 papers deep, as far as the search pages go

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

PageParam = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Which page of the papers, from 1.")]


def _followed(request: Request, user: User | None, spellings: tuple[str, ...]) -> list[Alert]:
    """The reader's followed-author alerts that stand for this name."""
    if user is None:
        return []
    mine = request.app.state.digest.subscriptions.of_user(user)
    if mine is None or not mine.is_active:
        return []
    alerts = request.app.state.digest.subscriptions.alerts(mine)
    return [alert for alert in alerts if alert.kind == AUTHOR and name_key(alert.value) in spellings]


def _alert_value(profile: AuthorProfile) -> str:
    """The name as papers write it, for an alert or a search; its key where it holds a double quote, which
    ``author:"..."`` cannot."""
    return profile.name if '"' not in profile.name else name_key(profile.name)


def _page(request: Request, services: ServicesDep, name: str, order: Order, page: int) -> dict:
    profile = Authors(services.engine).profile(name, order, page, PAGE_SIZE)
    user = page_user(request)
    return {
        "author": profile,
        "requested": checked_name(name),
        "papers": [paper_summary(p) for p in profile.papers],
        "order": order,
        "orders": list(Order),
        "page": page,
        "pages": -(-(profile.total if order is Order.NEWEST else profile.ranked) // PAGE_SIZE),
        "following": bool(_followed(request, user, profile.spellings)),
        "feed": author_link(name_key(profile.name), profile.name),  # one feed, however the URL spells it
        "search": f'author:"{_alert_value(profile)}"',
    }


@router.get("/author/{name:path}")
def author_page(
    request: Request, services: ServicesDep, name: str, order: Order = Order.NEWEST, page: PageParam = 1
) -> Response:
    return templates.TemplateResponse(request, "author.html", _page(request, services, name, order, page))


@router.post("/authors/follow")
def follow(
    request: Request,
    services: ServicesDep,
    user: ReaderDep,
    name: Annotated[str, Form()],
    following: Annotated[bool, Form()] = True,
) -> Response:
    """Follow (or stop following) ``name`` in the reader's digest; a visitor goes to sign in and comes back."""
    back = author_path(checked_name(name))
    if user is None:
        return RedirectResponse(sign_in_url(back), status_code=303)
    profile = Authors(services.engine).profile(name, Order.NEWEST, 1, 1)  # 404 for a name without papers
    subscriptions = request.app.state.digest.subscriptions
    try:
        if following:
            mine = subscriptions.of_user(user)
            if mine is None or not mine.is_active:
                mine = subscriptions.subscribe_user(user)
            if not _followed(request, user, profile.spellings):
                subscriptions.add_alert(mine, AUTHOR, _alert_value(profile))
        else:
            mine = subscriptions.of_user(user)
            for alert in _followed(request, user, profile.spellings):
                subscriptions.remove_alert(mine, alert.pk)
    except (InvalidInput, Conflict) as exc:
        context = _page(request, services, name, Order.NEWEST, 1)
        return page_with_error(request, "author.html", context, exc)
    return RedirectResponse(back, status_code=303)
