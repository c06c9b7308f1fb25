"""Discussions under papers: comments and replies in Markdown, votes, reports and moderation.

Rules only (who may do what, and what a comment must be); the store keeps the rows and the web app
and CLI translate. Everything a reader may not see answers NotFound, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertide.accounts.rate_limits import RateLimiter
from papertide.accounts.roles import Roles
from papertide.config import Settings
from papertide.discussion.moderation import Moderation
from papertide.discussion.render import render_markdown
from papertide.discussion.rules import MAX_REPORT_CHARS, CommentRules, Gate, checked_text
from papertide.discussion.threads import CommentView, Order, Viewer, build, view, visible
from papertide.errors import NotFound
from papertide.store import Stores
from papertide.store.accounts.store import User
from papertide.store.discussion.comments import Comment, CommentStore
from papertide.store.discussion.moderation import ModerationStore


@dataclass(frozen=True, slots=True)
class CommentVote:
    """A comment's upvotes after a vote, and whether the voter's own is among them."""

    comment_pk: int
    voted: bool
    score: int


class Discussion:
    """Post, reply, edit, delete, vote and report; read a paper's thread as one reader sees it."""

    def __init__(
        self, comments: CommentStore, moderation: ModerationStore, roles: Roles, gate: Gate, moderators: Moderation
    ) -> None:
        self.comments = comments
        self.moderation = moderation
        self.roles = roles
        self.moderators = moderators  # the moderators' queue and actions
        self._gate = gate

    @classmethod
    def over(cls, stores: Stores, limiter: RateLimiter, settings: Settings) -> Discussion:
        """The discussions of ``stores``' database under ``settings``' rules."""
        moderation, accounts = stores.moderation, stores.accounts
        roles = Roles(stores.roles, accounts, moderation)
        gate = Gate(CommentRules.from_settings(settings), limiter, moderation)
        return cls(stores.comments, moderation, roles, gate, Moderation(moderation, roles, accounts))

    @property
    def max_chars(self) -> int:
        return self._gate.rules.max_chars

    def viewer(self, user: User | None, comment_pks: list[int] | None = None) -> Viewer:
        """``user`` as a reader: whether they moderate and which of ``comment_pks`` they upvoted."""
        if user is None:
            return Viewer()
        voted = self.comments.voted_among(user.pk, comment_pks) if comment_pks else set()
        return Viewer(user.pk, self.roles.moderates(user), frozenset(voted))

    # -- reading -----------------------------------------------------------------------------

    def thread(self, paper_pk: int, user: User | None, order: Order = Order.BEST) -> list[CommentView]:
        """The paper's discussion as ``user`` (or a visitor) sees it."""
        return self.arrange(self.comments.thread(paper_pk), user, order)

    def arrange(self, comments: list[Comment], user: User | None, order: Order = Order.BEST) -> list[CommentView]:
        """A paper's comments as read (``CommentStore.thread``) arranged as ``user`` (or a visitor) sees them."""
        return build(comments, self.viewer(user, [c.pk for c in comments]), order)

    def one(self, comment_pk: int, user: User | None) -> CommentView:
        """One comment (without replies) if ``user`` may read it; otherwise NotFound."""
        comment = self._readable(comment_pk, user)
        return view(comment, self.viewer(user, [comment.pk]))

    def counts(self, paper_pks: list[int]) -> dict[int, int]:
        """Comments everyone can read, per paper (papers without any are absent)."""
        return self.comments.counts(paper_pks)

    # -- writing -----------------------------------------------------------------------------

    def post(self, user: User, paper_pk: int, body: str, parent_pk: int | None = None) -> Comment:
        """A new comment, or a reply to ``parent_pk`` (on the same paper, neither deleted nor hidden)."""
        body = self._gate.body(user, body)
        self._gate.admit(user)  # the parent is checked by the store, under its lock
        return self.comments.add(paper_pk, user.pk, body, render_markdown(body), parent_pk)

    def edit(self, user: User, comment_pk: int, body: str) -> Comment:
        """Replace the text of one's own comment (marked edited); anyone else's is NotFound."""
        body = self._gate.body(user, body)
        return self.comments.edit(comment_pk, user.pk, body, render_markdown(body))

    def delete(self, user: User, comment_pk: int) -> Comment:
        """Delete one's own comment (replies stay under a placeholder); anyone else's is NotFound."""
        return self.comments.delete(comment_pk, user.pk)

    def vote(self, user: User, comment_pk: int, voted: bool) -> CommentVote:
        """Upvote a comment one can read (``voted``) or withdraw the upvote; both idempotent."""
        self._readable(comment_pk, user)
        return CommentVote(comment_pk, voted, self.comments.set_vote(comment_pk, user.pk, voted))

    def report(self, user: User, comment_pk: int, reason: str) -> bool:
        """Report a comment to the moderators; returns False if this account had already reported it."""
        reason = checked_text(reason, what="reason", limit=MAX_REPORT_CHARS)
        self._readable(comment_pk, user)
        return self.moderation.report(comment_pk, user.pk, reason)

    def _readable(self, comment_pk: int, user: User | None) -> Comment:
        comment = self.comments.get(comment_pk)
        if comment is None or not visible(comment, self.viewer(user)):
            raise NotFound(f"there is no comment {comment_pk}")
        return comment


__all__ = ["CommentView", "CommentVote", "Discussion", "Order", "Viewer"]
