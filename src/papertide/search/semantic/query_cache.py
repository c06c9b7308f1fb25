"""Query embeddings of repeated searches, kept: the next page of a search, the same words typed by many
users, and a feed or alert run on a schedule embed the same text again (~1.5-5 ms of model time each).

Keyed by the model and its version (vectors of another model never answer) and the text with its
whitespace collapsed, which the tokenizer ignores: a hit returns exactly the vector embedding would.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np


class QueryEmbeddingCache:
    """The last ``size`` query vectors, least recently used dropped first; safe across threads."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model: str, text: str) -> tuple[str, str]:
        """The cache key of ``text`` embedded by ``model`` (name@version)."""
        return model, " ".join(text.split())

    def get(self, key: tuple[str, str]) -> np.ndarray | None:
        """The vector kept under ``key``, counted as a hit or a miss."""
        with self._lock:
            vector = self._vectors.get(key)
            if vector is None:
                self.misses += 1
                return None
            self.hits += 1
            self._vectors.move_to_end(key)
            return vector

    def put(self, key: tuple[str, str], vector: np.ndarray) -> np.ndarray:
        """Keep ``vector`` (read-only from now on: callers share it) and return it."""
        if self.size <= 0:
            return vector
        vector.flags.writeable = False
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def hit_rate(self) -> float:
        """Hits over lookups so far (0 before any)."""
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else 0.0
