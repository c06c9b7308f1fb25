"""Collections in the store and their rules: the default "Saved", names, privacy, notes, order saved."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from papertide.errors import Conflict, InvalidInput, NotFound
from papertide.library.collections import MAX_NOTE_CHARS, Collections, Order
from papertide.store import PaperStore
from papertide.store.accounts.store import AccountStore, User
from papertide.store.library.collections import CollectionStore
from tests.store.test_votes import paper

IDS = [f"2410.0000{n}" for n in range(1, 8)]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every save a second after the previous one
        return self.now


@pytest.fixture
def library(store: PaperStore) -> Collections:
    store.write_batch([paper(paper_id) for paper_id in IDS])
    return Collections(CollectionStore(store.engine, Clock()), store)


@pytest.fixture
def alice(store: PaperStore) -> User:
    return AccountStore(store.engine).get_or_create_user("alice@example.org")[0]


@pytest.fixture
def bob(store: PaperStore) -> User:
    return AccountStore(store.engine).get_or_create_user("bob@example.org")[0]


def papers(store: PaperStore, *ids: str):
    return store.get_many_by_id(ids)


def saved_ids(library: Collections, collection, order: Order = Order.NEWEST) -> list[str]:
    return [saved.paper.paper_id for saved in library.page(collection, order).papers]


def test_the_default_collection_appears_on_first_save_not_on_reading(library, store, alice) -> None:
    assert library.mine(alice) == []
    first, second = papers(store, IDS[0], IDS[1])
    saved = library.save(alice, first)
    assert (saved.name, saved.is_default, saved.is_public) == ("Saved", True, False)
    assert library.save(alice, second).public_id == saved.public_id
    assert library.save(alice, first).public_id == saved.public_id  # saving twice keeps one entry
    (only,) = library.mine(alice)
    assert (only.public_id, only.size) == (saved.public_id, 2)


def test_concurrent_first_saves_make_one_default_collection(library, store, alice) -> None:
    start = threading.Barrier(8)
    targets = papers(store, *IDS)

    def save(item) -> str:
        start.wait()
        return library.save(alice, item).public_id

    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(save, [*targets, targets[0]]))
    assert len(ids) == 1
    (only,) = library.mine(alice)
    assert only.size == len(IDS)


def test_named_collections_are_unique_per_reader_and_listed_default_first(library, alice, bob) -> None:
    reading = library.create(alice, "  Reading   list ")
    assert reading.name == "Reading list" and not reading.is_default
    library.create(alice, "archive", public=True)
    with pytest.raises(Conflict, match="'Reading list'"):
        library.create(alice, "Reading list")
    library.create(bob, "Reading list")  # another reader's names are theirs
    assert [c.name for c in library.mine(alice)] == ["Saved", "archive", "Reading list"]
    for bad in ("", "   ", "x" * 101):
        with pytest.raises(InvalidInput, match="1 to 100 characters"):
            library.create(alice, bad)


def test_rename_publish_and_delete(library, store, alice) -> None:
    reading = library.create(alice, "Reading")
    library.save(alice, papers(store, IDS[0])[0], reading.public_id)
    renamed = library.update(alice, reading.public_id, name="To read", public=True)
    assert (renamed.public_id, renamed.name, renamed.is_public) == (reading.public_id, "To read", True)
    with pytest.raises(Conflict):
        library.update(alice, reading.public_id, name="Saved")
    library.delete(alice, reading.public_id)
    assert [c.name for c in library.mine(alice)] == ["Saved"]
    assert store.get(IDS[0]) is not None  # the paper stays in the library
    with pytest.raises(Conflict, match="cannot be deleted"):
        library.delete(alice, library.default(alice).public_id)


def test_someone_elses_private_collection_is_not_found(library, store, alice, bob) -> None:
    private = library.create(alice, "Private")
    public = library.create(alice, "Public", public=True)
    assert library.visible(alice, private.public_id) == private
    assert library.visible(bob, public.public_id) == public
    assert library.visible(None, public.public_id) == public
    for caller in (bob, None):
        with pytest.raises(NotFound, match="or it is private"):
            library.visible(caller, private.public_id)
    for action in (
        lambda: library.owned(bob, public.public_id),  # public is readable, not theirs to change
        lambda: library.save(bob, papers(store, IDS[0])[0], private.public_id),
        lambda: library.update(bob, private.public_id, name="Mine now"),
        lambda: library.delete(bob, public.public_id),
        lambda: library.public_papers(private.public_id),
        lambda: library.visible(None, "no-such-id"),
    ):
        with pytest.raises(NotFound):
            action()


def test_papers_are_listed_by_date_saved_both_ways_and_paged(library, store, alice) -> None:
    collection = library.default(alice)
    for item in papers(store, *IDS):
        library.save(alice, item)
    assert saved_ids(library, collection) == IDS[::-1]
    assert saved_ids(library, collection, Order.OLDEST) == IDS
    for order, expected in ((Order.NEWEST, IDS[::-1]), (Order.OLDEST, IDS)):
        seen, cursor = [], None
        while True:
            page = library.page(collection, order, cursor, limit=3)
            seen += [saved.paper.paper_id for saved in page.papers]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == expected
    with pytest.raises(InvalidInput, match="cursor"):
        library.page(collection, cursor="nonsense")


def test_import_sized_saves_land_in_one_transaction_keeping_earlier_entries(library, store, alice) -> None:
    collection = library.default(alice)
    first = papers(store, IDS[0])[0]
    library.save(alice, first, note="read first")
    added = library.add_many(collection, [p.pk for p in papers(store, *IDS)])
    assert added == len(IDS) - 1
    page = library.page(collection, Order.OLDEST)
    assert (page.papers[0].paper.paper_id, page.papers[0].note) == (IDS[0], "read first")


def test_notes_are_kept_per_saved_paper(library, store, alice) -> None:
    collection = library.default(alice)
    first, second = papers(store, IDS[0], IDS[1])
    library.save(alice, first)
    library.set_note(alice, collection.public_id, first, "  Section 3 has the proof.\r\nCheck eq. (7).  ")
    assert library.page(collection).papers[0].note == "Section 3 has the proof.\nCheck eq. (7)."
    with pytest.raises(NotFound, match="is not in the collection"):
        library.set_note(alice, collection.public_id, second, "not saved")
    with pytest.raises(InvalidInput, match="at most"):
        library.set_note(alice, collection.public_id, first, "x" * (MAX_NOTE_CHARS + 1))


def test_removing_and_memberships(library, store, alice) -> None:
    reading = library.create(alice, "Reading")
    first, second = papers(store, IDS[0], IDS[1])
    library.save(alice, first)
    library.save(alice, first, reading.public_id)
    library.save(alice, second, reading.public_id)
    default = library.default(alice).public_id
    assert library.memberships(alice) == {first.pk: {default, reading.public_id}, second.pk: {reading.public_id}}
    assert set(library.saved_pks(alice)) == {first.pk, second.pk}
    library.remove(alice, reading.public_id, first)
    assert library.memberships(alice)[first.pk] == {default}
    assert saved_ids(library, library.owned(alice, reading.public_id)) == [IDS[1]]


def test_saved_papers_survive_a_new_arxiv_version(library, store, alice) -> None:
    library.save(alice, papers(store, IDS[0])[0], note="v1 notes")
    store.write_batch([paper(IDS[0], version=3, title="Revised title")])
    (saved,) = library.page(library.default(alice)).papers
    assert (saved.paper.paper_id, saved.paper.paper.version, saved.paper.title, saved.note) == (
        IDS[0], 3, "Revised title", "v1 notes",
    )  # fmt: skip


def test_public_collections_list_their_papers_for_feeds(library, store, alice) -> None:
    shared = library.create(alice, "Shared", public=True)
    for item in papers(store, IDS[2], IDS[3]):
        library.save(alice, item, shared.public_id)
    page = library.public_papers(shared.public_id)
    assert [s.paper.paper_id for s in page.papers] == [IDS[3], IDS[2]]
    assert page.collection.updated_at > shared.updated_at  # a feed's Last-Modified moves with its papers
