"""Following a discussion: the Follow/Unfollow form on the paper page, and the mails' unfollow link.

The form posts with the CSRF token and answers 303 back to the discussion (no JavaScript needed);
a visitor is sent to sign in first. The unfollow link of every notification needs no sign-in: its
signed token is the authentication, its GET shows a button, and its POST (the button, or a mail
client's RFC 8058 one-click request, which carries no cookie) stops following that one discussion.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from papertide.discussion.notify import UnfollowLinks
from papertide.errors import NotFound
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.accounts.store import User
from papertide.store.discussion.follows import FollowStore
from papertide.store.papers.store import StoredPaper
from papertide.web.feeds.links import discussion_link
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, sign_in_url
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)


def follows_of(services: Services) -> FollowStore:
    """The follow rows of the app's database, on the app's clock."""
    return services.stores.follows


def follow_section(services: Services, user: User | None, paper: StoredPaper) -> dict[str, Any]:
    """What the discussion's Follow box shows (the template is _discussion_follow.html)."""
    following = user is not None and follows_of(services).is_following(user.pk, paper.pk)
    return {"paper_id": paper.paper_id, "following": following, "feed": discussion_link(paper)}


def _discussion_path(paper: StoredPaper) -> str:
    return f"{discussion_link(paper).page_url}#discussion"


@router.post("/paper/{paper_id:path}/follow", dependencies=[CsrfDep])
def follow(
    services: ServicesDep, user: OptionalUserDep, paper_id: str, following: Annotated[bool, Form()] = True
) -> Response:
    """Follow the paper's discussion (``following`` false: stop); a visitor is asked to sign in first."""
    paper = find_paper(services.store, canonical_id(paper_id))
    if user is None:
        return RedirectResponse(sign_in_url(_discussion_path(paper)), status_code=303)
    follows_of(services).set_following(user.pk, paper.pk, following)
    return RedirectResponse(_discussion_path(paper), status_code=303)


def _unfollow_target(services: Services, token: str) -> tuple[int, StoredPaper]:
    user_pk, paper_pk = UnfollowLinks(services.signer).verify(token)
    found = services.store.get_many([paper_pk])
    if not found:  # the paper is gone, and its follows with it
        raise NotFound("this discussion no longer exists")
    return user_pk, found[0]


@router.get("/unfollow/{token}")
def unfollow_page(request: Request, services: ServicesDep, token: str) -> Response:
    """The unfollow link opened in a browser: a button, so that a link scanner's GET changes nothing."""
    _user_pk, paper = _unfollow_target(services, token)
    context = {"paper": paper, "token": token, "done": False, "paper_path": _discussion_path(paper)}
    return templates.TemplateResponse(request, "discussion_unfollow.html", context)


@router.post("/unfollow/{token}")
def unfollow(request: Request, services: ServicesDep, token: str) -> Response:
    """RFC 8058 one-click unsubscribe, and the page's button: no cookie, CSRF token or sign-in needed."""
    user_pk, paper = _unfollow_target(services, token)
    follows_of(services).set_following(user_pk, paper.pk, False)
    context = {"paper": paper, "token": token, "done": True, "paper_path": _discussion_path(paper)}
    return templates.TemplateResponse(request, "discussion_unfollow.html", context)
