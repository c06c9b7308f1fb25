"""``IndexFollower``: the processes of one node take turns catching its indexes up."""

from __future__ import annotations

import fcntl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from papertide.config import Settings, load_settings
from papertide.ingest.pipeline import ingest
from papertide.search.lexical.index import LexicalIndex
from papertide.search.upkeep.follower import TURN_LOCK, IndexFollower
from papertide.store import PaperStore
from tests.search.topical_papers import topical_papers


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data")


@contextmanager
def another_process_has_the_turn(settings: Settings) -> Iterator[None]:
    """Hold the node's turn lock through a file description of our own, as another process would."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with (settings.index_dir / TURN_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def test_a_pass_waits_while_another_process_of_the_node_runs_one(store: PaperStore, settings: Settings) -> None:
    ingest(topical_papers(), store)
    follower = IndexFollower(store, settings, interval_s=60)
    with another_process_has_the_turn(settings):
        waiting = threading.Thread(target=follower.run_once)
        waiting.start()
        time.sleep(0.6)  # three polls of the lock
        assert waiting.is_alive()
        assert follower.state.passes == 0 and not follower.state.caught_up
    waiting.join(60)
    assert not waiting.is_alive()
    assert follower.state.caught_up and follower.state.passes == 1 and follower.state.error is None
    assert LexicalIndex.open(settings.index_dir / "lexical").last_seq == store.max_change_seq()


def test_a_follower_stops_at_once_while_waiting_for_its_turn(store: PaperStore, settings: Settings) -> None:
    ingest(topical_papers(), store)
    follower = IndexFollower(store, settings, interval_s=60)
    with another_process_has_the_turn(settings):
        follower.start()
        time.sleep(0.3)
        stopping = threading.Thread(target=follower.stop)
        stopping.start()
        stopping.join(5)
        assert not stopping.is_alive()  # it did not wait for the other process's pass to end
    assert follower.state.passes == 0 and not follower.state.caught_up
    assert LexicalIndex.open(settings.index_dir / "lexical").last_seq == 0  # and never ran one of its own


def test_followers_of_one_node_one_after_the_other_all_end_caught_up(store: PaperStore, settings: Settings) -> None:
    ingest(topical_papers(), store)
    followers = [IndexFollower(store, settings, interval_s=60) for _ in range(3)]
    threads = [threading.Thread(target=follower.run_once) for follower in followers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert [(f.state.caught_up, f.state.passes, f.state.error) for f in followers] == [(True, 1, None)] * 3
