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

from papertide.search.engine import SearchEngine, SearchResult
from papertide.search.query import Filters
from papertide.search.vectors import VectorSet
from papertide.store.accounts import User
from papertide.store.collections import CollectionStore
from papertide.store.papers import PaperStore, StoredPaper
from papertide.store.votes import VoteStore

# The most recent likes that make up the profile: enough to describe interests, few enough to follow them.
PROFILE_SIZE = 200


@dataclass(frozen=True, slots=True)
class Recommendation:
    result: SearchResult
    because: StoredPaper  # the liked paper this one is nearest to
    saved: bool  # the reader saved ``because`` (else they upvoted it)

    @property
    def reason(self) -> str:
        return f"Similar to “{self.because.title}”, which you {'saved' if self.saved else 'upvoted'}"


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

    def recommend(
        self, user: User, since: date | None = None, limit: int = 20, among: VectorSet | None = None
    ) -> ForYouPage:
        """Up to ``limit`` papers submitted from ``since`` (None: any time) near the reader's likes.

        ``among``: choose from these papers only (a digest's new ones; ``since`` then does not apply).
        """
        saved = self._collections.saved_pks(user.pk)
        voted = self._votes.voted_pks(user.pk)
        liked = list(dict.fromkeys([*saved, *voted]))
        if not liked:
            return ForYouPage([], 0)
        profile = _most_recent(saved, voted, PROFILE_SIZE)
        found = self._engine.recommend(profile, limit, Filters(date_from=since), exclude=liked, among=among)
        because = {paper.pk: paper for paper in self._papers.get_many([r.nearest_liked for r in found])}
        saved_set = set(saved)
        recommendations = [
            Recommendation(r.result, because[r.nearest_liked], r.nearest_liked in saved_set)
            for r in found
            if r.nearest_liked in because
        ]
        return ForYouPage(recommendations, len(liked))


def _most_recent(saved: list[int], voted: list[int], size: int) -> list[int]:
    """Up to ``size`` likes, the newest save and the newest vote in turn."""
    alternating = (pk for pk in chain.from_iterable(zip_longest(saved, voted)) if pk is not None)
    return list(dict.fromkeys(alternating))[:size]
