"""Embed the bundled demo corpus with the shipped model and write src/papertide/ingest/demo/vectors.{npz,json}.

Run it whenever the demo corpus, the text papertide embeds or the model changes (a mismatch is
harmless, only slow: ``papertide index`` then embeds the demo papers itself):

    .venv/bin/python scripts/build_demo_vectors.py
"""

from __future__ import annotations

import tempfile

import numpy as np

from papertide.ingest.demo import load_demo
from papertide.search.semantic.embed import load_embedder, model_key
from papertide.search.upkeep.demo_vectors import MANIFEST_FILE, VECTORS_FILE, ShippedVectors
from papertide.search.upkeep.embedding_job import paper_text, text_digest
from papertide.store import open_store


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/demo.db")
        load_demo(store)
        texts = sorted({paper_text(paper) for paper in store.iter_papers(activity=False)})
        store.engine.dispose()
    embedder = load_embedder()
    vectors = embedder.embed(texts)
    digests = np.array([text_digest(text) for text in texts], dtype=np.uint64)
    ShippedVectors(model_key(embedder), embedder.model_sha256, digests, vectors.astype(np.float16)).save()
    size = VECTORS_FILE.stat().st_size // 1024
    print(f"{len(texts)} vectors by {model_key(embedder)} -> {VECTORS_FILE.name} ({size} KiB), {MANIFEST_FILE.name}")


if __name__ == "__main__":
    main()
