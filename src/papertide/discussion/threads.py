"""A paper's comments as the reader sees them: a tree, sorted, with what this reader may see of each.

Deleted comments, and hidden ones for all but their author and moderators, leave a placeholder only
where replies hang under them, so a conversation keeps its shape; otherwise they are left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from papertide.store.discussion.comments import Comment


class Order(StrEnum):
    BEST = "best"  # most upvoted first, then oldest
    NEWEST = "newest"


class State(StrEnum):
    SHOWN = "shown"
    HIDDEN = "hidden"  # hidden by a moderator; its text is shown to its author and moderators only
    DELETED = "deleted"  # deleted by its author: a placeholder


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who reads: an account (``user_pk``) or nobody signed in, and whether they moderate."""

    user_pk: int | None = None
    moderator: bool = False
    voted: frozenset[int] = frozenset()  # the comments this reader upvoted


@dataclass(slots=True)
class CommentView:
    comment: Comment
    state: State
    html: str  # the rendered body, or "" where this reader sees a placeholder
    mine: bool
    voted: bool
    replies: list[CommentView] = field(default_factory=list)

    @property
    def author(self) -> str:
        return author_name(self.comment.user_pk)

    @property
    def readable(self) -> bool:
        """Whether this reader sees its text (a hidden comment's author and moderators do, with the note)."""
        return bool(self.html)


def author_name(user_pk: int | None) -> str:
    """How a comment names its author: accounts have no public names, and their addresses stay private."""
    return f"reader {user_pk}" if user_pk is not None else "deleted account"


def view(comment: Comment, viewer: Viewer) -> CommentView:
    """One comment as ``viewer`` sees it (on its own, without replies)."""
    mine = viewer.user_pk is not None and comment.user_pk == viewer.user_pk
    if comment.deleted_at is not None:
        state, readable = State.DELETED, False
    elif comment.hidden_at is not None:
        state, readable = State.HIDDEN, mine or viewer.moderator
    else:
        state, readable = State.SHOWN, True
    html = comment.html if readable else ""  # rendered when written: markdown-it takes milliseconds a comment
    return CommentView(comment, state, html, mine, comment.pk in viewer.voted)


def visible(comment: Comment, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see the comment's text (and so vote on it, report it or reply to it)."""
    return view(comment, viewer).readable and comment.deleted_at is None


def build(comments: Iterable[Comment], viewer: Viewer, order: Order) -> list[CommentView]:
    """The top-level comments, each with its replies, sorted by ``order`` at every level."""
    views = {comment.pk: view(comment, viewer) for comment in comments}
    roots: list[CommentView] = []
    for item in views.values():
        parent = views.get(item.comment.parent_pk) if item.comment.parent_pk is not None else None
        (parent.replies if parent is not None else roots).append(item)
    return _prune(roots, order)


def _prune(items: list[CommentView], order: Order) -> list[CommentView]:
    kept = []
    for item in items:
        item.replies = _prune(item.replies, order)
        if item.readable or item.replies:
            kept.append(item)
    if order is Order.NEWEST:
        kept.sort(key=lambda item: (item.comment.created_at, item.comment.pk), reverse=True)
    else:
        kept.sort(key=lambda item: (-item.comment.score, item.comment.created_at, item.comment.pk))
    return kept


def count(items: list[CommentView]) -> int:
    """Readable comments in a built thread, replies included."""
    return sum(int(item.readable) + count(item.replies) for item in items)
