"""The demo's shipped vectors: used only when the model that made them is the one embedding, else re-embedded."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from papertide.ingest.demo import DEMO_CORPUS
from papertide.ingest.sources.jsonl import JsonlSource
from papertide.search.semantic.embed import load_embedder, model_key
from papertide.search.upkeep.demo_vectors import ShippedVectors, with_demo_vectors
from papertide.search.upkeep.embedding_job import passage, text_digest

DIM = 4


class CountingEmbedder:
    """Gives every text the same vector, and remembers which texts it was asked to embed."""

    name = "counting"
    version = "1"
    dim = DIM
    model_sha256 = "aa" * 32

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded += texts
        return np.tile(np.array([1, 0, 0, 0], dtype=np.float32), (len(texts), 1))

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


def shipped(model: str = "counting@1", model_sha256: str = "aa" * 32) -> ShippedVectors:
    vectors = np.array([[0, 1, 0, 0], [0, 0, 3, 4]], dtype=np.float16)
    return ShippedVectors(model, model_sha256, np.array([text_digest("a"), text_digest("b")], np.uint64), vectors)


def test_known_texts_come_from_the_file_and_only_the_others_are_embedded() -> None:
    inner = CountingEmbedder()
    vectors = with_demo_vectors(inner, shipped()).embed(["a", "new", "b"])
    assert inner.embedded == ["new"]
    np.testing.assert_allclose(vectors, [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0.6, 0.8]], atol=1e-3)


@pytest.mark.parametrize(
    "mismatch", [{"model_sha256": "bb" * 32}, {"model": "counting@2"}, {"model": "other@1"}], ids=str
)
def test_vectors_of_another_model_file_or_version_are_not_used_everything_is_embedded(mismatch: dict) -> None:
    inner = CountingEmbedder()
    embedder = with_demo_vectors(inner, shipped(**mismatch))
    assert embedder is inner
    embedder.embed(["a", "b"])
    assert inner.embedded == ["a", "b"]


def test_a_changed_text_is_embedded_again() -> None:
    inner = CountingEmbedder()
    with_demo_vectors(inner, shipped()).embed(["a (revised)"])
    assert inner.embedded == ["a (revised)"]


def test_missing_or_unreadable_files_mean_embedding(tmp_path: Path) -> None:
    assert ShippedVectors.load(tmp_path / "none.npz", tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{")
    assert ShippedVectors.load(tmp_path / "none.npz", tmp_path / "bad.json") is None


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    shipped().save(tmp_path / "v.npz", tmp_path / "v.json")
    loaded = ShippedVectors.load(tmp_path / "v.npz", tmp_path / "v.json")
    assert loaded is not None and loaded.model == "counting@1" and loaded.model_sha256 == "aa" * 32
    assert loaded.vectors.dtype == np.float16 and loaded.digests.tolist() == shipped().digests.tolist()
    assert json.loads((tmp_path / "v.json").read_text())["count"] == 2


def test_the_shipped_vectors_are_the_shipped_models_own() -> None:
    """Fails when the model or the embedded text changes without scripts/build_demo_vectors.py being run."""
    embedder = load_embedder()
    vectors = ShippedVectors.load()
    assert vectors is not None
    assert (vectors.model, vectors.model_sha256) == (model_key(embedder), embedder.model_sha256)
    texts = [passage(paper.display_title, paper.display_abstract) for paper in JsonlSource(DEMO_CORPUS).items()]
    known = set(vectors.digests.tolist())
    assert [text for text in texts if text_digest(text) not in known] == []  # every demo paper's text has one
    wrapped = with_demo_vectors(embedder, vectors)
    assert wrapped is not embedder
    # int8 dynamic quantisation scales activations per batch, so one text embedded in two different
    # batches agrees to about 0.994 (measured); a vector of another text or model is far below.
    cosine = float(wrapped.embed(texts[:1])[0] @ embedder.embed(texts[:1])[0])
    assert cosine > 0.98
