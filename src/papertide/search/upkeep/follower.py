"""A web node's own indexes, kept current with the shared database while it serves.

With several nodes over one PostgreSQL database each node keeps its lexical index and vector
graph as a local cache derived from the database. :class:`IndexFollower` brings them up to date
on a background thread every few seconds: from the change sequence, copying the vectors the
workers stored (it never embeds). Until its first pass has finished the node is not ready
(``/readyz`` answers 503), so a load balancer sends it no searches it would answer from an
empty index.

The processes of one node (``papertide serve --workers``) share its indexes: their followers take
turns through a lock file beside them, so one process catches the node up and the others find
nothing left to do, where two at once would find the indexes' writer locks taken.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from dataclasses import dataclass
from typing import IO

from papertide.config import Settings
from papertide.errors import PapertideError
from papertide.search.upkeep.update import update_indexes
from papertide.store.papers.store import PaperStore

logger = logging.getLogger(__name__)

TURN_LOCK = ".follow.lock"  # in the index directory
_TURN_POLL_S = 0.2  # how often a process waiting for its turn looks again (and whether it is stopping)


@dataclass(frozen=True, slots=True)
class FollowerState:
    caught_up: bool  # the first pass has finished: the node may serve
    passes: int
    last_pass_s: float | None  # how long the last pass took
    waiting: int  # changed papers whose vector no worker has stored yet
    error: str | None  # why the last pass failed, if it did


class IndexFollower:
    """Runs :func:`update_indexes` (never embedding) every ``interval_s`` seconds until stopped."""

    def __init__(self, store: PaperStore, settings: Settings, interval_s: float) -> None:
        self._store, self._settings, self._interval = store, settings, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._state = FollowerState(False, 0, None, 0, None)

    @property
    def state(self) -> FollowerState:
        return self._state

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="papertide-index-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def run_once(self) -> None:
        """One catch-up pass, once no other process of this node is running one (none if stopped meanwhile)."""
        directory = self._settings.index_dir
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / TURN_LOCK).open("a") as turn:  # closing it ends this process's turn
            if self._wait_for_turn(turn):
                self._pass()

    def _wait_for_turn(self, turn: IO[str]) -> bool:
        """Take the node's turn lock; False if stopped first. Polled rather than blocking, so that
        :meth:`stop` never waits out another process's pass (a new node's first one takes minutes)."""
        while True:
            try:
                fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if self._stop.wait(_TURN_POLL_S):
                    return False

    def _pass(self) -> None:
        started = time.perf_counter()
        try:
            report = update_indexes(self._store, self._settings, embed_missing=False)
        except PapertideError as exc:  # the database away, say: keep serving what we have, try again
            logger.warning("index follower: %s", exc.message)
            self._state = FollowerState(self._state.caught_up, self._state.passes, None, 0, exc.message)
            return
        waiting = report.vectors.waiting if report.vectors else 0
        self._state = FollowerState(True, self._state.passes + 1, time.perf_counter() - started, waiting, None)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._stop.wait(self._interval)
