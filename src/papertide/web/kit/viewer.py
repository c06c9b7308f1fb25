"""What the signed-in reader has done, for the buttons a page draws: upvotes and saved papers; and, for
every reader, how many comments each card's paper has.

Looked up only when a template asks (``viewer(request)``, once per request), so pages without
vote or save buttons, and visitors, cost no query. A reader with a modest library (up to
:data:`PRELOAD` votes and as many saves) has it read whole, one covering-index scan each. For a
larger one (thousands of imported references) a listing template first hands over the papers it
will draw (``viewer(request).prefetch(papers)``), which are then looked up together, so a page
costs no more because a library is big (bench/README.md); a paper not handed over is looked up
on its own. Comment counts are prefetched the same way for visitors too: one key lookup per card,
in one query per page (``paper_discussions``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from starlette.requests import Request

from papertide.library import Library
from papertide.library.collections import DEFAULT_NAME
from papertide.store.accounts.store import User
from papertide.store.discussion.comments import CommentStore
from papertide.web.kit.auth import page_user
from papertide.web.kit.schemas import PaperSummary

PRELOAD = 300


@dataclass(frozen=True, slots=True)
class SaveTarget:
    """A collection a save menu offers; an empty ``public_id`` is the default one, not created yet."""

    public_id: str
    name: str


class Viewer:
    def __init__(self, user: User | None, library: Library, comments: CommentStore) -> None:
        self.user = user
        self._library = library
        self._comments = comments
        self._comment_counts: dict[int, int] = {}
        self._votes_of: dict[int, bool] = {}
        self._saves_of: dict[int, set[str]] = {}

    @cached_property
    def _all_votes(self) -> set[int] | None:
        """Every paper the reader upvoted, or None when there are too many to read for one page."""
        assert self.user is not None
        keys = self._library.votes.voted_keys(self.user, PRELOAD + 1)
        return set(keys) if len(keys) <= PRELOAD else None

    @cached_property
    def _all_saves(self) -> dict[int, set[str]] | None:
        assert self.user is not None
        saved = self._library.collections.memberships(self.user, PRELOAD + 1)
        return saved if sum(map(len, saved.values())) <= PRELOAD else None

    @cached_property
    def collections(self) -> list[SaveTarget]:
        """The reader's collections for a save menu, "Saved" first even before it exists."""
        if self.user is None:
            return []
        mine = [SaveTarget(c.public_id, c.name) for c in self._library.collections.mine(self.user)]
        return mine or [SaveTarget("", DEFAULT_NAME)]

    def prefetch(self, papers: Iterable[PaperSummary]) -> str:
        """Look up the papers' comment counts, and the reader's votes and saves of them, together; renders nothing."""
        keys = [paper.store_key for paper in papers]
        if wanted := [k for k in keys if k not in self._comment_counts]:
            self._comment_counts.update(dict.fromkeys(wanted, 0) | self._comments.counts(wanted))
        if self.user is None:
            return ""
        if self._all_votes is None and (wanted := [k for k in keys if k not in self._votes_of]):
            voted = self._library.votes.voted_among(self.user, wanted)
            self._votes_of.update((key, key in voted) for key in wanted)
        if self._all_saves is None and (wanted := [k for k in keys if k not in self._saves_of]):
            saved = self._library.collections.memberships(self.user, among=wanted)
            self._saves_of.update((key, saved.get(key, set())) for key in wanted)
        return ""

    def voted(self, paper: PaperSummary) -> bool:
        if self.user is None:
            return False
        if self._all_votes is not None:
            return paper.store_key in self._all_votes
        self.prefetch([paper])
        return self._votes_of[paper.store_key]

    def comments(self, paper: PaperSummary) -> int:
        """How many comments everyone can read under the paper."""
        if paper.store_key not in self._comment_counts:
            self.prefetch([paper])
        return self._comment_counts[paper.store_key]

    def saved_in(self, paper: PaperSummary) -> set[str]:
        """The public ids of the reader's collections that hold the paper."""
        if self.user is None:
            return set()
        if self._all_saves is not None:
            return self._all_saves.get(paper.store_key, set())
        self.prefetch([paper])
        return self._saves_of[paper.store_key]


def viewer(request: Request) -> Viewer:
    """The reader of this request (a template global), built on first use."""
    state = request.scope.setdefault("state", {})
    if "viewer" not in state:
        services = request.app.state.services
        state["viewer"] = Viewer(page_user(request), services.library, services.stores.comments)
    return state["viewer"]
