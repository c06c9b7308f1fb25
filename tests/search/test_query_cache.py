"""Query embeddings of repeated searches come from a small cache, and give exactly the same pages."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from papertide.config import Settings
from papertide.search.semantic.query_cache import QueryEmbeddingCache


def test_a_kept_vector_is_found_by_model_and_whitespace_collapsed_text() -> None:
    cache = QueryEmbeddingCache(2)
    vector = np.ones(3, dtype=np.float32)
    assert cache.put(cache.key("minilm@1", " graph  neural\tnets "), vector) is vector
    assert cache.get(cache.key("minilm@1", "graph neural nets")) is vector
    assert cache.get(cache.key("minilm@2", "graph neural nets")) is None  # another model version
    assert cache.get(cache.key("minilm@1", "Graph neural nets")) is None  # case is the model's to read
    assert (cache.hits, cache.misses, cache.hit_rate()) == (1, 2, 1 / 3)
    with pytest.raises(ValueError):
        vector[0] = 2.0  # shared between searches: read-only


def test_the_least_recently_used_vector_goes_first_and_size_0_keeps_none() -> None:
    cache = QueryEmbeddingCache(2)
    for text in ("a", "b"):
        cache.put(cache.key("m", text), np.zeros(1, dtype=np.float32))
    cache.get(cache.key("m", "a"))
    cache.put(cache.key("m", "c"), np.zeros(1, dtype=np.float32))
    assert cache.get(cache.key("m", "b")) is None and cache.get(cache.key("m", "a")) is not None
    off = QueryEmbeddingCache(0)
    off.put(off.key("m", "a"), np.zeros(1, dtype=np.float32))
    assert off.get(off.key("m", "a")) is None and off.hit_rate() == 0.0


def test_the_cache_size_setting_is_bounded() -> None:
    assert Settings().query_embedding_cache == 1024
    with pytest.raises(ValidationError, match="query_embedding_cache"):
        Settings(query_embedding_cache=-1)
