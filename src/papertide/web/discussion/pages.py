"""The discussion on each paper's page, its forms, and the moderators' queue.

Every form works without JavaScript: it posts with the CSRF token and is answered with a 303 back to
the comment (post/redirect/get). ``static/discussion.js`` sends the same forms to the JSON API instead
and swaps in the section as ``/discussion/{paper}`` renders it, so nothing reloads. The moderation
page and its forms answer 404 to anyone who does not moderate.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from papertide.discussion import Discussion, Order
from papertide.discussion.threads import count, view
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.accounts.store import User
from papertide.store.db.schema import MAX_KEY
from papertide.store.papers.store import StoredPaper
from papertide.web.discussion.rendered import RenderedCache
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, UserDep, local_path
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.templating import templates

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)

CommentId = Annotated[int, Path(ge=1, le=MAX_KEY)]
TextField = Annotated[str, Form()]
NextField = Annotated[str | None, Form(alias="next")]


# Visitors' discussions, rendered once per state of each (web/discussion/rendered.py): the busiest kept.
VISITOR_SECTIONS = 128
_for_visitors: WeakKeyDictionary[Discussion, RenderedCache] = WeakKeyDictionary()


def section(
    request: Request, services: Services, user: User | None, paper: StoredPaper, order: Order = Order.BEST
) -> Markup:
    """The paper page's discussion section as ``user`` sees it (_discussion.html). A visitor's is kept by
    the paper, the order and the comments as just read, so any post, edit, vote or moderation shows at once."""
    discussion = services.discussion
    comments = discussion.comments.thread(paper.pk)

    def render() -> Markup:
        thread = discussion.arrange(comments, user, order)
        context = {
            "paper_id": paper.paper_id,
            "reader": user,
            "comments": thread,
            "count": count(thread),
            "order": order,
            "orders": list(Order),
            "moderator": discussion.roles.moderates(user),
            "max_chars": discussion.max_chars,
        }
        return Markup(templates.get_template("_discussion.html").render(request=request, discussion=context))

    if user is not None:
        return render()
    cache = _for_visitors.setdefault(discussion, RenderedCache(VISITOR_SECTIONS))
    return cache.get((paper.paper_id, order, tuple(comments)), render)


def comment_path(services: Services, comment_pk: int) -> str:
    """The comment on its paper's page (a deleted comment's paper too)."""
    comment = services.discussion.comments.get(comment_pk)
    [paper] = services.store.get_many([comment.paper_pk]) if comment else [None]
    if paper is None:
        return "/"
    return f"/paper/{quote(paper.paper_id)}#comment-{comment_pk}"


def see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


@router.get("/discussion/{paper_id:path}")
def discussion_fragment(request: Request, services: ServicesDep, user: OptionalUserDep, paper_id: str) -> Response:
    """The section alone, as the paper page embeds it: what the script swaps in after a change."""
    paper = find_paper(services.store, canonical_id(paper_id))
    order = Order.NEWEST if request.query_params.get("comments") == Order.NEWEST else Order.BEST
    return HTMLResponse(section(request, services, user, paper, order), headers={"Cache-Control": "no-store"})


@router.post("/paper/{paper_id:path}/comments", dependencies=[CsrfDep])
def post_comment(
    services: ServicesDep,
    user: UserDep,
    paper_id: str,
    body: TextField = "",
    parent: Annotated[int | None, Form(ge=1, le=MAX_KEY)] = None,
) -> Response:
    paper = find_paper(services.store, canonical_id(paper_id))
    posted = services.discussion.post(user, paper.pk, body, parent)
    return see_other(f"/paper/{quote(paper.paper_id)}#comment-{posted.pk}")


@router.post("/comments/{comment_id}/edit", dependencies=[CsrfDep])
def edit_comment(services: ServicesDep, user: UserDep, comment_id: CommentId, body: TextField = "") -> Response:
    services.discussion.edit(user, comment_id, body)
    return see_other(comment_path(services, comment_id))


@router.post("/comments/{comment_id}/delete", dependencies=[CsrfDep])
def delete_comment(services: ServicesDep, user: UserDep, comment_id: CommentId) -> Response:
    services.discussion.delete(user, comment_id)
    return see_other(comment_path(services, comment_id))


@router.post("/comments/{comment_id}/vote", dependencies=[CsrfDep])
def vote_comment(
    services: ServicesDep, user: UserDep, comment_id: CommentId, voted: Annotated[bool, Form()] = True
) -> Response:
    services.discussion.vote(user, comment_id, voted)
    return see_other(comment_path(services, comment_id))


@router.post("/comments/{comment_id}/report", dependencies=[CsrfDep])
def report_comment(services: ServicesDep, user: UserDep, comment_id: CommentId, reason: TextField = "") -> Response:
    services.discussion.report(user, comment_id, reason)
    return see_other(comment_path(services, comment_id))


# -- moderation ----------------------------------------------------------------------------------


@router.get("/moderation")
def moderation(request: Request, services: ServicesDep, user: OptionalUserDep) -> Response:
    """The reported comments, most reported first, with what a moderator may do about each; and the log."""
    discussion = services.discussion
    queue = discussion.moderators.queue(user)  # NotFound for anyone who does not moderate
    viewer = discussion.viewer(user)
    papers = {p.pk: p for p in services.store.get_many(list({item.comment.paper_pk for item in queue}))}
    items = [
        {
            "view": view(item.comment, viewer),
            "reports": item.reports,
            "paper": papers.get(item.comment.paper_pk),
            "author": discussion.moderators.author_email(user, item.comment.user_pk),
            "suspended": item.comment.user_pk is not None
            and discussion.moderation.suspension(item.comment.user_pk) is not None,
        }
        for item in queue
    ]
    context = {"items": items, "log": discussion.moderators.log(user, 50)}
    return templates.TemplateResponse(request, "moderation.html", context, headers={"Cache-Control": "no-store"})


def _back(next_: str | None, services: Services, comment_pk: int | None = None) -> RedirectResponse:
    fallback = comment_path(services, comment_pk) if comment_pk is not None else "/moderation"
    return see_other(local_path(next_, fallback))


@router.post("/moderation/comments/{comment_id}/hide", dependencies=[CsrfDep])
def hide(
    services: ServicesDep, user: OptionalUserDep, comment_id: CommentId, note: TextField = "", next_: NextField = None
) -> Response:
    services.discussion.moderators.hide(user, comment_id, note)
    return _back(next_, services, comment_id)


@router.post("/moderation/comments/{comment_id}/restore", dependencies=[CsrfDep])
def restore(services: ServicesDep, user: OptionalUserDep, comment_id: CommentId, next_: NextField = None) -> Response:
    services.discussion.moderators.restore(user, comment_id)
    return _back(next_, services, comment_id)


@router.post("/moderation/comments/{comment_id}/dismiss", dependencies=[CsrfDep])
def dismiss(
    services: ServicesDep, user: OptionalUserDep, comment_id: CommentId, note: TextField = "", next_: NextField = None
) -> Response:
    services.discussion.moderators.dismiss(user, comment_id, note)
    return _back(next_, services)


@router.post("/moderation/accounts/{account_id}/suspend", dependencies=[CsrfDep])
def suspend(
    services: ServicesDep,
    user: OptionalUserDep,
    account_id: Annotated[int, Path(ge=1, le=MAX_KEY)],
    note: TextField = "",
    next_: NextField = None,
) -> Response:
    services.discussion.moderators.suspend(user, account_id, note)
    return _back(next_, services)


@router.post("/moderation/accounts/{account_id}/unsuspend", dependencies=[CsrfDep])
def unsuspend(
    services: ServicesDep,
    user: OptionalUserDep,
    account_id: Annotated[int, Path(ge=1, le=MAX_KEY)],
    next_: NextField = None,
) -> Response:
    services.discussion.moderators.unsuspend(user, account_id)
    return _back(next_, services)
