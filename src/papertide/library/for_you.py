""" "For you": new papers near what the reader saved and upvoted, each with the reason it was chosen.

The ranking is the search engine's :meth:`~papertide.search.engine.SearchEngine.recommend` (the
normalised mean of the liked papers' vectors); the reason is the liked paper each recommendation
lies nearest to. The profile uses the reader's most recent likes, so it follows their interests
as they move; everything they saved or upvoted is left out of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import chain, zip_longest

from papertide.errors import NotFound
from papertide.search.engine import SearchEngine, SearchResult
from papertide.search.query import Filters
from papertide.search.recommend import nearest_liked, recommend_among
from papertide.search.semantic.index import VectorSet
from papertide.store.accounts.store import User
from papertide.store.library.collections import CollectionStore
from papertide.store.library.votes import VoteStore
from papertide.store.papers.store import PaperStore, StoredPaper

# The most recent likes that make up the profile: enough to describe interests, few enough to follow them.
PROFILE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Recommendation:
    result: SearchResult
    because: StoredPaper  # the liked paper this one is nearest to
    saved: bool  # the reader saved ``because`` (else they upvoted it)

    @property
    def reason(self) -> str:
        return because_text(self.because, self.saved)


@dataclass(frozen=True, slots=True)
class Pick:
    """A paper chosen for the reader, by store key, with the liked paper it is nearest to."""

    pk: int
    because_pk: int
    saved: bool  # the reader saved ``because_pk`` (else they upvoted it)


def because_text(because: StoredPaper, saved: bool) -> str:
    """Why a paper is recommended: the liked paper it is nearest to."""
    return f"Similar to “{because.title}”, which you {'saved' if saved else 'upvoted'}"


@dataclass(frozen=True, slots=True)
class ForYouPage:
    recommendations: list[Recommendation]
    liked: int  # how many papers the reader saved or upvoted (none: nothing to go on yet)


class ForYou:
    def __init__(
        self, votes: VoteStore, collections: CollectionStore, papers: PaperStore, engine: SearchEngine
    ) -> None:
        self._votes = votes
        self._collections = collections
        self._papers = papers
        self._engine = engine

    def recommend(self, user: User, since: date | None = None, limit: int = 20) -> ForYouPage:
        """Up to ``limit`` papers submitted from ``since`` (None: any time) near the reader's likes."""
        likes = self._likes(user)
        if not likes.liked:
            return ForYouPage([], 0)
        found = self._engine.recommend(likes.profile, limit, Filters(date_from=since), exclude=likes.liked)
        because = {paper.pk: paper for paper in self._papers.get_many([r.nearest_liked for r in found])}
        recommendations = [
            Recommendation(r.result, because[r.nearest_liked], r.nearest_liked in likes.saved)
            for r in found
            if r.nearest_liked in because
        ]
        return ForYouPage(recommendations, len(likes.liked))

    def picks_among(self, user: User, among: VectorSet, limit: int = 20) -> list[Pick]:
        """:meth:`recommend`'s choice among papers the caller already holds (a digest's new ones), best
        first: scored exactly against vectors gathered once, and nothing loaded from the store."""
        likes = self._likes(user)
        vectors = self._engine.vectors
        if not likes.liked or vectors is None:
            return []
        try:
            hits = recommend_among(vectors, likes.profile, among, limit, exclude=likes.liked)
        except NotFound:  # none of the liked papers has a vector yet
            return []
        nearest = nearest_liked(vectors, [hit.pk for hit in hits], likes.profile)
        return [Pick(hit.pk, nearest[hit.pk], nearest[hit.pk] in likes.saved) for hit in hits if hit.pk in nearest]

    def _likes(self, user: User) -> _Likes:
        saved = self._collections.saved_pks(user.pk)
        voted = self._votes.voted_pks(user.pk)
        return _Likes(list(dict.fromkeys([*saved, *voted])), _most_recent(saved, voted, PROFILE_SIZE), set(saved))


@dataclass(frozen=True, slots=True)
class _Likes:
    liked: list[int]  # everything saved or upvoted, left out of every answer
    profile: list[int]  # the most recent of them, which the ranking follows
    saved: set[int]


def _most_recent(saved: list[int], voted: list[int], size: int) -> list[int]:
    """Up to ``size`` likes, the newest save and the newest vote in turn."""
    alternating = (pk for pk in chain.from_iterable(zip_longest(saved, voted)) if pk is not None)
    return list(dict.fromkeys(alternating))[:size]
