"""The demo papers' vectors, shipped so a fresh demo is searchable in seconds instead of a minute of embedding.

``vectors.npz`` (beside the demo corpus, in ``ingest/demo/``) holds one float16 vector per demo
paper (made by the shipped model from the text papertide embeds, see
:func:`papertide.search.upkeep.embedding_job.paper_text`) and that text's digest; ``vectors.json``
names the model, its version and the model file's sha256. At indexing time :func:`with_demo_vectors`
answers a text from the file only when the model is the one named there and the text's digest is
the one stored with the vector: any other model, or a paper whose text changed, is embedded as
usual. scripts/build_demo_vectors.py writes both files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from papertide.search.semantic.embed import Embedder, model_key
from papertide.search.upkeep.embedding_job import text_digest

log = logging.getLogger(__name__)

# Beside the demo corpus they were made from (the module is search's: it is the embedding job's embedder).
DEMO_DIR = Path(__file__).parents[2] / "ingest" / "demo"
VECTORS_FILE = DEMO_DIR / "vectors.npz"
MANIFEST_FILE = DEMO_DIR / "vectors.json"


@dataclass(frozen=True, slots=True)
class ShippedVectors:
    model: str  # model_key(): name@version
    model_sha256: str  # of the model file that made them
    digests: np.ndarray  # uint64, text_digest() of each vector's text
    vectors: np.ndarray  # float16, one row per digest

    def save(self, vectors_file: Path = VECTORS_FILE, manifest_file: Path = MANIFEST_FILE) -> None:
        with vectors_file.open("wb") as out:
            np.savez_compressed(out, digests=self.digests, vectors=self.vectors)
        manifest = {"model": self.model, "model_sha256": self.model_sha256, "count": len(self.digests)}
        manifest_file.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, vectors_file: Path = VECTORS_FILE, manifest_file: Path = MANIFEST_FILE) -> ShippedVectors | None:
        """The shipped vectors; None (logged) when the files are missing or unreadable."""
        try:
            manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
            with np.load(vectors_file) as arrays:
                return cls(manifest["model"], manifest["model_sha256"], arrays["digests"], arrays["vectors"])
        except (OSError, ValueError, KeyError) as exc:
            log.info("demo vectors not used (%s: %s): the demo papers are embedded", vectors_file, exc)
            return None


class KnownVectorsEmbedder:
    """An embedder that takes a text's vector from ``known`` (by text digest) and embeds only the others."""

    def __init__(self, inner: Embedder, known: dict[int, np.ndarray]) -> None:
        self._inner = inner
        self._known = known
        self.name = inner.name
        self.version = inner.version
        self.dim = inner.dim
        self.known_used = 0  # texts answered from ``known``: the index report says how many were not embedded

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        found = [self._known.get(text_digest(text)) for text in texts]
        self.known_used += sum(vector is not None for vector in found)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing = [i for i, vector in enumerate(found) if vector is None]
        if missing:
            out[missing] = self._inner.embed([texts[i] for i in missing])
        for i, vector in enumerate(found):
            if vector is not None:
                out[i] = vector
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._inner.embed_query(text)


def with_demo_vectors(embedder: Embedder, shipped: ShippedVectors | None = None) -> Embedder:
    """``embedder``, answering the demo papers' texts from the shipped vectors when they are its own:
    same model and version, and the same model file (sha256). Otherwise ``embedder`` itself."""
    shipped = shipped or ShippedVectors.load()
    if shipped is None:
        return embedder
    model_sha256 = getattr(embedder, "model_sha256", None)
    if shipped.model != model_key(embedder) or shipped.model_sha256 != model_sha256:
        log.info(
            "demo vectors were made by %s (%s), not by %s: re-embedding",
            shipped.model,
            shipped.model_sha256,
            model_key(embedder),
        )
        return embedder
    vectors = shipped.vectors.astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)  # float16 rounding, undone
    return KnownVectorsEmbedder(embedder, dict(zip(shipped.digests.tolist(), vectors, strict=True)))
