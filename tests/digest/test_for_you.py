"""The "for you" section: new papers near what the subscriber's account upvoted, with real embeddings."""

from __future__ import annotations

from dataclasses import replace

from papertide.digest.compose import Composer
from papertide.digest.preferences import Section
from papertide.library import Library
from papertide.search.engine import SearchEngine
from papertide.search.upkeep.embedding_job import index_vectors
from papertide.store import Stores
from papertide.store.accounts.store import AccountStore
from papertide.store.library.votes import VoteStore
from tests.digest.conftest import World, at
from tests.digest.test_compose import period, reasons, titles
from tests.search.topical_papers import topical_papers


def test_for_you_brings_new_papers_like_the_ones_the_account_upvoted(world: World) -> None:
    graphs, proteins, quantum = (topical_papers()[i : i + 4] for i in (0, 4, 8))
    liked = replace(graphs[0], submitted=at(20, month=11))
    world.arrive([liked], at=at(21, month=11))
    news = [replace(p, submitted=at(29, month=11)) for p in (*graphs[1:3], *proteins[:2], *quantum[:2])]
    world.arrive(news, at=at(30, 20, month=11))
    index_vectors(world.store, world.settings)
    engine = SearchEngine.open(world.settings, world.store)
    stores = Stores.beside(world.store, world.settings)
    composer = Composer(
        world.settings, world.store, engine, world.subscriptions, stores.accounts, world.trending,
        Library.over(stores, engine, world.settings).for_you,
    )  # fmt: skip

    user, _ = AccountStore(world.store.engine, world.clock).get_or_create_user("member@example.org")
    VoteStore(world.store.engine, world.clock).set_vote(user.pk, world.store.get(liked.id).pk, True)
    member = world.subscriber("member@example.org", categories=["math.GT"], max_papers=2)
    stranger = world.subscriber("stranger@example.org", categories=["math.GT"])
    assert member.user_pk == user.pk and stranger.user_pk is None

    digest = composer.compose(member, period(member, 1))
    assert [part.section for part in digest.sections] == [Section.FOR_YOU]
    assert set(titles(digest)) == {graphs[1].title, graphs[2].title}  # the graph papers, not the proteins
    assert reasons(digest)[graphs[1].title] == f"Similar to “{liked.title}”, which you upvoted"
    assert composer.compose(stranger, period(stranger, 1)) is None  # no account: nothing to go on
