"""The JSON API's models for discussions: comments (a thread flattened in reading order), votes, reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from papertide.discussion import CommentView, CommentVote
from papertide.discussion.rules import MAX_REPORT_CHARS
from papertide.store.db.schema import MAX_KEY


class CommentOut(BaseModel):
    """One comment as the caller may see it: a deleted one, or one hidden from the caller, has no text."""

    id: int = Field(description="The comment's id; ids grow with every comment posted.")
    paper_id: str
    parent: int | None = Field(description="The comment this one replies to; null for a top-level comment.")
    depth: int = Field(description="0 for a top-level comment, 1 for a reply to it, and so on.")
    author: str = Field(description="Who wrote it, as the site names them (addresses stay private).")
    state: Literal["shown", "hidden", "deleted"] = Field(
        description="`hidden`: by a moderator (its text is shown to its author and moderators only); `deleted`: "
        "by its author, kept as a placeholder because replies hang under it."
    )
    body: str | None = Field(description="The Markdown as written; null where the caller sees a placeholder.")
    html: str | None = Field(description="The body rendered and sanitised (TeX left for KaTeX); null likewise.")
    hidden_note: str | None = Field(description="Why a moderator hid it; only for its author and moderators.")
    score: int = Field(description="Upvotes.")
    voted: bool = Field(description="Whether the caller upvoted it.")
    mine: bool = Field(description="Whether the caller wrote it (and so may edit or delete it).")
    created: datetime
    edited: datetime | None = Field(description="When its author last edited it; null if never.")


def comment_out(item: CommentView, paper_id: str, depth: int = 0) -> CommentOut:
    comment = item.comment
    return CommentOut(
        id=comment.pk,
        paper_id=paper_id,
        parent=comment.parent_pk,
        depth=depth,
        author=item.author,
        state=item.state.value,
        body=comment.body if item.readable else None,
        html=item.html if item.readable else None,
        hidden_note=comment.hidden_note if item.readable else None,
        score=comment.score,
        voted=item.voted,
        mine=item.mine,
        created=comment.created_at,
        edited=comment.edited_at,
    )


def flattened(items: list[CommentView], paper_id: str, depth: int = 0) -> Iterator[CommentOut]:
    """The thread in reading order: each comment followed by its replies."""
    for item in items:
        yield comment_out(item, paper_id, depth)
        yield from flattened(item.replies, paper_id, depth + 1)


class CommentThread(BaseModel):
    """A paper's discussion, flattened in reading order (each comment before its replies)."""

    paper_id: str
    order: Literal["best", "newest"]
    comments: list[CommentOut]


class CommentCreate(BaseModel):
    body: str = Field(
        min_length=1, description="Markdown; TeX between $...$ is typeset. Raw HTML is shown as text. Not blank."
    )
    parent: int | None = Field(
        default=None, ge=1, le=MAX_KEY, description="Reply to this comment (on the same paper, not deleted or hidden)."
    )


class CommentEdit(BaseModel):
    body: str = Field(min_length=1, description="The new Markdown, not blank; the comment is marked as edited.")


class CommentVoteOut(BaseModel):
    comment_id: int
    voted: bool = Field(description="Whether the caller now upvotes the comment.")
    score: int = Field(description="Upvotes, the caller's included.")


def comment_vote_out(state: CommentVote) -> CommentVoteOut:
    return CommentVoteOut(comment_id=state.comment_pk, voted=state.voted, score=state.score)


class ReportCreate(BaseModel):
    reason: str = Field(
        min_length=1, max_length=MAX_REPORT_CHARS, description="What is wrong with the comment, for the moderators."
    )


class ReportResult(BaseModel):
    comment_id: int
    new: bool = Field(description="False if the caller had already reported this comment (the first report stands).")
