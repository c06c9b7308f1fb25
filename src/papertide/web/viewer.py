"""What the signed-in reader has done, for the buttons a page draws: upvotes and saved papers.

Looked up once per request and only when a template asks (``viewer(request)``), so pages
without vote or save buttons, and signed-out readers, cost no query. It reads all of the
reader's votes and saves (a few ids each, one indexed query apiece) rather than those of the
papers shown, which the page's templates would otherwise have to collect first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from starlette.requests import Request

from papertide.library import Library
from papertide.library.collections import DEFAULT_NAME
from papertide.store.accounts import User
from papertide.web.auth import page_user


@dataclass(frozen=True, slots=True)
class SaveTarget:
    """A collection a save menu offers; an empty ``public_id`` is the default one, not created yet."""

    public_id: str
    name: str


class Viewer:
    def __init__(self, user: User | None, library: Library) -> None:
        self.user = user
        self._library = library

    @cached_property
    def _voted(self) -> set[str]:
        return self._library.votes.voted_ids(self.user) if self.user else set()

    @cached_property
    def _saved(self) -> dict[str, set[str]]:
        return self._library.collections.memberships(self.user) if self.user else {}

    @cached_property
    def collections(self) -> list[SaveTarget]:
        """The reader's collections for a save menu, "Saved" first even before it exists."""
        if self.user is None:
            return []
        mine = [SaveTarget(c.public_id, c.name) for c in self._library.collections.mine(self.user)]
        return mine or [SaveTarget("", DEFAULT_NAME)]

    def voted(self, paper_id: str) -> bool:
        return paper_id in self._voted

    def saved_in(self, paper_id: str) -> set[str]:
        """The public ids of the reader's collections that hold the paper."""
        return self._saved.get(paper_id, set())


def viewer(request: Request) -> Viewer:
    """The reader of this request (a template global), built on first use."""
    state = request.scope.setdefault("state", {})
    if "viewer" not in state:
        state["viewer"] = Viewer(page_user(request), request.app.state.services.library)
    return state["viewer"]
