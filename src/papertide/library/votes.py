"""Upvotes: one per account and paper, set or withdrawn (never toggled blindly, so a repeated
request leaves the state it asked for), counted exactly by the store.

:meth:`Votes.cast` is the one vote operation: the form, the JSON API's POST and DELETE and a vote
done after signing in all go through it, so they find the paper and answer alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from papertide.library.lookup import find_paper
from papertide.store.accounts.store import User
from papertide.store.library.votes import VoteStore
from papertide.store.papers.store import PaperStore, StoredPaper


@dataclass(frozen=True, slots=True)
class VoteState:
    """A paper's upvotes after a vote, and whether the voter's own vote is among them."""

    paper_id: str
    voted: bool
    votes: int


class Votes:
    def __init__(self, store: VoteStore, papers: PaperStore) -> None:
        self._store = store
        self._papers = papers

    def cast(self, user: User, paper_id: str, voted: bool) -> VoteState:
        """Upvote the paper of (canonical) ``paper_id`` (``voted``) or withdraw the upvote; either is a
        no-op when already so. :class:`~papertide.errors.NotFound` names a paper this library lacks."""
        return self.set(user, find_paper(self._papers, paper_id), voted)

    def set(self, user: User, paper: StoredPaper, voted: bool) -> VoteState:
        """:meth:`cast` for a paper already found."""
        count = self._store.set_vote(user.pk, paper.pk, voted)
        return VoteState(paper.paper_id, voted, count)

    def voted_keys(self, user: User, limit: int) -> list[int]:
        """Up to ``limit`` of the papers the reader upvoted (store keys, in no order)."""
        return self._store.some_voted(user.pk, limit)

    def voted_among(self, user: User, paper_pks: list[int]) -> set[int]:
        """Which of ``paper_pks`` (store keys) the reader upvoted."""
        return self._store.voted_among(user.pk, paper_pks)
