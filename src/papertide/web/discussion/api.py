"""The discussion's part of the JSON API: read a paper's comments; post, reply, edit, delete, vote, report.

Reading needs no account. Writes need one: a bearer token with the 'read and write' scope, or a
session cookie plus the CSRF token in ``X-CSRF-Token`` (the pages' script uses that). A comment the
caller may not see, or may not change (someone else's), answers 404, as if it did not exist.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from papertide.discussion import Order
from papertide.library.lookup import canonical_id, find_paper
from papertide.store.db.schema import MAX_KEY
from papertide.store.papers.store import StoredPaper
from papertide.web.discussion.schemas import (
    CommentCreate,
    CommentEdit,
    CommentOut,
    CommentThread,
    CommentVoteOut,
    ReportCreate,
    ReportResult,
    comment_out,
    comment_vote_out,
    flattened,
)
from papertide.web.kit.auth import CsrfDep, OptionalUserDep, UserDep, require_user
from papertide.web.kit.dependencies import Services, ServicesDep
from papertide.web.kit.problems import problem_responses

router = APIRouter(prefix="/api/v1", tags=["discussion"], responses=problem_responses(400, 401, 403, 422, 503))
WRITE = [Depends(require_user), CsrfDep]
CommentId = Annotated[int, Path(ge=1, le=MAX_KEY, description="The comment's id.")]
OrderParam = Annotated[Order, Query(description="`best` (most upvoted first) or `newest` first.")]


def _paper_of(services: Services, paper_pk: int) -> StoredPaper:
    [paper] = services.store.get_many([paper_pk])
    return paper


@router.get("/papers/{paper_id:path}/comments", summary="A paper's discussion", responses=problem_responses(404))
def paper_comments(
    services: ServicesDep, user: OptionalUserDep, paper_id: str, order: OrderParam = Order.BEST
) -> CommentThread:
    """Every comment the caller may read, each followed by its replies, sorted by `order` at every level."""
    paper = find_paper(services.store, canonical_id(paper_id))
    thread = services.discussion.thread(paper.pk, user, order)
    return CommentThread(paper_id=paper.paper_id, order=order.value, comments=list(flattened(thread, paper.paper_id)))


@router.post(
    "/papers/{paper_id:path}/comments",
    summary="Comment on a paper, or reply to a comment",
    status_code=201,
    dependencies=WRITE,
    responses=problem_responses(404, 413, 429),
)
def post_comment(services: ServicesDep, user: UserDep, paper_id: str, body: CommentCreate) -> CommentOut:
    """Refused: an empty or too long body, a reply to a comment on another paper or one deleted or hidden, links
    from an account younger than a day, a suspended account (403), and too many comments in an hour (429)."""
    paper = find_paper(services.store, canonical_id(paper_id))
    posted = services.discussion.post(user, paper.pk, body.body, body.parent)
    return comment_out(services.discussion.one(posted.pk, user), paper.paper_id)


@router.get("/comments/{comment_id}", summary="One comment", responses=problem_responses(404))
def get_comment(services: ServicesDep, user: OptionalUserDep, comment_id: CommentId) -> CommentOut:
    item = services.discussion.one(comment_id, user)
    return comment_out(item, _paper_of(services, item.comment.paper_pk).paper_id)


@router.patch(
    "/comments/{comment_id}",
    summary="Edit one's own comment",
    dependencies=WRITE,
    responses=problem_responses(404, 413),
)
def edit_comment(services: ServicesDep, user: UserDep, comment_id: CommentId, body: CommentEdit) -> CommentOut:
    """The comment is marked as edited. Someone else's comment answers 404."""
    edited = services.discussion.edit(user, comment_id, body.body)
    return comment_out(services.discussion.one(edited.pk, user), _paper_of(services, edited.paper_pk).paper_id)


@router.delete(
    "/comments/{comment_id}",
    summary="Delete one's own comment",
    status_code=204,
    dependencies=WRITE,
    responses=problem_responses(404),
)
def delete_comment(services: ServicesDep, user: UserDep, comment_id: CommentId) -> Response:
    """Replies stay, under a placeholder. Someone else's comment answers 404."""
    services.discussion.delete(user, comment_id)
    return Response(status_code=204)


@router.post(
    "/comments/{comment_id}/vote",
    summary="Upvote a comment",
    dependencies=WRITE,
    responses=problem_responses(404),
)
def vote_comment(services: ServicesDep, user: UserDep, comment_id: CommentId) -> CommentVoteOut:
    """Idempotent: upvoting twice leaves one upvote."""
    return comment_vote_out(services.discussion.vote(user, comment_id, True))


@router.delete(
    "/comments/{comment_id}/vote",
    summary="Withdraw an upvote of a comment",
    dependencies=WRITE,
    responses=problem_responses(404),
)
def unvote_comment(services: ServicesDep, user: UserDep, comment_id: CommentId) -> CommentVoteOut:
    return comment_vote_out(services.discussion.vote(user, comment_id, False))


@router.post(
    "/comments/{comment_id}/report",
    summary="Report a comment to the moderators",
    dependencies=WRITE,
    responses=problem_responses(404, 413),
)
def report_comment(services: ServicesDep, user: UserDep, comment_id: CommentId, body: ReportCreate) -> ReportResult:
    return ReportResult(comment_id=comment_id, new=services.discussion.report(user, comment_id, body.reason))
